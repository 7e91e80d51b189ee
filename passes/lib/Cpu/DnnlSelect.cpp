//===- DnnlSelect.cpp - Hand convolutions, matmuls and pools to oneDNN ----===//
//
// On the typed ONNX level, each f32 Conv (2-D, constant weights), MatMul and
// Gemm (constant right-hand side) large enough to pay for a library call, and
// each pool fed by such a kernel, becomes one `nnm.dnnl_kernel` op together
// with the single-use chain of ops oneDNN can apply as post-ops: the bias
// (MatMul + Add), Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSwish, Elu, Gelu
// and one residual Add (a sum post-op). The op carries the kernel descriptor
// of nnmodel/kernels.h; oneDNN is asked, here at compile time, whether it has a
// primitive for it and how much scratch memory it needs.
//
// Convolutions and pools run channels-last (NHWC), where oneDNN's kernels are
// fastest (3-40x its NCHW paths on AVX-512): the op takes and returns NHWC
// tensors between two onnx.Transpose ops, and nnm-onnx-optimize then cancels
// the Transpose pairs along chains of kernels, so activations stay NHWC from
// one kernel to the next.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Cpu/Passes.h"
#include "nnm/Passes/OnnxToLinalg/OpTable.h"
#include "nnm/Passes/OnnxToLinalg/Window.h"

#include "nnmodel/kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cfloat>
#include <cstring>

using namespace mlir;

