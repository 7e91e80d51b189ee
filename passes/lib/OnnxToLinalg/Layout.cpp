//===- Layout.cpp - ONNX DepthToSpace, SpaceToDepth, CenterCropPad --------===//
//
// Ops that rearrange or crop/pad a tensor's layout with compile-time index maps.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/IR/AffineMap.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

// DepthToSpace / SpaceToDepth ------------------------------------------------------

/// Block size and mode ("DCR" or "CRD") of DepthToSpace/SpaceToDepth.
FailureOr<std::pair<int64_t, bool>> blockArgs(const OnnxNode &node) {
  int64_t bs = node.getInt("blocksize", 0);
  if (bs <= 0)
    return node.error() << "needs a positive blocksize attribute", failure();
  std::string mode = node.getString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return node.error() << "unsupported mode '" << mode << "'", failure();
  return std::make_pair(bs, mode == "CRD");
}

/// The output shape of DepthToSpace (`toSpace`) or SpaceToDepth.
FailureOr<SmallVector<int64_t>> blockShape(const OnnxNode &node, bool toSpace) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input", failure();
  auto args = blockArgs(node);
  if (failed(args))
    return failure();
  auto in = shapeOf(node.input(0));
  if (in.size() != 4)
    return node.error() << "input must have rank 4 (N, C, H, W)", failure();
  int64_t bs = args->first, n = in[0], c = in[1], h = in[2], w = in[3];
  auto mul = [](int64_t d, int64_t f) { return d == kDyn ? kDyn : d * f; };
  if (toSpace) {
    if (c != kDyn && c % (bs * bs))
      return node.error() << "channels " << c << " are not a multiple of blocksize^2",
             failure();
    return SmallVector<int64_t>{n, c == kDyn ? kDyn : c / (bs * bs), mul(h, bs), mul(w, bs)};
  }
  if ((h != kDyn && h % bs) || (w != kDyn && w % bs))
    return node.error() << "height and width must be multiples of blocksize " << bs, failure();
  return SmallVector<int64_t>{n, mul(c, bs * bs), h == kDyn ? kDyn : h / bs,
                              w == kDyn ? kDyn : w / bs};
}

LogicalResult inferDepthToSpace(const OnnxNode &node, Types &out) {
  auto shape = blockShape(node, true);
  if (failed(shape))
    return failure();
  out.push_back(tensorOf(*shape, elementTypeOf(node.input(0))));
  return success();
}

LogicalResult inferSpaceToDepth(const OnnxNode &node, Types &out) {
  auto shape = blockShape(node, false);
  if (failed(shape))
    return failure();
  out.push_back(tensorOf(*shape, elementTypeOf(node.input(0))));
  return success();
}

/// out(n, c, y, x) = in(n, channel(c, y mod b, x mod b), y / b, x / b) where the
/// channel is (i*b + j)*C' + c (DCR) or c*b*b + i*b + j (CRD).
Result lowerDepthToSpace(OpBuilder &b, const OnnxNode &node) {
  auto shape = blockShape(node, true);
  if (failed(shape))
    return failure();
  auto [bs, crd] = *blockArgs(node);
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             y = getAffineDimExpr(2, ctx), x = getAffineDimExpr(3, ctx);
  AffineExpr inner = (y % bs) * bs + x % bs;
  AffineExpr channel = crd ? c * (bs * bs) + inner : inner * (*shape)[1] + c;
  auto map = AffineMap::get(4, 0, {n, channel, y.floorDiv(bs), x.floorDiv(bs)}, ctx);
  return Values{gatherByMap(b, node.loc(), node.input(0), *shape, map)};
}

/// out(n, o, h, w) = in(n, c, h*b + i, w*b + j) where o = (i*b + j)*C + c (DCR)
/// or c*b*b + i*b + j (CRD).
Result lowerSpaceToDepth(OpBuilder &b, const OnnxNode &node) {
  auto shape = blockShape(node, false);
  if (failed(shape))
    return failure();
  auto [bs, crd] = *blockArgs(node);
  int64_t cin = shapeOf(node.input(0))[1];
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), o = getAffineDimExpr(1, ctx),
             h = getAffineDimExpr(2, ctx), w = getAffineDimExpr(3, ctx);
  AffineExpr c, i, j;
  if (crd) {
    c = o.floorDiv(bs * bs);
    i = o.floorDiv(bs) % bs;
    j = o % bs;
  } else {
    c = o % cin;
    i = o.floorDiv(cin * bs);
    j = o.floorDiv(cin) % bs;
  }
  auto map = AffineMap::get(4, 0, {n, c, h * bs + i, w * bs + j}, ctx);
  return Values{gatherByMap(b, node.loc(), node.input(0), *shape, map)};
}

