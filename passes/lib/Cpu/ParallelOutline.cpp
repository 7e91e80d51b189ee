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

/// The position at which `map` yields exactly dim `k`; -1 when `k` does not
/// appear in `map`; -2 when it appears inside a compound expression or twice.
int64_t plainPosition(AffineMap map, unsigned k) {
  int64_t pos = -1;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      if (d.getPosition() == k) {
        if (pos != -1)
          return -2;
        pos = i;
      }
    } else if (e.isFunctionOfDim(k)) {
      return -2;
    }
  }
  return pos;
}

/// The loop to split and, per operand, the dimension it indexes (-1: none).
struct Split {
  unsigned loop;
  int64_t trip;
  SmallVector<int64_t> positions;
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
    Split s{k, ranges[k], {}};
    bool ok = true;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<ShapedType>(operand.get().getType())) {
        s.positions.push_back(-1);
        continue;
      }
      int64_t p = plainPosition(maps[operand.getOperandNumber()], k);
      bool isInit = op.isDpsInit(&operand);
      // Every output must be sliced by the split loop, or threads would race.
      if (p == -2 || (isInit && p < 0)) {
        ok = false;
        break;
      }
      s.positions.push_back(p);
    }
    if (ok && outsideConstants(op, s.constants))
      return s;
  }
  return std::nullopt;
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
      int64_t p = split.positions[operand.getOperandNumber()];
      if (p < 0) {
        operand.set(arg);
        continue;
      }
      auto type = cast<MemRefType>(v.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
          sizes, strides(type.getRank(), b.getIndexAttr(1));
      for (int64_t d : type.getShape())
        sizes.push_back(b.getIndexAttr(d));
      offsets[p] = lo;
      sizes[p] = size;
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
