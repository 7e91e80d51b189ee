//===- ParallelOutline.cpp - Generated kernels split across threads -------===//
//
// After the arena plan, each top-level linalg op of the graph function with
// enough work and a parallel loop `dk` that every operand indexes plainly
// (operand dimension p is exactly dk, or dk does not appear) moves into its own
// function
//
//   func.func private @__nnm_par<N>(%lo: index, %hi: index, %operands...)
//
// which runs the op on the slice [lo, hi) of dk (subviews of the operands
// that dk indexes), and the graph calls it for the whole range. Serialization
// turns that call into nnm_parallel_for(context, task, arguments, range), which
// splits the range over the context's threads (the OpenMP pool oneDNN uses);
// with one thread the function is called once, for the whole range. The
// slices write disjoint parts of the outputs, so results do not depend on the
// thread count.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;

namespace nnm::cpu {

#define GEN_PASS_DEF_CPUPARALLELOUTLINE
#include "nnm/Passes/Cpu/Passes.h.inc"

namespace {

bool plainMemref(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  return m && m.hasStaticShape() && m.getLayout().isIdentity();
}

/// How an operand's indexing map uses loop k: at result `pos` (-1: nowhere)
/// as `coeff * dk + (terms of other loops)`; `plain` when the result is dk.
struct Use {
  int64_t pos = -1;
  int64_t coeff = 0;
  bool plain = false;
};

/// The constant coefficient of dk in `e` when `e` is dk times a positive
/// constant plus terms free of dk (a window: oh * stride + kh); 0 when dk does
/// not appear; -1 when it appears any other way.
int64_t coefficientOf(AffineExpr e, unsigned k) {
  if (!e.isFunctionOfDim(k))
    return 0;
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return d.getPosition() == k ? 1 : 0;
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return -1;
  if (bin.getKind() == AffineExprKind::Add) {
    int64_t l = coefficientOf(bin.getLHS(), k), r = coefficientOf(bin.getRHS(), k);
    return l < 0 || r < 0 || (l && r) ? -1 : l + r;
  }
  if (bin.getKind() == AffineExprKind::Mul) {
    auto c = dyn_cast<AffineConstantExpr>(bin.getRHS());
    int64_t inner = coefficientOf(bin.getLHS(), k);
    return c && c.getValue() > 0 && inner > 0 ? inner * c.getValue() : -1;
  }
  return -1;
}

/// How `map` uses loop k; nullopt when in more than one result or nonlinearly.
std::optional<Use> useOf(AffineMap map, unsigned k) {
  Use u;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    int64_t c = coefficientOf(e, k);
    if (c == 0)
      continue;
    if (c < 0 || u.pos != -1)
      return std::nullopt;
    u = {int64_t(i), c, isa<AffineDimExpr>(e)};
  }
  return u;
}

/// The loop to split and, per operand, how the loop indexes it.
struct Split {
  unsigned loop;
  int64_t trip;
  SmallVector<Use> uses;
  SmallVector<Operation *> constants; ///< scalars from outside, cloned into the task
};

/// The constants that `op` uses from outside (scalar operands, values its
/// body uses from above); false when it uses any other outside scalar.
bool outsideConstants(Operation *op, SmallVectorImpl<Operation *> &out) {
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(op->getRegions(), used);
  for (Value v : op->getOperands())
    if (!isa<ShapedType>(v.getType()))
      used.insert(v);
  for (Value v : used) {
    Operation *def = v.getDefiningOp();
    if (isa<ShapedType>(v.getType()) || !def || !matchPattern(def, m_Constant()) ||
        def->getNumRegions())
      return false;
    if (!llvm::is_contained(out, def))
      out.push_back(def);
  }
  return true;
}

std::optional<Split> chooseSplit(linalg::LinalgOp op, int64_t minWork) {
  if (op->getNumRegions() != 1 || op->getNumResults() != 0)
    return std::nullopt;
  for (Value v : op->getOperands())
    if (isa<ShapedType>(v.getType()) && !plainMemref(v.getType()))
      return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  int64_t work = 1;
  for (int64_t r : ranges)
    work *= r;
  if (work < minWork)
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (unsigned k = 0; k < ranges.size(); ++k) {
    // The innermost loop stays whole (unless it is the only one): a slice of
    // it has a trip count known only at run time, which costs the vectorized
    // loop more than a second thread gains (ResNet-18 codegen: 85 -> 110 ms).
    if (iterators[k] != utils::IteratorType::parallel || ranges[k] < 2 ||
        (k + 1 == ranges.size() && k != 0))
      continue;
    Split s{k, ranges[k], {}, {}};
    bool ok = true;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<ShapedType>(operand.get().getType())) {
        s.uses.push_back({});
        continue;
      }
      std::optional<Use> u = useOf(maps[operand.getOperandNumber()], k);
      // Every output must be sliced plainly by the split loop, or threads would
      // race; inputs may be read through a window (overlapping reads are fine).
      if (!u || (op.isDpsInit(&operand) && !u->plain)) {
        ok = false;
        break;
      }
      s.uses.push_back(*u);
    }
    if (ok && outsideConstants(op, s.constants))
      return s;
  }
  return std::nullopt;
}

/// Where a buffer lives: its base (a graph argument, an arena, a global) and,
/// for a view of an arena at a constant offset, its byte range there.
struct Extent {
  Value base;
  Operation *global = nullptr;
  int64_t begin = 0, end = INT64_MAX;
};