// CenterCropPad ----------------------------------------------------------------------

/// Per-dimension target sizes of CenterCropPad (the input's size where no axis names it).
FailureOr<SmallVector<int64_t>> cropPadTarget(const OnnxNode &node, ArrayRef<int64_t> in,
                                              ArrayRef<int64_t> sizes) {
  int64_t rank = in.size();
  auto attrAxes = attrAxesOrAll(node, rank);
  if (failed(attrAxes))
    return failure();
  SmallVector<int64_t> axes = *attrAxes;
  if (sizes.size() != axes.size())
    return node.error() << "shape has " << sizes.size() << " values for " << axes.size()
                        << " axes", failure();
  SmallVector<int64_t> out(in);
  for (size_t k = 0; k < axes.size(); ++k) {
    if (sizes[k] < 0)
      return node.error() << "negative size " << sizes[k], failure();
    out[axes[k]] = sizes[k];
  }
  return out;
}

LogicalResult inferCenterCropPad(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs input_data and shape";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  auto s = constantIntsOf(node, 1);
  if (!s) {
    SmallVector<int64_t> shape(in);
    if (auto a = node.getInts("axes")) {
      for (int64_t v : *a)
        if (v >= -int64_t(in.size()) && v < int64_t(in.size()))
          shape[v < 0 ? v + in.size() : v] = kDyn;
    } else {
      shape.assign(in.size(), kDyn);
    }
    out.push_back(tensorOf(shape, elt));
    return success();
  }
  auto target = cropPadTarget(node, in, *s);
  if (failed(target))
    return failure();
  out.push_back(tensorOf(*target, elt));
  return success();
}

/// Crops (extract_slice) then pads with zeros (tensor.pad), both centred; an
/// odd difference puts the extra element at the end.
Result lowerCenterCropPad(OpBuilder &b, const OnnxNode &node) {
  auto s = constantIntsOf(node, 1, "shape");
  if (!s)
    return failure();
  Value x = node.input(0);
  auto in = shapeOf(x);
  auto target = cropPadTarget(node, in, *s);
  if (failed(target))
    return failure();
  int64_t rank = in.size();
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  SmallVector<int64_t> starts(rank, 0), steps(rank, 1), cropped(in), lo(rank, 0), hi(rank, 0);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t t = (*target)[d];
    if (t < in[d]) {
      starts[d] = (in[d] - t) / 2;
      cropped[d] = t;
    } else if (t > in[d]) {
      lo[d] = (t - in[d]) / 2;
      hi[d] = t - in[d] - lo[d];
    }
  }
  if (llvm::is_contained(cropped, 0))
    return Values{filledTensor(b, l, *target, scalarConst(b, l, elt, 0))};
  Value v = tensor::ExtractSliceOp::create(b, l, RankedTensorType::get(cropped, elt), x,
                                          ValueRange{}, ValueRange{}, ValueRange{}, starts,
                                          cropped, steps);
  if (llvm::all_of(lo, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(hi, [](int64_t p) { return p == 0; }))
    return Values{v};
  SmallVector<OpFoldResult> lof, hif;
  for (int64_t d = 0; d < rank; ++d) {
    lof.push_back(b.getIndexAttr(lo[d]));
    hif.push_back(b.getIndexAttr(hi[d]));
  }
  return Values{tensor::PadOp::create(b, l, RankedTensorType::get(*target, elt), v, lof, hif,
                                      scalarConst(b, l, elt, 0), false)
                    .getResult()};
}

} // namespace

void addLayoutOps(OpTable &t) {
  t.add("DepthToSpace", 1, OpEntry::form(inferDepthToSpace, lowerDepthToSpace));
  t.add("SpaceToDepth", 1, OpEntry::form(inferSpaceToDepth, lowerSpaceToDepth));
  t.add("CenterCropPad", 18, OpEntry::form(inferCenterCropPad, lowerCenterCropPad));
}

} // namespace nnm::onnx_to_linalg
