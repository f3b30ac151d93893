// Module entry: the NativeTensor class and every binding, grouped by file.
#include "tensor.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeTensor", posterior::TensorWrap::Init(env));
  posterior::registerCreation(env, exports);
  posterior::registerOps(env, exports);
  posterior::registerAutograd(env, exports);
  return exports;
}

NODE_API_MODULE(posterior_native, Init)
