// TensorWrap and the argument helpers shared by every binding.
#include "tensor.h"

namespace posterior {

static Napi::FunctionReference* constructor = nullptr;

Napi::Function TensorWrap::Init(Napi::Env env) {
  Napi::Function fn = DefineClass(env, "NativeTensor", {});
  constructor = new Napi::FunctionReference(Napi::Persistent(fn));
  return fn;
}

Napi::Object TensorWrap::Wrap(Napi::Env env, at::Tensor t) {
  Napi::Object obj = constructor->New({});
  Unwrap(obj)->adopt(env, std::move(t));
  return obj;
}

bool TensorWrap::Is(const Napi::Value& v) {
  return v.IsObject() && v.As<Napi::Object>().InstanceOf(constructor->Value());
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {}

TensorWrap::~TensorWrap() {
  // The finalizer may run after the environment is gone; V8's external-memory
  // count then no longer matters, so only the storage is released (by t_'s destructor).
}

void TensorWrap::adopt(Napi::Env env, at::Tensor t) {
  t_ = std::move(t);
  // Views share their base's storage: count only tensors that own theirs.
  if (t_.defined() && !t_.is_view()) {
    accounted_ = static_cast<int64_t>(t_.numel() * t_.element_size());
    if (accounted_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, accounted_);
  }
}

at::Tensor& TensorWrap::tensor(Napi::Env env) {
  if (released_) throw Napi::Error::New(env, "tensor used after dispose()");
  return t_;
}

void TensorWrap::release(Napi::Env env) {
  if (released_) return;
  released_ = true;
  t_ = at::Tensor();
  if (accounted_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -accounted_);
  accounted_ = 0;
  napi_remove_wrap(env, Value(), nullptr);
  // Free the wrapper now: Node 20 runs finalizers only on an event-loop turn, and the small
  // wrappers left until then fragment the heap and pin the freed LibTorch buffers.
  delete this;
}

static TensorWrap* unwrapTensor(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (!v.IsObject()) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a tensor");
  }
  void* p = nullptr;
  if (napi_unwrap(info.Env(), v, &p) != napi_ok || p == nullptr) {
    throw Napi::Error::New(info.Env(), TensorWrap::Is(v) ? "tensor used after dispose()" : "argument " + std::to_string(i) + " must be a tensor");
  }
  return static_cast<TensorWrap*>(p);
}

at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i) { return unwrapTensor(info, i)->tensor(info.Env()); }

bool isMissing(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() <= i || info[i].IsUndefined() || info[i].IsNull();
}

c10::optional<at::Tensor> optionalTensorArg(const Napi::CallbackInfo& info, size_t i) {
  if (isMissing(info, i)) return c10::nullopt;
  return tensorArg(info, i);
}

std::vector<at::Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an array of tensors");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr[k];
    if (!v.IsObject()) throw Napi::TypeError::New(info.Env(), "array element " + std::to_string(k) + " must be a tensor");
    void* p = nullptr;
    if (napi_unwrap(info.Env(), v, &p) != napi_ok || p == nullptr) throw Napi::Error::New(info.Env(), "tensor used after dispose()");
    out.push_back(static_cast<TensorWrap*>(p)->tensor(info.Env()));
  }
  return out;
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

double numberArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool boolArg(const Napi::CallbackInfo& info, size_t i, bool fallback) {
  if (isMissing(info, i)) return fallback;
  return info[i].ToBoolean().Value();
}

std::string stringArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> intListArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an array of integers");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out[k] = arr.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

at::ScalarType dtypeFromName(const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "float64") return at::kDouble;
  if (name == "float16") return at::kHalf;
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "int64") return at::kLong;
  if (name == "int32") return at::kInt;
  if (name == "uint8") return at::kByte;
  if (name == "bool") return at::kBool;
  throw std::invalid_argument("unknown dtype '" + name + "'");
}

std::string dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return c10::toString(t);
  }
}

at::Device deviceFromName(const std::string& name) { return at::Device(name); }

Napi::Value wrap(Napi::Env env, at::Tensor t) { return TensorWrap::Wrap(env, std::move(t)); }

Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array arr = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); ++k) arr.Set(static_cast<uint32_t>(k), wrap(env, ts[k]));
  return arr;
}

}  // namespace posterior
