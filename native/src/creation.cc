// Tensor creation, copies to and from typed arrays, properties and conversions.
#include <cstring>

#include "tensor.h"

namespace posterior {

static at::TensorOptions optionsArg(const Napi::CallbackInfo& info, size_t dtypeAt, size_t deviceAt) {
  at::TensorOptions o = at::TensorOptions().dtype(at::kFloat);
  if (!isMissing(info, dtypeAt)) o = o.dtype(dtypeFromName(stringArg(info, dtypeAt)));
  if (!isMissing(info, deviceAt)) o = o.device(deviceFromName(stringArg(info, deviceAt)));
  return o;
}

// fromArray(typedArray, shape, dtype?, device?): copies; Int32Array may become int64.
static Napi::Value fromArray(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "fromArray expects a typed array");
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  auto shape = intListArg(info, 1);
  at::ScalarType src;
  switch (arr.TypedArrayType()) {
    case napi_float32_array: src = at::kFloat; break;
    case napi_float64_array: src = at::kDouble; break;
    case napi_int32_array: src = at::kInt; break;
    case napi_bigint64_array: src = at::kLong; break;
    case napi_uint8_array: src = at::kByte; break;
    default: throw Napi::TypeError::New(info.Env(), "fromArray supports Float32Array, Float64Array, Int32Array, BigInt64Array and Uint8Array");
  }
  int64_t numel = 1;
  for (auto d : shape) numel *= d;
  if (numel != static_cast<int64_t>(arr.ElementLength())) {
    throw Napi::RangeError::New(info.Env(), "shape holds " + std::to_string(numel) + " elements but the array has " + std::to_string(arr.ElementLength()));
  }
  auto* data = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  at::Tensor t = torch::from_blob(data, shape, at::TensorOptions().dtype(src)).clone();
  at::ScalarType dst = isMissing(info, 2) ? src : dtypeFromName(stringArg(info, 2));
  at::Device dev = isMissing(info, 3) ? at::Device(at::kCPU) : deviceFromName(stringArg(info, 3));
  if (dst != src || !dev.is_cpu()) t = t.to(dev, dst);
  return wrap(info.Env(), t);
}

// fromBytes(uint8array, dtype, shape): raw little-endian bytes of any dtype (checkpoints).
static Napi::Value fromBytes(const Napi::CallbackInfo& info) {
  Napi::Uint8Array arr = info[0].As<Napi::Uint8Array>();
  at::ScalarType dt = dtypeFromName(stringArg(info, 1));
  auto shape = intListArg(info, 2);
  int64_t numel = 1;
  for (auto d : shape) numel *= d;
  if (numel * static_cast<int64_t>(c10::elementSize(dt)) != static_cast<int64_t>(arr.ByteLength())) {
    throw Napi::RangeError::New(info.Env(), "byte length does not match shape and dtype");
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dt));
  if (arr.ByteLength() > 0) std::memcpy(t.data_ptr(), arr.Data(), arr.ByteLength());
  return wrap(info.Env(), t);
}

static Napi::Value copyOut(Napi::Env env, const at::Tensor& t, napi_typedarray_type type, size_t elems) {
  size_t bytes = t.numel() * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buf.Data(), t.data_ptr(), bytes);
  napi_value out;
  napi_status st = napi_create_typedarray(env, type, elems, buf, 0, &out);
  if (st != napi_ok) throw Napi::Error::New(env, "could not create a typed array");
  return Napi::Value(env, out);
}

// toArray(t): float32→Float32Array, float64→Float64Array, integers→Int32Array, bool/uint8→Uint8Array.
static Napi::Value toArray(const Napi::CallbackInfo& info) {
  at::Tensor t = tensorArg(info, 0).detach().to(at::kCPU);
  size_t n = t.numel();
  switch (t.scalar_type()) {
    case at::kFloat: return copyOut(info.Env(), t.contiguous(), napi_float32_array, n);
    case at::kDouble: return copyOut(info.Env(), t.contiguous(), napi_float64_array, n);
    case at::kLong:
    case at::kInt:
    case at::kShort: return copyOut(info.Env(), t.to(at::kInt).contiguous(), napi_int32_array, n);
    case at::kBool:
    case at::kByte: return copyOut(info.Env(), t.to(at::kByte).contiguous(), napi_uint8_array, n);
    default: return copyOut(info.Env(), t.to(at::kFloat).contiguous(), napi_float32_array, n);
  }
}