Extent extentOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<memref::ViewOp>(def)) {
      auto type = cast<MemRefType>(view.getType());
      std::optional<int64_t> offset = getConstantIntValue(view.getByteShift());
      if (!offset || !type.hasStaticShape())
        return {view.getSource()};
      int64_t bytes = type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
      return {view.getSource(), nullptr, *offset, *offset + bytes};
    }
    if (isa<memref::GetGlobalOp>(def))
      return {Value(), def};
    if (!isa<ViewLikeOpInterface>(def))
      return {v};
    v = cast<ViewLikeOpInterface>(def).getViewSource();
  }
  return {v};
}

/// True when the buffers cannot share a byte: different graph arguments (the
/// ABI's restrict), different globals, or disjoint ranges of one arena.
bool disjoint(Value a, Value b) {
  Extent x = extentOf(a), y = extentOf(b);
  if (x.global || y.global)
    return x.global != y.global || !x.global;
  if (x.base != y.base)
    return isa<BlockArgument>(x.base) && isa<BlockArgument>(y.base);
  return x.end <= y.begin || y.end <= x.begin;
}

struct CpuParallelOutlinePass : impl::CpuParallelOutlineBase<CpuParallelOutlinePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    int counter = 0;
    SmallVector<func::FuncOp> graphs;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal() && !fn.getSymName().starts_with(kParallelPrefix))
        graphs.push_back(fn);
    for (func::FuncOp fn : graphs) {
      SmallVector<std::pair<linalg::LinalgOp, Split>> work;
      for (Operation &op : fn.getBody().front())
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
          if (auto split = chooseSplit(linalgOp, minWork))
            work.push_back({linalgOp, *split});
      for (auto &[op, split] : work)
        outline(module, symbols, op, split, counter++);
    }
  }

  void outline(ModuleOp module, SymbolTable &symbols, linalg::LinalgOp op, const Split &split,
               int index) {
    MLIRContext *ctx = &getContext();
    Location loc = op.getLoc();
    IndexType indexType = IndexType::get(ctx);
    // Arguments: lo, hi, then each distinct shaped operand once.
    SmallVector<Value> captured;
    SmallVector<Type> argTypes = {indexType, indexType};
    for (Value v : op->getOperands())
      if (isa<ShapedType>(v.getType()) && !llvm::is_contained(captured, v)) {
        captured.push_back(v);
        argTypes.push_back(v.getType());
      }
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    std::string name = std::string(kParallelPrefix) + std::to_string(index);
    auto fn = func::FuncOp::create(mb, loc, name, FunctionType::get(ctx, argTypes, {}));
    fn.setPrivate();
    // Distinct buffers say so (llvm.noalias), as the graph's arena views did
    // through their constant offsets: without it LLVM guards or skips the
    // vectorization of loops that read one and write another.
    bool allDisjoint = true;
    for (size_t i = 0; i < captured.size() && allDisjoint; ++i)
      for (size_t j = i + 1; j < captured.size() && allDisjoint; ++j)
        allDisjoint = disjoint(captured[i], captured[j]);
    if (allDisjoint)
      for (size_t i = 0; i < captured.size(); ++i)
        fn.setArgAttr(2 + i, "llvm.noalias", UnitAttr::get(ctx));
    symbols.insert(fn);
    Block *body = fn.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(body);
    Value lo = body->getArgument(0), hi = body->getArgument(1);
    Value size = arith::SubIOp::create(b, loc, hi, lo);
    IRMapping mapping;
    for (Operation *c : split.constants)
      b.clone(*c, mapping);
    Operation *clone = b.clone(*op.getOperation(), mapping);
    b.setInsertionPoint(clone); // the slices come before their user
    for (OpOperand &operand : clone->getOpOperands()) {
      Value v = op->getOperand(operand.getOperandNumber());
      if (!isa<ShapedType>(v.getType()))
        continue;
      Value arg = body->getArgument(2 + llvm::find(captured, v) - captured.begin());
      const Use &u = split.uses[operand.getOperandNumber()];
      if (u.pos < 0) {
        operand.set(arg);
        continue;
      }
      auto type = cast<MemRefType>(v.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
          sizes, strides(type.getRank(), b.getIndexAttr(1));
      for (int64_t d : type.getShape())
        sizes.push_back(b.getIndexAttr(d));
      if (u.plain) {
        offsets[u.pos] = lo;
        sizes[u.pos] = size;
      } else {
        // A window c * dk + ...: the slice starts at c * lo and runs to the end,
        // so that index e - c * lo inside it is index e of the whole.
        Value start = arith::MulIOp::create(
            b, loc, lo, arith::ConstantIndexOp::create(b, loc, u.coeff));
        offsets[u.pos] = start;
        sizes[u.pos] = Value(arith::SubIOp::create(
            b, loc, arith::ConstantIndexOp::create(b, loc, type.getDimSize(u.pos)), start));
      }
      operand.set(memref::SubViewOp::create(b, loc, arg, offsets, sizes, strides));
    }
    b.setInsertionPointAfter(clone);
    func::ReturnOp::create(b, loc);

    OpBuilder cb(op);
    SmallVector<Value> args = {arith::ConstantIndexOp::create(cb, loc, 0),
                               arith::ConstantIndexOp::create(cb, loc, split.trip)};
    args.append(captured.begin(), captured.end());
    func::CallOp::create(cb, loc, fn, args);
    op->erase();
  }
};

} // namespace
} // namespace nnm::cpu
