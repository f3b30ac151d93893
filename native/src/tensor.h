// The one native type: a JavaScript handle owning an at::Tensor, plus the argument
// helpers every binding uses. The addon holds no model logic: only tensors and the
// operations, autograd and optimiser steps that TypeScript composes.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace posterior {

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, at::Tensor t);
  static bool Is(const Napi::Value& v);

  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

  at::Tensor& tensor(Napi::Env env);
  // Frees the storage now instead of at garbage collection; later use is an error.
  void release(Napi::Env env);

 private:
  void adopt(Napi::Env env, at::Tensor t);
  at::Tensor t_;
  int64_t accounted_ = 0;  // bytes reported to V8 so the GC feels native memory
  bool released_ = false;
};

// Argument access. Each throws a JavaScript TypeError naming the expectation.
at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i);
c10::optional<at::Tensor> optionalTensorArg(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t i);
int64_t intArg(const Napi::CallbackInfo& info, size_t i);
double numberArg(const Napi::CallbackInfo& info, size_t i);
bool boolArg(const Napi::CallbackInfo& info, size_t i, bool fallback);
std::string stringArg(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> intListArg(const Napi::CallbackInfo& info, size_t i);
bool isMissing(const Napi::CallbackInfo& info, size_t i);

at::ScalarType dtypeFromName(const std::string& name);
std::string dtypeName(at::ScalarType t);
at::Device deviceFromName(const std::string& name);

Napi::Value wrap(Napi::Env env, at::Tensor t);
Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts);

// Every binding runs inside this guard so a LibTorch error becomes a JavaScript
// exception carrying LibTorch's message, never an abort of the process.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guard(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

using Binding = Napi::Value (*)(const Napi::CallbackInfo&);

void registerCreation(Napi::Env env, Napi::Object exports);
void registerOps(Napi::Env env, Napi::Object exports);
void registerAutograd(Napi::Env env, Napi::Object exports);

}  // namespace posterior

