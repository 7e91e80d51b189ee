//===- LibraryCalls.cpp - Matrix products to cuBLAS -------------------------===//
//
// See Passes.td (nnm-gpu-library-calls). linalg's contraction analysis
// splits the loops into batch, m, n and k loops; a contraction qualifies when
// the output is indexed (batch..., m..., n...), each input by its trailing
// batch loops, all of them or none (broadcast: a constant 0 or a missing
// dimension), then (m..., k...) or (k..., m...), resp. (k..., n...) or
// (n..., k...), every buffer is a row-major contiguous f32 memref (any
// offset), and C was just filled with zeros. Several loops of one role make
// one dimension of their product: x[N, S, H] @ W[H, O] has m loops N and S
// (N is in A and C only), a projection reshaped to heads has n loops
// (heads, head_dim).
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Gpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include "nnmodel/cuda.h"

using namespace mlir;

namespace nnm::gpu {

#define GEN_PASS_DEF_GPULIBRARYCALLS
#include "nnm/Passes/Gpu/Passes.h.inc"

namespace {

/// One strided batched SGEMM, as nnm_cuda_gemm takes it.
struct Gemm {
  int64_t batch = 1, m = 0, n = 0, k = 0, flags = 0, strideA = 0, strideB = 0;
  Value a, b, c;
};

/// The op that last wrote `buffer` before `op` in its block (a linalg op with
/// it as an init, or a memref.copy into it), or null when that is unclear: an
/// op that takes `buffer` otherwise, e.g. to make another view of it. Writes
/// into other buffers cannot touch it: the arena plan gives a live buffer
/// bytes of its own, and `buffer` is live from its last write to `op`.
Operation *lastWriter(Operation *op, Value buffer) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    // Uses inside a region (a loop writing `buffer`) count as uses of `prev`.
    bool uses = false;
    prev->walk([&](Operation *inner) {
      uses = uses || llvm::is_contained(inner->getOperands(), buffer);
    });
    if (!uses)
      continue;
    if (!llvm::is_contained(prev->getOperands(), buffer))
      return nullptr; // used in a region: unclear
    if (auto l = dyn_cast<linalg::LinalgOp>(prev)) {
      for (OpOperand &init : l.getDpsInitsMutable())
        if (init.get() == buffer)
          return prev;
      continue; // reads it only
    }
    if (auto copy = dyn_cast<memref::CopyOp>(prev))
      if (copy.getTarget() == buffer)
        return prev;
    return nullptr;
  }
  return nullptr;
}

/// True when `buffer` holds zeros at `op`: its last write is a linalg.fill of
/// 0.0, or a copy of a buffer whose last write is one (bufferization copies a
/// zero-filled init that several products share). The contraction adds onto
/// C, and only a C of zeros lets cuBLAS overwrite it (beta = 0).
bool holdsZeros(Operation *op, Value buffer, int depth = 0) {
  Operation *writer = lastWriter(op, buffer);
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(writer)) {
    FloatAttr value;
    return fill.getDpsInitOperand(0)->get() == buffer &&
           matchPattern(fill.getDpsInputOperand(0)->get(), m_Constant(&value)) &&
           value.getValue().isZero();
  }
  if (depth > 0)
    return false;
  if (auto copy = dyn_cast_or_null<linalg::CopyOp>(writer))
    return holdsZeros(copy, copy.getDpsInputOperand(0)->get(), depth + 1);
  if (auto copy = dyn_cast_or_null<memref::CopyOp>(writer))
    return holdsZeros(copy, copy.getSource(), depth + 1);
  return false;
}

/// A row-major contiguous f32 buffer of static shape.
bool contiguousF32(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  int64_t expected = 1;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    if (type.getDimSize(i) != 1 && strides[i] != expected)
      return false;
    expected *= type.getDimSize(i);
  }
  return true;
}

/// The dimension position of `e`, or -1 for a constant 0 (a broadcast), or -2.
int64_t dimOf(AffineExpr e) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return d.getPosition();
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue() == 0 ? -1 : -2;
  return -2;
}

