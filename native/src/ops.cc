// Tensor operations: elementwise math, neural-network functions, reductions,
// selection and shape manipulation. Binary operations take a tensor or a number.
#include "tensor.h"

namespace posterior {

using Napi::CallbackInfo;
using Napi::Value;

static bool isNumber(const CallbackInfo& info, size_t i) { return info[i].IsNumber(); }

#define UNARY(fname, expr)                       \
  static Value fname(const CallbackInfo& info) { \
    at::Tensor& x = tensorArg(info, 0);          \
    return wrap(info.Env(), (expr));             \
  }

// op(tensor, tensor|number); a number on the left is not needed: callers reorder.
#define BINARY(fname, op)                                                     \
  static Value fname(const CallbackInfo& info) {                              \
    at::Tensor& a = tensorArg(info, 0);                                       \
    if (isNumber(info, 1)) return wrap(info.Env(), op(a, at::Scalar(numberArg(info, 1)))); \
    return wrap(info.Env(), op(a, tensorArg(info, 1)));                       \
  }

BINARY(add, at::add)
BINARY(sub, at::sub)
BINARY(mul, at::mul)
BINARY(div, at::div)
BINARY(pow, at::pow)
BINARY(eq, at::eq)
BINARY(ne, at::ne)
BINARY(lt, at::lt)
BINARY(le, at::le)
BINARY(gt, at::gt)
BINARY(ge, at::ge)
BINARY(remainder, at::remainder)

static Value maximum(const CallbackInfo& info) { return wrap(info.Env(), at::maximum(tensorArg(info, 0), tensorArg(info, 1))); }
static Value minimum(const CallbackInfo& info) { return wrap(info.Env(), at::minimum(tensorArg(info, 0), tensorArg(info, 1))); }
static Value logicalAnd(const CallbackInfo& info) { return wrap(info.Env(), at::logical_and(tensorArg(info, 0), tensorArg(info, 1))); }
static Value logicalOr(const CallbackInfo& info) { return wrap(info.Env(), at::logical_or(tensorArg(info, 0), tensorArg(info, 1))); }

UNARY(neg, at::neg(x))
UNARY(exp, at::exp(x))
UNARY(log, at::log(x))
UNARY(log1p, at::log1p(x))
UNARY(expm1, at::expm1(x))
UNARY(sqrt, at::sqrt(x))
UNARY(rsqrt, at::rsqrt(x))
UNARY(tanh, at::tanh(x))
UNARY(sigmoid, at::sigmoid(x))
UNARY(logSigmoid, at::log_sigmoid(x))
UNARY(relu, at::relu(x))
UNARY(abs, at::abs(x))
UNARY(sign, at::sign(x))
UNARY(square, at::square(x))
UNARY(floor, at::floor(x))
UNARY(logicalNot, at::logical_not(x))
UNARY(isfinite, at::isfinite(x))
UNARY(isnan, at::isnan(x))
UNARY(sin, at::sin(x))
UNARY(cos, at::cos(x))

// where(cond, a|number, b|number)
static Value where(const CallbackInfo& info) {
  at::Tensor& c = tensorArg(info, 0);
  bool an = isNumber(info, 1), bn = isNumber(info, 2);
  if (an && bn) return wrap(info.Env(), at::where(c, at::Scalar(numberArg(info, 1)), at::Scalar(numberArg(info, 2))));
  if (an) return wrap(info.Env(), at::where(c, at::Scalar(numberArg(info, 1)), tensorArg(info, 2)));
  if (bn) return wrap(info.Env(), at::where(c, tensorArg(info, 1), at::Scalar(numberArg(info, 2))));
  return wrap(info.Env(), at::where(c, tensorArg(info, 1), tensorArg(info, 2)));
}

// clamp(x, min|null, max|null)
static Value clamp(const CallbackInfo& info) {
  c10::optional<at::Scalar> lo, hi;
  if (!isMissing(info, 1)) lo = at::Scalar(numberArg(info, 1));
  if (!isMissing(info, 2)) hi = at::Scalar(numberArg(info, 2));
  return wrap(info.Env(), at::clamp(tensorArg(info, 0), lo, hi));
}

static Value matmul(const CallbackInfo& info) { return wrap(info.Env(), at::matmul(tensorArg(info, 0), tensorArg(info, 1))); }
static Value bmm(const CallbackInfo& info) { return wrap(info.Env(), at::bmm(tensorArg(info, 0), tensorArg(info, 1))); }
// linear(x, weight[out,in], bias?)
static Value linear(const CallbackInfo& info) {
  return wrap(info.Env(), at::linear(tensorArg(info, 0), tensorArg(info, 1), optionalTensorArg(info, 2)));
}
// affine(x[..., in], weight[in, out], bias[out]) = x·W + b in one fused GEMM; the
// layout of GPT-2's Conv1D, so checkpoints load without transposing anything.
static Value affine(const CallbackInfo& info) {
  at::Tensor& x = tensorArg(info, 0);
  at::Tensor& w = tensorArg(info, 1);
  at::Tensor& b = tensorArg(info, 2);
  if (x.dim() == 2) return wrap(info.Env(), at::addmm(b, x, w));
  auto sizes = x.sizes().vec();
  sizes.back() = w.size(1);
  return wrap(info.Env(), at::addmm(b, x.reshape({-1, x.size(-1)}), w).view(sizes));
}
// gelu(x, approximate: "none"|"tanh")
static Value gelu(const CallbackInfo& info) {
  std::string approx = isMissing(info, 1) ? "none" : stringArg(info, 1);
  return wrap(info.Env(), at::gelu(tensorArg(info, 0), approx));
}
static Value softmax(const CallbackInfo& info) { return wrap(info.Env(), at::softmax(tensorArg(info, 0), intArg(info, 1))); }
static Value logSoftmax(const CallbackInfo& info) { return wrap(info.Env(), at::log_softmax(tensorArg(info, 0), intArg(info, 1))); }
// layerNorm(x, normalizedShape, weight?, bias?, eps)
static Value layerNorm(const CallbackInfo& info) {
  return wrap(info.Env(), at::layer_norm(tensorArg(info, 0), intListArg(info, 1), optionalTensorArg(info, 2), optionalTensorArg(info, 3), numberArg(info, 4)));
}
// embedding(weight, ids)
static Value embedding(const CallbackInfo& info) { return wrap(info.Env(), at::embedding(tensorArg(info, 0), tensorArg(info, 1))); }
// dropout(x, p, train)
static Value dropout(const CallbackInfo& info) {
  return wrap(info.Env(), at::dropout(tensorArg(info, 0), numberArg(info, 1), boolArg(info, 2, true)));
}
// crossEntropy(logits[N,C], target[N], ignoreIndex, reduction "mean"|"sum"|"none", labelSmoothing)
static Value crossEntropy(const CallbackInfo& info) {
  std::string red = isMissing(info, 3) ? "mean" : stringArg(info, 3);
  int64_t r = red == "none" ? at::Reduction::None : red == "sum" ? at::Reduction::Sum : at::Reduction::Mean;
  double smoothing = isMissing(info, 4) ? 0.0 : numberArg(info, 4);
  return wrap(info.Env(), at::cross_entropy_loss(tensorArg(info, 0), tensorArg(info, 1), {}, r, isMissing(info, 2) ? -100 : intArg(info, 2), smoothing));
}
// sdpa(q, k, v, attnMask?, dropoutP, isCausal, scale?)
static Value sdpa(const CallbackInfo& info) {
  c10::optional<double> scale;
  if (!isMissing(info, 6)) scale = numberArg(info, 6);
  return wrap(info.Env(), at::scaled_dot_product_attention(tensorArg(info, 0), tensorArg(info, 1), tensorArg(info, 2), optionalTensorArg(info, 3),
                                                            isMissing(info, 4) ? 0.0 : numberArg(info, 4), boolArg(info, 5, false), scale));
}
static Value gather(const CallbackInfo& info) { return wrap(info.Env(), at::gather(tensorArg(info, 0), intArg(info, 1), tensorArg(info, 2))); }
static Value indexSelect(const CallbackInfo& info) { return wrap(info.Env(), at::index_select(tensorArg(info, 0), intArg(info, 1), tensorArg(info, 2))); }
static Value maskedFill(const CallbackInfo& info) {
  return wrap(info.Env(), at::masked_fill(tensorArg(info, 0), tensorArg(info, 1), at::Scalar(numberArg(info, 2))));
}
// indexFill(x, dim, index, value): e.g. banning token ids in logits
static Value indexFill(const CallbackInfo& info) {
  return wrap(info.Env(), at::index_fill(tensorArg(info, 0), intArg(info, 1), tensorArg(info, 2), at::Scalar(numberArg(info, 3))));
}
// scatter(x, dim, index, src)
static Value scatter(const CallbackInfo& info) {
  return wrap(info.Env(), at::scatter(tensorArg(info, 0), intArg(info, 1), tensorArg(info, 2), tensorArg(info, 3)));
}

// Reductions over dims (an empty or missing list reduces everything).
#define REDUCE(fname, fn)                                                                     \
  static Value fname(const CallbackInfo& info) {                                              \
    at::Tensor& x = tensorArg(info, 0);                                                       \
    if (isMissing(info, 1)) return wrap(info.Env(), fn(x));                                   \
    return wrap(info.Env(), fn(x, intListArg(info, 1), boolArg(info, 2, false)));             \
  }
REDUCE(sum, at::sum)
REDUCE(mean, at::mean)
REDUCE(amax, at::amax)
REDUCE(amin, at::amin)
static Value logsumexp(const CallbackInfo& info) {
  return wrap(info.Env(), at::logsumexp(tensorArg(info, 0), intListArg(info, 1), boolArg(info, 2, false)));
}
// var(x, dims, unbiased, keepdim)
static Value var(const CallbackInfo& info) {
  return wrap(info.Env(), at::var(tensorArg(info, 0), at::OptionalIntArrayRef(intListArg(info, 1)), boolArg(info, 2, true), boolArg(info, 3, false)));
}
static Value argmax(const CallbackInfo& info) { return wrap(info.Env(), at::argmax(tensorArg(info, 0), intArg(info, 1), boolArg(info, 2, false))); }
// topk(x, k, dim, largest, sorted) → [values, indices]
static Value topk(const CallbackInfo& info) {
  auto r = at::topk(tensorArg(info, 0), intArg(info, 1), intArg(info, 2), boolArg(info, 3, true), boolArg(info, 4, true));
  return wrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
// sort(x, dim, descending) → [values, indices]
static Value sort(const CallbackInfo& info) {
  auto r = at::sort(tensorArg(info, 0), intArg(info, 1), boolArg(info, 2, false));
  return wrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
static Value cumsum(const CallbackInfo& info) { return wrap(info.Env(), at::cumsum(tensorArg(info, 0), intArg(info, 1))); }
// multinomial(probs, n, replacement)
static Value multinomial(const CallbackInfo& info) {
  return wrap(info.Env(), at::multinomial(tensorArg(info, 0), intArg(info, 1), boolArg(info, 2, false)));
}

static Value reshape(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).reshape(intListArg(info, 1))); }
static Value view(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).view(intListArg(info, 1))); }
static Value transpose(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).transpose(intArg(info, 1), intArg(info, 2))); }
static Value permute(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).permute(intListArg(info, 1))); }
static Value expand(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).expand(intListArg(info, 1))); }
static Value squeeze(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).squeeze(intArg(info, 1))); }
static Value unsqueeze(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).unsqueeze(intArg(info, 1))); }
static Value flatten(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).flatten(intArg(info, 1), intArg(info, 2))); }
// slice(x, dim, start, end, step)
static Value slice(const CallbackInfo& info) {
  return wrap(info.Env(), tensorArg(info, 0).slice(intArg(info, 1), intArg(info, 2), intArg(info, 3), isMissing(info, 4) ? 1 : intArg(info, 4)));
}
static Value select(const CallbackInfo& info) { return wrap(info.Env(), tensorArg(info, 0).select(intArg(info, 1), intArg(info, 2))); }
static Value cat(const CallbackInfo& info) { return wrap(info.Env(), at::cat(tensorListArg(info, 0), intArg(info, 1))); }
static Value stack(const CallbackInfo& info) { return wrap(info.Env(), at::stack(tensorListArg(info, 0), intArg(info, 1))); }
static Value split(const CallbackInfo& info) { return wrapList(info.Env(), at::split(tensorArg(info, 0), intArg(info, 1), intArg(info, 2))); }
static Value tril(const CallbackInfo& info) { return wrap(info.Env(), at::tril(tensorArg(info, 0), isMissing(info, 1) ? 0 : intArg(info, 1))); }
static Value triu(const CallbackInfo& info) { return wrap(info.Env(), at::triu(tensorArg(info, 0), isMissing(info, 1) ? 0 : intArg(info, 1))); }

