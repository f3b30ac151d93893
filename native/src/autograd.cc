// Autograd, the AdamW step, gradient clipping, seeding and RNG state, threads.
#include <cmath>
#include <cstring>

#include "tensor.h"

namespace posterior {

using Napi::CallbackInfo;
using Napi::Value;

static Value setRequiresGrad(const CallbackInfo& info) {
  tensorArg(info, 0).requires_grad_(boolArg(info, 1, true));
  return info.Env().Undefined();
}
static Value requiresGrad(const CallbackInfo& info) { return Napi::Boolean::New(info.Env(), tensorArg(info, 0).requires_grad()); }
static Value detach(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).detach()); }

// backward(loss, gradOutput?)
static Value backward(const CallbackInfo& info) {
  at::Tensor& t = tensorArg(info, 0);
  auto g = optionalTensorArg(info, 1);
  t.backward(g.has_value() ? *g : at::Tensor());
  return info.Env().Undefined();
}

static Value grad(const CallbackInfo& info) {
  at::Tensor g = tensorArg(info, 0).grad();
  if (!g.defined()) return info.Env().Null();
  return wrap(info.Env(), g);
}

// zeroGrad(params): drops the gradients (set_to_none, as PyTorch's default).
static Value zeroGrad(const CallbackInfo& info) {
  for (auto& p : tensorListArg(info, 0)) p.mutable_grad() = at::Tensor();
  return info.Env().Undefined();
}

static Value setGradEnabled(const CallbackInfo& info) {
  at::GradMode::set_enabled(boolArg(info, 0, true));
  return info.Env().Undefined();
}
static Value isGradEnabled(const CallbackInfo& info) { return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()); }

// adamwStep(params, expAvg, expAvgSq, step, lr, beta1, beta2, eps, weightDecay):
// one decoupled-weight-decay Adam update, as torch.optim.AdamW's single-tensor path.
static Value adamwStep(const CallbackInfo& info) {
  at::NoGradGuard guard;
  auto params = tensorListArg(info, 0), m = tensorListArg(info, 1), v = tensorListArg(info, 2);
  double step = numberArg(info, 3), lr = numberArg(info, 4), b1 = numberArg(info, 5), b2 = numberArg(info, 6);
  double eps = numberArg(info, 7), wd = numberArg(info, 8);
  if (params.size() != m.size() || params.size() != v.size()) throw std::invalid_argument("adamwStep: parameter and state lists differ in length");
  double bc1 = 1.0 - std::pow(b1, step), bc2sqrt = std::sqrt(1.0 - std::pow(b2, step));
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor& g = params[i].grad();
    if (!g.defined()) continue;
    if (wd != 0.0) params[i].mul_(1.0 - lr * wd);
    m[i].lerp_(g, 1.0 - b1);
    v[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    at::Tensor denom = (v[i].sqrt() / bc2sqrt).add_(eps);
    params[i].addcdiv_(m[i], denom, -lr / bc1);
  }
  return info.Env().Undefined();
}

// clipGradNorm(params, maxNorm) → the total norm before clipping.
static Value clipGradNorm(const CallbackInfo& info) {
  at::NoGradGuard guard;
  auto params = tensorListArg(info, 0);
  double maxNorm = numberArg(info, 1);
  std::vector<at::Tensor> norms;
  for (auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm(2));
  if (norms.empty()) return Napi::Number::New(info.Env(), 0.0);
  double total = at::stack(norms).norm(2).item<double>();
  double coef = maxNorm / (total + 1e-6);
  if (coef < 1.0)
    for (auto& p : params)
      if (p.grad().defined()) p.mutable_grad().mul_(coef);
  return Napi::Number::New(info.Env(), total);
}

static Value manualSeed(const CallbackInfo& info) {
  torch::manual_seed(static_cast<uint64_t>(intArg(info, 0)));
  return info.Env().Undefined();
}

static Value getRngState(const CallbackInfo& info) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  at::Tensor s = gen.get_state();
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), s.numel());
  std::memcpy(out.Data(), s.data_ptr(), s.numel());
  return out;
}

static Value setRngState(const CallbackInfo& info) {
  Napi::Uint8Array in = info[0].As<Napi::Uint8Array>();
  at::Tensor s = at::empty({static_cast<int64_t>(in.ByteLength())}, at::kByte);
  std::memcpy(s.data_ptr(), in.Data(), in.ByteLength());
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(s);
  return info.Env().Undefined();
}

static Value setNumThreads(const CallbackInfo& info) {
  at::set_num_threads(static_cast<int>(intArg(info, 0)));
  return info.Env().Undefined();
}
static Value getNumThreads(const CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }

void registerAutograd(Napi::Env env, Napi::Object exports) {
  static const std::pair<const char*, Binding> table[] = {
      {"setRequiresGrad", Guard<setRequiresGrad>}, {"requiresGrad", Guard<requiresGrad>}, {"detach", Guard<detach>},
      {"backward", Guard<backward>}, {"grad", Guard<grad>}, {"zeroGrad", Guard<zeroGrad>},
      {"setGradEnabled", Guard<setGradEnabled>}, {"isGradEnabled", Guard<isGradEnabled>},
      {"adamwStep", Guard<adamwStep>}, {"clipGradNorm", Guard<clipGradNorm>}, {"manualSeed", Guard<manualSeed>},
      {"getRngState", Guard<getRngState>}, {"setRngState", Guard<setRngState>},
      {"setNumThreads", Guard<setNumThreads>}, {"getNumThreads", Guard<getNumThreads>},
  };
  for (const auto& [name, fn] : table) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace posterior