/// Reads one input's map: its trailing batch loops (all or none), then the
/// matrix: the loops of its rows, then of its columns (several loops each, as
/// reshapes leave them: [heads, head_dim] for a projection's columns), or the
/// columns first (stored transposed). Sets `transposed` and whether the
/// operand walks the batch (`batched`).
bool matrixOperand(AffineMap map, ArrayRef<unsigned> batch, ArrayRef<unsigned> rows,
                   ArrayRef<unsigned> cols, bool &transposed, bool &batched) {
  unsigned rank = map.getNumResults(), matrix = rows.size() + cols.size();
  if (rank < matrix || rank - matrix > batch.size())
    return false;
  unsigned first = rank - matrix;
  auto walks = [&](unsigned from, ArrayRef<unsigned> x, ArrayRef<unsigned> y) {
    unsigned at = from;
    for (ArrayRef<unsigned> group : {x, y})
      for (unsigned d : group)
        if (dimOf(map.getResult(at++)) != int64_t(d))
          return false;
    return true;
  };
  if (walks(first, rows, cols))
    transposed = false;
  else if (walks(first, cols, rows))
    transposed = true;
  else
    return false;
  unsigned own = 0, offset = batch.size() - first;
  for (unsigned i = 0; i < first; ++i) {
    int64_t d = dimOf(map.getResult(i));
    if (d == int64_t(batch[offset + i]))
      ++own;
    else if (d != -1)
      return false;
  }
  // One stride for the flattened batch: every batch loop walked, or none.
  if (own != 0 && (own != batch.size() || offset != 0))
    return false;
  batched = own != 0;
  return true;
}

std::optional<Gemm> matchGemm(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return std::nullopt;
  auto sorted = [](ArrayRef<unsigned> v) {
    SmallVector<unsigned> s(v.begin(), v.end());
    llvm::sort(s);
    return s;
  };
  SmallVector<unsigned> batch = sorted(dims->batch), m = sorted(dims->m),
                        n = sorted(dims->n), k = sorted(dims->k);
  Value a = op.getDpsInputOperand(0)->get(), b = op.getDpsInputOperand(1)->get();
  Value c = op.getDpsInitOperand(0)->get();
  if (!contiguousF32(a) || !contiguousF32(b) || !contiguousF32(c))
    return std::nullopt;
  // The output: (batch..., m..., n...) exactly, so its rows are contiguous.
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() != batch.size() + m.size() + n.size())
    return std::nullopt;
  unsigned at = 0;
  for (ArrayRef<unsigned> group : {ArrayRef<unsigned>(batch), ArrayRef<unsigned>(m),
                                   ArrayRef<unsigned>(n)})
    for (unsigned d : group)
      if (dimOf(out.getResult(at++)) != int64_t(d))
        return std::nullopt;
  Gemm g;
  bool ta, tb, batchedA, batchedB;
  if (!matrixOperand(op.getMatchingIndexingMap(op.getDpsInputOperand(0)), batch, m, k, ta,
                     batchedA) ||
      !matrixOperand(op.getMatchingIndexingMap(op.getDpsInputOperand(1)), batch, k, n, tb,
                     batchedB))
    return std::nullopt;
  if (!holdsZeros(op, c))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto product = [&](ArrayRef<unsigned> loops) {
    int64_t p = 1;
    for (unsigned d : loops)
      p *= ranges[d];
    return p;
  };
  g.batch = product(batch);
  g.m = product(m);
  g.n = product(n);
  g.k = product(k);
  // cuBLAS takes int dimensions and leading dimensions.
  for (int64_t v : {g.batch, g.m, g.n, g.k, g.m * g.k, g.k * g.n, g.m * g.n})
    if (v <= 0 || v > std::numeric_limits<int32_t>::max())
      return std::nullopt;
  g.flags = (ta ? NNM_GEMM_TRANS_A : 0) | (tb ? NNM_GEMM_TRANS_B : 0);
  g.strideA = batchedA ? g.m * g.k : 0;
  g.strideB = batchedB ? g.k * g.n : 0;
  g.a = a;
  g.b = b;
  g.c = c;
  return g;
}

/// One convolution as nnm_cuda_conv2d takes it: its NNM_CONV_* descriptor.
struct Conv {
  SmallVector<int64_t> desc;
  Value x, w, y;
};

int64_t attrAt(DenseIntElementsAttr a, int i) { return a.getValues<int64_t>()[i]; }