// In-place operations return nothing; they serve caches, optimiser state and fills.
static Value copyInto(const CallbackInfo& info) {
  at::NoGradGuard g;
  tensorArg(info, 0).copy_(tensorArg(info, 1));
  return info.Env().Undefined();
}
static Value fill(const CallbackInfo& info) {
  at::NoGradGuard g;
  tensorArg(info, 0).fill_(numberArg(info, 1));
  return info.Env().Undefined();
}
static Value addInPlace(const CallbackInfo& info) {
  at::NoGradGuard g;
  tensorArg(info, 0).add_(tensorArg(info, 1), isMissing(info, 2) ? 1.0 : numberArg(info, 2));
  return info.Env().Undefined();
}
static Value mulInPlace(const CallbackInfo& info) {
  at::NoGradGuard g;
  tensorArg(info, 0).mul_(numberArg(info, 1));
  return info.Env().Undefined();
}
static Value normalInPlace(const CallbackInfo& info) {
  at::NoGradGuard g;
  tensorArg(info, 0).normal_(numberArg(info, 1), numberArg(info, 2));
  return info.Env().Undefined();
}

void registerOps(Napi::Env env, Napi::Object exports) {
  static const std::pair<const char*, Binding> table[] = {
      {"add", Guard<add>}, {"sub", Guard<sub>}, {"mul", Guard<mul>}, {"div", Guard<div>}, {"pow", Guard<pow>},
      {"eq", Guard<eq>}, {"ne", Guard<ne>}, {"lt", Guard<lt>}, {"le", Guard<le>}, {"gt", Guard<gt>}, {"ge", Guard<ge>},
      {"remainder", Guard<remainder>}, {"maximum", Guard<maximum>}, {"minimum", Guard<minimum>},
      {"logicalAnd", Guard<logicalAnd>}, {"logicalOr", Guard<logicalOr>}, {"logicalNot", Guard<logicalNot>},
      {"neg", Guard<neg>}, {"exp", Guard<exp>}, {"log", Guard<log>}, {"log1p", Guard<log1p>}, {"expm1", Guard<expm1>},
      {"sqrt", Guard<sqrt>}, {"rsqrt", Guard<rsqrt>}, {"tanh", Guard<tanh>}, {"sigmoid", Guard<sigmoid>},
      {"logSigmoid", Guard<logSigmoid>}, {"relu", Guard<relu>}, {"abs", Guard<abs>}, {"sign", Guard<sign>},
      {"square", Guard<square>}, {"floor", Guard<floor>}, {"isfinite", Guard<isfinite>}, {"isnan", Guard<isnan>},
      {"sin", Guard<sin>}, {"cos", Guard<cos>}, {"where", Guard<where>}, {"clamp", Guard<clamp>},
      {"matmul", Guard<matmul>}, {"bmm", Guard<bmm>}, {"linear", Guard<linear>}, {"affine", Guard<affine>}, {"gelu", Guard<gelu>},
      {"softmax", Guard<softmax>}, {"logSoftmax", Guard<logSoftmax>}, {"layerNorm", Guard<layerNorm>},
      {"embedding", Guard<embedding>}, {"dropout", Guard<dropout>}, {"crossEntropy", Guard<crossEntropy>},
      {"sdpa", Guard<sdpa>}, {"gather", Guard<gather>}, {"indexSelect", Guard<indexSelect>},
      {"maskedFill", Guard<maskedFill>}, {"indexFill", Guard<indexFill>}, {"scatter", Guard<scatter>},
      {"sum", Guard<sum>}, {"mean", Guard<mean>}, {"amax", Guard<amax>}, {"amin", Guard<amin>},
      {"logsumexp", Guard<logsumexp>}, {"var", Guard<var>}, {"argmax", Guard<argmax>}, {"topk", Guard<topk>},
      {"sort", Guard<sort>}, {"cumsum", Guard<cumsum>}, {"multinomial", Guard<multinomial>},
      {"reshape", Guard<reshape>}, {"view", Guard<view>}, {"transpose", Guard<transpose>}, {"permute", Guard<permute>},
      {"expand", Guard<expand>}, {"squeeze", Guard<squeeze>}, {"unsqueeze", Guard<unsqueeze>}, {"flatten", Guard<flatten>},
      {"slice", Guard<slice>}, {"select", Guard<select>}, {"cat", Guard<cat>}, {"stack", Guard<stack>},
      {"split", Guard<split>}, {"tril", Guard<tril>}, {"triu", Guard<triu>},
      {"copyInto", Guard<copyInto>}, {"fill", Guard<fill>}, {"addInPlace", Guard<addInPlace>},
      {"mulInPlace", Guard<mulInPlace>}, {"normalInPlace", Guard<normalInPlace>},
  };
  for (const auto& [name, fn] : table) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace posterior