namespace nnm::cpu {

#define GEN_PASS_DEF_CPUDNNLSELECT
#include "nnm/Passes/Cpu/Passes.h.inc"

namespace {

using onnx_to_linalg::constantOf;
using onnx_to_linalg::OnnxNode;

bool isOp(Operation *op, StringRef type) {
  if (!op)
    return false;
  StringRef name = op->getName().getStringRef();
  return name.consume_front("onnx.") && name == type;
}

/// The static f32 tensor type of `v` with `rank` dims, or null.
RankedTensorType f32Static(Value v, int64_t rank) {
  auto t = v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
  if (!t || !t.hasStaticShape() || !t.getElementType().isF32() || t.getRank() != rank)
    return {};
  return t;
}

int64_t floatBits(double d) {
  int64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

/// A kernel being formed: its descriptor, operands and the ops it replaces.
struct Kernel {
  SmallVector<int64_t> desc = SmallVector<int64_t>(NNM_KW_COUNT, 0);
  Value src, weights, bias, sum;
  SmallVector<Operation *> ops;
  bool channelsLast = false;

  void set(int word, ArrayRef<int64_t> values) {
    llvm::copy(values, desc.begin() + word);
  }
  bool addPost(int64_t kind, double alpha = 0, double beta = 0) {
    int64_t &n = desc[NNM_KW_NUM_POST];
    if (n == NNM_MAX_POST)
      return false;
    set(NNM_KW_POST + 3 * n, {kind, floatBits(alpha), floatBits(beta)});
    ++n;
    return true;
  }
};

/// The scalar value of an optional constant input (Clip's min/max), `dflt`
/// when absent; nullopt when present but not a constant scalar.
std::optional<double> scalarInput(const OnnxNode &n, unsigned i, double dflt) {
  Value v = n.input(i);
  if (!v)
    return dflt;
  DenseElementsAttr c = constantOf(v);
  if (!c || c.getNumElements() != 1 || !c.getElementType().isF32())
    return std::nullopt;
  return (double)(*c.getValues<float>().begin());
}

/// Grows `k` along the single-use chain after its last op with the ops oneDNN
/// applies as post-ops. `biasN` > 0 lets a first Add of a constant [N] or
/// [1, N] become the matmul bias.
void absorbPostOps(Kernel &k, int64_t biasN) {
  Value cur = k.ops.back()->getResult(0);
  while (cur.hasOneUse()) {
    Operation *u = *cur.getUsers().begin();
    if (u->getNumResults() != 1 || u->getResult(0).getType() != cur.getType() ||
        !u->getName().getStringRef().starts_with("onnx."))
      return;
    OnnxNode n(u);
    StringRef type = n.opType();
    bool ok = false;
    if (type == "Relu") {
      ok = k.addPost(NNM_POST_RELU);
    } else if (type == "LeakyRelu") {
      ok = k.addPost(NNM_POST_RELU, n.getFloat("alpha", 0.01));
    } else if (type == "Clip") {
      auto lo = scalarInput(n, 1, -FLT_MAX), hi = scalarInput(n, 2, FLT_MAX);
      ok = lo && hi && k.addPost(NNM_POST_CLIP, *lo, *hi);
    } else if (type == "Sigmoid") {
      ok = k.addPost(NNM_POST_SIGMOID);
    } else if (type == "Tanh") {
      ok = k.addPost(NNM_POST_TANH);
    } else if (type == "HardSwish") {
      ok = k.addPost(NNM_POST_HARDSWISH);
    } else if (type == "Elu") {
      ok = k.addPost(NNM_POST_ELU, n.getFloat("alpha", 1.0));
    } else if (type == "Gelu") {
      std::string approx = n.getString("approximate", "none");
      ok = (approx == "none" || approx == "tanh") &&
           k.addPost(approx == "none" ? NNM_POST_GELU_ERF : NNM_POST_GELU_TANH);
    } else if (type == "Add" && n.numInputs() == 2 && n.input(0) != n.input(1)) {
      Value other = n.input(0) == cur ? n.input(1) : n.input(0);
      DenseElementsAttr c = constantOf(other);
      auto ot = dyn_cast<RankedTensorType>(other.getType());
      if (biasN > 0 && !k.bias && k.desc[NNM_KW_NUM_POST] == 0 && c && ot &&
          ot.getElementType().isF32() && ot.getNumElements() == biasN &&
          (ot.getRank() == 1 || (ot.getRank() == 2 && ot.getDimSize(0) == 1))) {
        k.bias = other;
        k.desc[NNM_KW_FLAGS] |= NNM_KF_BIAS;
        ok = true;
      } else if (!k.sum && other.getType() == cur.getType()) {
        ok = k.addPost(NNM_POST_SUM);
        if (ok)
          k.sum = other;
      }
    }
    if (!ok)
      return;
    k.ops.push_back(u);
    cur = u->getResult(0);
  }
}

std::optional<Kernel> matchConv(Operation *op, int64_t minMacs) {
  OnnxNode n(op);
  auto xt = f32Static(n.input(0), 4), wt = f32Static(n.input(1), 4);
  auto yt = op->getNumResults() == 1 ? f32Static(op->getResult(0), 4) : RankedTensorType();
  if (!xt || !wt || !yt || !constantOf(n.input(1)))
    return std::nullopt;
  Value bias = n.input(2);
  if (bias && (!f32Static(bias, 1) || !constantOf(bias)))
    return std::nullopt;
  auto xs = xt.getShape(), ws = wt.getShape(), ys = yt.getShape();
  int64_t group = n.getInt("group", 1);
  auto strides = onnx_to_linalg::spatialAttr(n, "strides", 2, 1);
  auto dil = onnx_to_linalg::spatialAttr(n, "dilations", 2, 1);
  if (group < 1 || failed(strides) || failed(dil))
    return std::nullopt;
  auto pads = onnx_to_linalg::resolvePads(n, {xs[2], xs[3]}, {ws[2], ws[3]}, *strides, *dil);
  if (failed(pads))
    return std::nullopt;
  int64_t macs = ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3];
  if (macs < minMacs)
    return std::nullopt;
  Kernel k;
  k.channelsLast = true;
  k.src = n.input(0);
  k.weights = n.input(1);
  k.bias = bias;
  k.set(NNM_KW_KIND, {NNM_KERNEL_CONV2D});
  k.set(NNM_KW_SRC, xs);
  k.set(NNM_KW_WEIGHTS, ws);
  k.set(NNM_KW_DST, ys);
  k.set(NNM_KW_STRIDES, *strides);
  k.set(NNM_KW_DILATIONS, *dil);
  k.set(NNM_KW_PADS, *pads);
  k.set(NNM_KW_GROUPS, {group});
  k.set(NNM_KW_FLAGS, {bias ? NNM_KF_BIAS : 0});
  k.ops.push_back(op);
  absorbPostOps(k, 0);
  return k;
}

/// MatMul(A, B) and Gemm(A, B, C) with a constant B: a [M, K] x [K, N] product
/// where M is every leading dimension of A.
std::optional<Kernel> matchMatMul(Operation *op, int64_t minMacs) {
  OnnxNode n(op);
  bool gemm = n.opType() == "Gemm";
  Value a = n.input(0), b = n.input(1);
  auto at = a ? dyn_cast<RankedTensorType>(a.getType()) : RankedTensorType();
  if (!at || at.getRank() < 2 || (gemm && at.getRank() != 2) || !f32Static(a, at.getRank()))
    return std::nullopt;
  auto bt = f32Static(b, 2);
  auto yt = op->getNumResults() == 1 ? f32Static(op->getResult(0), at.getRank())
                                     : RankedTensorType();
  if (!bt || !yt || !constantOf(b))
    return std::nullopt;
  bool transB = gemm && n.getInt("transB", 0);
  if (gemm && (n.getInt("transA", 0) || n.getFloat("alpha", 1.0) != 1.0))
    return std::nullopt;
  int64_t k = at.getShape().back(), m = at.getNumElements() / k;
  int64_t nOut = transB ? bt.getDimSize(0) : bt.getDimSize(1);
  if ((transB ? bt.getDimSize(1) : bt.getDimSize(0)) != k || yt.getShape().back() != nOut ||
      m * k * nOut < minMacs)
    return std::nullopt;
  Kernel kern;
  kern.src = a;
  kern.weights = b;
  kern.set(NNM_KW_KIND, {NNM_KERNEL_MATMUL});
  kern.set(NNM_KW_SRC, {m, k});
  kern.set(NNM_KW_WEIGHTS, {k, nOut});
  kern.set(NNM_KW_DST, {m, nOut});
  kern.set(NNM_KW_FLAGS, {transB ? NNM_KF_WEIGHTS_TRANSPOSED : 0});
  if (Value c = gemm ? n.input(2) : Value()) {
    if (n.getFloat("beta", 1.0) != 1.0)
      return std::nullopt;
    auto ct = dyn_cast<RankedTensorType>(c.getType());
    if (constantOf(c) && ct && ct.getElementType().isF32() && ct.getNumElements() == nOut &&
        (ct.getRank() == 1 || (ct.getRank() == 2 && ct.getDimSize(0) == 1))) {
      kern.bias = c;
      kern.desc[NNM_KW_FLAGS] |= NNM_KF_BIAS;
    } else if (c.getType() == yt) {
      kern.sum = c;
      kern.addPost(NNM_POST_SUM);
    } else {
      return std::nullopt;
    }
  }
  kern.ops.push_back(op);
  absorbPostOps(kern, gemm ? 0 : nOut);
  return kern;
}

/// MaxPool, AveragePool and the global pools; unless `anyInput`, only of a
/// tensor that a kernel made (NHWC already: no layout change around them).
std::optional<Kernel> matchPool(Operation *op, bool anyInput) {
  OnnxNode n(op);
  Operation *producer = n.input(0) ? n.input(0).getDefiningOp() : nullptr;
  if (!anyInput &&
      (!isOp(producer, "Transpose") || !producer->getOperand(0).getDefiningOp() ||
       producer->getOperand(0).getDefiningOp()->getName().getStringRef() != "nnm.dnnl_kernel"))
    return std::nullopt;
  auto xt = f32Static(n.input(0), 4);
  auto yt = op->getNumResults() == 1 ? f32Static(op->getResult(0), 4) : RankedTensorType();
  if (!xt || !yt)
    return std::nullopt;
  auto xs = xt.getShape(), ys = yt.getShape();
  StringRef type = n.opType();
  bool global = type.starts_with("Global");
  bool isMax = type.ends_with("MaxPool");
  SmallVector<int64_t> kernel = {xs[2], xs[3]}, strides = {1, 1}, dil = {1, 1},
                       pads = {0, 0, 0, 0};
  int64_t alg = isMax ? NNM_POOL_MAX : NNM_POOL_AVG_EXCLUDE_PAD;
  if (!global) {
    auto ks = n.getInts("kernel_shape");
    auto s = onnx_to_linalg::spatialAttr(n, "strides", 2, 1);
    auto d = onnx_to_linalg::spatialAttr(n, "dilations", 2, 1);
    if (!ks || ks->size() != 2 || failed(s) || failed(d) || (!isMax && (*d)[0] * (*d)[1] != 1))
      return std::nullopt;
    kernel.assign(ks->begin(), ks->end());
    strides = *s;
    dil = *d;
    auto p = onnx_to_linalg::resolvePads(n, {xs[2], xs[3]}, kernel, strides, dil);
    if (failed(p))
      return std::nullopt;
    pads = *p;
    if (!isMax && n.getInt("count_include_pad", 0))
      alg = NNM_POOL_AVG_INCLUDE_PAD;
  }
  // oneDNN sizes windows with floor; a ceil_mode that changes the size stays generated.
  for (int i = 0; i < 2; ++i) {
    int64_t span = xs[2 + i] + pads[i] + pads[2 + i] - (kernel[i] - 1) * dil[i] - 1;
    if (span < 0 || span / strides[i] + 1 != ys[2 + i])
      return std::nullopt;
  }
  Kernel k;
  k.channelsLast = true;
  k.src = n.input(0);
  k.set(NNM_KW_KIND, {NNM_KERNEL_POOL2D});
  k.set(NNM_KW_SRC, xs);
  k.set(NNM_KW_WEIGHTS, kernel);
  k.set(NNM_KW_DST, ys);
  k.set(NNM_KW_STRIDES, strides);
  k.set(NNM_KW_DILATIONS, dil);
  k.set(NNM_KW_PADS, pads);
  k.set(NNM_KW_GROUPS, {alg});
  k.ops.push_back(op);
  return k;
}

RankedTensorType permuted(RankedTensorType t, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  return RankedTensorType::get(shape, t.getElementType());
}

constexpr int64_t kToNhwc[] = {0, 2, 3, 1};
constexpr int64_t kToNchw[] = {0, 3, 1, 2};

FailureOr<Value> transpose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto t = onnx_to_linalg::buildOnnxOp(b, loc, "Transpose", onnx_to_linalg::kMaxOpset, {v},
                                       {b.getNamedAttr("perm", b.getDenseI64ArrayAttr(perm))});
  if (failed(t))
    return failure();
  return (*t)->getResult(0);
}

/// Replaces the kernel's ops by one nnm.dnnl_kernel (between Transposes when
/// it runs channels-last).
LogicalResult rewrite(Kernel &k, int64_t workspace) {
  Operation *last = k.ops.back();
  OpBuilder b(last);
  Location loc = k.ops.front()->getLoc();
  SmallVector<Value> operands;
  SmallVector<Attribute> roles;
  auto add = [&](Value v, StringRef role, bool relayout) -> LogicalResult {
    if (!v)
      return success();
    if (relayout) {
      auto t = transpose(b, loc, v, kToNhwc);
      if (failed(t))
        return failure();
      v = *t;
    }
    operands.push_back(v);
    roles.push_back(b.getStringAttr(role));
    return success();
  };
  if (failed(add(k.src, "src", k.channelsLast)) || failed(add(k.weights, "weights", false)) ||
      failed(add(k.bias, "bias", false)) || failed(add(k.sum, "sum", k.channelsLast)))
    return failure();
  auto resultType = cast<RankedTensorType>(last->getResult(0).getType());
  OperationState st(loc, "nnm.dnnl_kernel");
  st.addOperands(operands);
  st.addTypes(k.channelsLast ? permuted(resultType, kToNhwc) : resultType);
  st.addAttribute("desc", b.getDenseI64ArrayAttr(k.desc));
  st.addAttribute("roles", b.getArrayAttr(roles));
  st.addAttribute("workspace", b.getI64IntegerAttr(workspace));
  Value result = b.create(st)->getResult(0);
  if (k.channelsLast) {
    auto t = transpose(b, loc, result, kToNchw);
    if (failed(t))
      return failure();
    result = *t;
  }
  last->getResult(0).replaceAllUsesWith(result);
  for (Operation *op : llvm::reverse(k.ops))
    op->erase();
  return success();
}

struct CpuDnnlSelectPass : impl::CpuDnnlSelectBase<CpuDnnlSelectPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    // `nnm.target`'s kernels: codegen selects nothing, dnnl every op it can,
    // auto (and no target: a test) ops of at least min-macs.
    int64_t threshold = minMacs;
    if (auto module = fn->getParentOfType<ModuleOp>())
      if (auto target = module->getAttrOfType<DictionaryAttr>("nnm.target"))
        if (auto kernels = target.getAs<StringAttr>("kernels")) {
          if (kernels != "dnnl" && kernels != "auto")
            return;
          if (kernels == "dnnl")
            threshold = 0;
        }
    // Ops in program order; a kernel only erases ops after its first one.
    SmallVector<Operation *> candidates;
    fn.walk([&](Operation *op) {
      if (isOp(op, "Conv") || isOp(op, "MatMul") || isOp(op, "Gemm") || isOp(op, "MaxPool") ||
          isOp(op, "AveragePool") || isOp(op, "GlobalAveragePool") ||
          isOp(op, "GlobalMaxPool"))
        candidates.push_back(op);
    });
    DenseSet<Operation *> erased;
    for (Operation *op : candidates) {
      if (erased.contains(op))
        continue;
      std::optional<Kernel> k;
      StringRef type = op->getName().getStringRef().drop_front(5);
      if (type == "Conv")
        k = matchConv(op, threshold);
      else if (type == "MatMul" || type == "Gemm")
        k = matchMatMul(op, threshold);
      else
        k = matchPool(op, /*anyInput=*/threshold == 0);
      if (!k)
        continue;
      int64_t workspace = 0;
      if (nnm_kernel_workspace_bytes(k->desc.data(), &workspace, nullptr, 0) != 0)
        continue; // oneDNN has no primitive for it: generated code runs it
      for (Operation *o : k->ops)
        erased.insert(o);
      if (failed(rewrite(*k, workspace)))
        return signalPassFailure();
    }
  }
};

} // namespace
} // namespace nnm::cpu