/// A dense NCHW convolution (linalg.conv_2d_nchw_fchw) or a grouped one
/// (conv_2d_ngchw_gfchw, whose 5-D buffers are the same bytes as 4-D NCHW
/// ones), over contiguous f32 buffers, into zeros. Its input is already
/// padded: the lowering pads before convolving.
std::optional<Conv> matchConv(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics())
    return std::nullopt;
  DenseIntElementsAttr strides, dilations;
  int64_t groups = 1;
  auto shapeOf = [](Value v) { return cast<MemRefType>(v.getType()).getShape(); };
  Conv c;
  if (auto dense = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation())) {
    strides = dense.getStrides();
    dilations = dense.getDilations();
  } else if (auto grouped = dyn_cast<linalg::Conv2DNgchwGfchwOp>(op.getOperation())) {
    strides = grouped.getStrides();
    dilations = grouped.getDilations();
  } else {
    return std::nullopt;
  }
  c.x = op.getDpsInputOperand(0)->get();
  c.w = op.getDpsInputOperand(1)->get();
  c.y = op.getDpsInitOperand(0)->get();
  if (!contiguousF32(c.x) || !contiguousF32(c.w) || !contiguousF32(c.y) ||
      !holdsZeros(op, c.y))
    return std::nullopt;
  ArrayRef<int64_t> x = shapeOf(c.x), w = shapeOf(c.w), y = shapeOf(c.y);
  int64_t n, ch, h, wd, k, kh, kw, oh, ow;
  if (x.size() == 4) {
    n = x[0], ch = x[1], h = x[2], wd = x[3];
    k = w[0], kh = w[2], kw = w[3], oh = y[2], ow = y[3];
  } else {
    groups = x[1];
    n = x[0], ch = x[1] * x[2], h = x[3], wd = x[4];
    k = w[0] * w[1], kh = w[3], kw = w[4], oh = y[3], ow = y[4];
  }
  c.desc = {n, ch, h, wd, k, kh, kw, oh, ow, attrAt(strides, 0), attrAt(strides, 1),
            attrAt(dilations, 0), attrAt(dilations, 1), groups};
  for (int64_t v : c.desc)
    if (v <= 0 || v > std::numeric_limits<int32_t>::max())
      return std::nullopt;
  return c;
}

/// The device address of `v`'s first element, as the !llvm.ptr the call takes.
Value addressOf(OpBuilder &b, Location loc, Value v) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, v);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, meta.getBaseBuffer());
  Value bytes = arith::MulIOp::create(b, loc, meta.getOffset(),
                                      arith::ConstantIndexOp::create(b, loc, 4));
  Value address = arith::AddIOp::create(b, loc, base, bytes);
  Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), address);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), i64);
}

struct GpuLibraryCallsPass : impl::GpuLibraryCallsBase<GpuLibraryCallsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    Value context = graphContext(fn);
    SmallVector<std::pair<linalg::LinalgOp, Gemm>> found;
    SmallVector<std::pair<linalg::LinalgOp, Conv>> convs;
    fn.walk([&](linalg::LinalgOp op) {
      if (op->getParentOp() != fn.getOperation())
        return; // top level only: a product inside a loop stays generated
      if (std::optional<Gemm> g = matchGemm(op))
        found.push_back({op, *g});
      else if (std::optional<Conv> c = matchConv(op))
        convs.push_back({op, *c});
    });
    if (!context)
      return;
    auto module = fn->getParentOfType<ModuleOp>();
    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = IntegerType::get(ctx, 64);
    Type i32 = IntegerType::get(ctx, 32);
    auto declare = [&](StringRef name, FunctionType type) {
      if (module.lookupSymbol(name))
        return;
      OpBuilder top(module.getBodyRegion());
      func::FuncOp::create(top, module.getLoc(), name, type).setPrivate();
    };
    if (!convs.empty()) {
      declare(kConvFunction, FunctionType::get(ctx, {ptr, i32, ptr, ptr, ptr}, {}));
      SmallVector<Attribute> table;
      if (auto before = module->getAttrOfType<ArrayAttr>(kDnnAttr))
        table.assign(before.begin(), before.end());
      for (auto &[op, c] : convs) {
        OpBuilder b(op);
        Location loc = op.getLoc();
        Value index = arith::ConstantIntOp::create(b, loc, int64_t(table.size()), 32);
        table.push_back(DenseI64ArrayAttr::get(ctx, c.desc));
        func::CallOp::create(b, loc, kConvFunction, TypeRange{},
                             ValueRange{context, index, addressOf(b, loc, c.x),
                                        addressOf(b, loc, c.w), addressOf(b, loc, c.y)});
        op.erase();
      }
      module->setAttr(kDnnAttr, ArrayAttr::get(ctx, table));
    }
    if (found.empty())
      return;
    auto type = FunctionType::get(ctx, {ptr, i64, i64, i64, i64, i64, i64, i64, ptr, ptr, ptr},
                                  {});
    declare(kGemmFunction, type);
    for (auto &[op, g] : found) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto constant = [&](int64_t v) {
        return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
      };
      SmallVector<Value> args = {context,          constant(g.batch),   constant(g.m),
                                 constant(g.n),    constant(g.k),       constant(g.flags),
                                 constant(g.strideA), constant(g.strideB),
                                 addressOf(b, loc, g.a), addressOf(b, loc, g.b),
                                 addressOf(b, loc, g.c)};
      func::CallOp::create(b, loc, kGemmFunction, TypeRange{}, args);
      op.erase();
    }
    int64_t before = 0;
    if (auto count = module->getAttrOfType<IntegerAttr>(kBlasAttr))
      before = count.getInt();
    module->setAttr(kBlasAttr,
                    IntegerAttr::get(IntegerType::get(ctx, 64), before + int64_t(found.size())));
  }
};

} // namespace
} // namespace nnm::gpu
