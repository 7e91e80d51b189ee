//===- ConvChannelsLast.cpp - Channels-last accumulation of NCHW convs ----===//
#include "nnm/Passes/Cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace nnm::cpu {

#define GEN_PASS_DEF_CPUCONVCHANNELSLAST
#include "nnm/Passes/Cpu/Passes.h.inc"

namespace {

/// The f32 [F, C, KH, KW] filter as [C, KH, KW, F] (on the raw data: filters
/// hold millions of values).
DenseElementsAttr transposeFilter(DenseElementsAttr w) {
  ArrayRef<int64_t> s = w.getType().getShape();
  int64_t f = s[0], c = s[1], kh = s[2], kw = s[3];
  auto type = RankedTensorType::get({c, kh, kw, f}, w.getElementType());
  if (w.isSplat())
    return w.reshape(type);
  auto in = llvm::to_vector(w.getValues<float>());
  SmallVector<float> out(in.size());
  int64_t window = c * kh * kw;
  for (int64_t a = 0; a < f; ++a)
    for (int64_t i = 0; i < window; ++i)
      out[i * f + a] = in[a * window + i];
  return DenseElementsAttr::get(type, ArrayRef<float>(out));
}

LogicalResult rewrite(linalg::Conv2DNchwFchwOp conv, IRRewriter &rewriter) {
  DenseElementsAttr w;
  if (!matchPattern(conv.getInputs()[1], m_Constant(&w)) || !w.getElementType().isF32())
    return failure();
  auto yType = cast<RankedTensorType>(conv.getResultTypes()[0]);
  if (!yType.hasStaticShape())
    return failure();
  // The init must be a splat fill (the lowering starts from zeros).
  auto fill = conv.getOutputs()[0].getDefiningOp<linalg::FillOp>();
  if (!fill)
    return failure();
  auto strides = llvm::to_vector(conv.getStrides().getValues<int64_t>());
  auto dilations = llvm::to_vector(conv.getDilations().getValues<int64_t>());
  ArrayRef<int64_t> ys = yType.getShape(); // n, f, oh, ow
  // The inner loop becomes the output channels: worth it when they outnumber
  // the pixels of a row, which the NCHW order would vectorize instead, or when
  // a stride makes that row a gather and there are enough channels (measured
  // on ResNet-18's and MobileNetV2's stems: 64 channels win, 32 lose).
  bool strided = llvm::any_of(strides, [](int64_t s) { return s != 1; });
  if (ys[1] < ys[3] && !(strided && ys[1] >= 64))
    return failure();
  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  MLIRContext *ctx = rewriter.getContext();
  Value wt = arith::ConstantOp::create(rewriter, loc, transposeFilter(w));
  SmallVector<int64_t> ytShape = {ys[0], ys[2], ys[3], ys[1]};
  Value init = linalg::FillOp::create(
                   rewriter, loc, fill.getInputs()[0],
                   tensor::EmptyOp::create(rewriter, loc, ytShape, yType.getElementType())
                       .getResult())
                   .getResult(0);
  // Loops: n, oh, ow, f (parallel), c, kh, kw (reduction).
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = {
      AffineMap::get(7, 0,
                     {d(0), d(4), d(1) * strides[0] + d(5) * dilations[0],
                      d(2) * strides[1] + d(6) * dilations[1]},
                     ctx),
      AffineMap::get(7, 0, {d(4), d(5), d(6), d(3)}, ctx),
      AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  using IT = utils::IteratorType;
  SmallVector<IT> iters = {IT::parallel,  IT::parallel,  IT::parallel, IT::parallel,
                           IT::reduction, IT::reduction, IT::reduction};
  auto acc = linalg::GenericOp::create(
      rewriter, loc, TypeRange{init.getType()}, ValueRange{conv.getInputs()[0], wt},
      ValueRange{init}, maps, iters, [](OpBuilder &b, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(b, l, a[0], a[1]);
        linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, a[2], p).getResult());
      });
  Value empty = tensor::EmptyOp::create(rewriter, loc, ys, yType.getElementType());
  auto back = linalg::TransposeOp::create(rewriter, loc, acc.getResult(0), empty,
                                          ArrayRef<int64_t>{0, 3, 1, 2});
  rewriter.replaceOp(conv, back.getResult()[0]);
  return success();
}

struct CpuConvChannelsLastPass : impl::CpuConvChannelsLastBase<CpuConvChannelsLastPass> {
  void runOnOperation() override {
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp op) { convs.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (auto conv : convs)
      (void)rewrite(conv, rewriter); // a conv that does not fit keeps its form
  }
};

} // namespace
} // namespace nnm::cpu