static Napi::Value toBytes(const Napi::CallbackInfo& info) {
  at::Tensor t = tensorArg(info, 0).detach().to(at::kCPU).contiguous();
  return copyOut(info.Env(), t, napi_uint8_array, t.numel() * t.element_size());
}

static Napi::Value item(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), tensorArg(info, 0).item<double>());
}

static Napi::Value shape(const Napi::CallbackInfo& info) {
  auto sizes = tensorArg(info, 0).sizes();
  Napi::Array arr = Napi::Array::New(info.Env(), sizes.size());
  for (size_t k = 0; k < sizes.size(); ++k) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(sizes[k])));
  return arr;
}

static Napi::Value dtype(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), dtypeName(tensorArg(info, 0).scalar_type())); }
static Napi::Value device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), tensorArg(info, 0).device().str()); }

static Napi::Value dispose(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "dispose expects a tensor");
  void* p = nullptr;
  // Already disposed: the wrap is gone, nothing to do.
  if (napi_unwrap(info.Env(), info[0], &p) == napi_ok && p != nullptr) static_cast<TensorWrap*>(p)->release(info.Env());
  return info.Env().Undefined();
}

static Napi::Value zeros(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::zeros(intListArg(info, 0), optionsArg(info, 1, 2))); }
static Napi::Value ones(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::ones(intListArg(info, 0), optionsArg(info, 1, 2))); }
static Napi::Value empty(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::empty(intListArg(info, 0), optionsArg(info, 1, 2))); }
static Napi::Value full(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::full(intListArg(info, 0), numberArg(info, 1), optionsArg(info, 2, 3)));
}
static Napi::Value randn(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::randn(intListArg(info, 0), optionsArg(info, 1, 2))); }
static Napi::Value rand(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::rand(intListArg(info, 0), optionsArg(info, 1, 2))); }
// arange(start, end, step, dtype?, device?)
static Napi::Value arange(const Napi::CallbackInfo& info) {
  at::TensorOptions o = optionsArg(info, 3, 4);
  if (isMissing(info, 3)) o = o.dtype(at::kLong);
  return wrap(info.Env(), at::arange(numberArg(info, 0), numberArg(info, 1), numberArg(info, 2), o));
}
// randint(low, high, shape, device?)
static Napi::Value randint(const Napi::CallbackInfo& info) {
  at::TensorOptions o = at::TensorOptions().dtype(at::kLong);
  if (!isMissing(info, 3)) o = o.device(deviceFromName(stringArg(info, 3)));
  return wrap(info.Env(), at::randint(intArg(info, 0), intArg(info, 1), intListArg(info, 2), o));
}

static Napi::Value to(const Napi::CallbackInfo& info) {
  at::Tensor& t = tensorArg(info, 0);
  at::Device dev = isMissing(info, 2) ? t.device() : deviceFromName(stringArg(info, 2));
  at::ScalarType dt = isMissing(info, 1) ? t.scalar_type() : dtypeFromName(stringArg(info, 1));
  return wrap(info.Env(), t.to(dev, dt));
}
static Napi::Value clone(const Napi::CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).clone()); }
static Napi::Value contiguous(const Napi::CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).contiguous()); }
static Napi::Value cudaAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), torch::cuda::is_available()); }

void registerCreation(Napi::Env env, Napi::Object exports) {
  static const std::pair<const char*, Binding> table[] = {
      {"fromArray", Guard<fromArray>},
      {"fromBytes", Guard<fromBytes>},
      {"toArray", Guard<toArray>},
      {"toBytes", Guard<toBytes>},
      {"item", Guard<item>},
      {"shape", Guard<shape>},
      {"dtype", Guard<dtype>},
      {"device", Guard<device>},
      {"dispose", Guard<dispose>},
      {"zeros", Guard<zeros>},
      {"ones", Guard<ones>},
      {"empty", Guard<empty>},
      {"full", Guard<full>},
      {"randn", Guard<randn>},
      {"rand", Guard<rand>},
      {"arange", Guard<arange>},
      {"randint", Guard<randint>},
      {"to", Guard<to>},
      {"clone", Guard<clone>},
      {"contiguous", Guard<contiguous>},
      {"cudaAvailable", Guard<cudaAvailable>},
  };
  for (const auto& [name, fn] : table) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace posterior
