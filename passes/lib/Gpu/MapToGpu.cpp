//===- MapToGpu.cpp - The graph's top-level loop nests as GPU launches -----===//
//
// Runs after convert-linalg-to-parallel-loops on the bufferized, arena-planned
// graph function. Upstream's parallel-loop mapping leaves a loop on the host
// whenever a tiled bound is not a multiple of the tile, and the host must never
// touch device memory; this mapping is total instead:
//
//   scf.parallel over N points  ->  gpu.launch of ceil(N/B) blocks of B threads,
//                                    thread t computes point t (delinearized)
//   any other op touching memory ->  a one-thread gpu.launch (consecutive ops
//                                    share one), e.g. 0-d kernels, scans
//
// What stays on the host: ops without memory effects that depend on nothing
// the device computes (constants, index math, views into the arena), stack
// allocations and the return; they move to the top of the function first.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Gpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;

namespace nnm::gpu {

#define GEN_PASS_DEF_GPUMAP
#include "nnm/Passes/Gpu/Passes.h.inc"

namespace {

/// An op the host may run: no memory effects and no regions (a region could
/// hide a load), a stack buffer, or the function's return.
bool staysOnHost(Operation *op) {
  if (isa<func::ReturnOp, memref::AllocaOp>(op))
    return true;
  return op->getNumRegions() == 0 && isMemoryEffectFree(op);
}

/// A launch of `blocks` x `threads` before `at`; the builder is left at the
/// start of its body, before the terminator.
::mlir::gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, int64_t blocks,
                                   int64_t threads) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value gx = arith::ConstantIndexOp::create(b, loc, blocks);
  Value tx = arith::ConstantIndexOp::create(b, loc, threads);
  auto launch = ::mlir::gpu::LaunchOp::create(b, loc, gx, one, one, tx, one, one);
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  ::mlir::gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&body);
  return launch;
}

/// `loop` as one thread per point. Fails (leaving the IR as it was) when its
/// bounds are not constants or it carries reductions.
LogicalResult mapParallel(scf::ParallelOp loop, int64_t blockSize) {
  if (loop.getNumResults() != 0)
    return failure();
  SmallVector<int64_t> lower, count, step;
  int64_t total = 1;
  for (auto [lb, ub, st] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                           s = getConstantIntValue(st);
    if (!l || !u || !s || *s <= 0)
      return failure();
    int64_t n = *u > *l ? (*u - *l + *s - 1) / *s : 0;
    if (n > 0 && total > (int64_t(1) << 40) / n)
      return failure(); // beyond what one 1-D grid covers
    lower.push_back(*l);
    count.push_back(n);
    step.push_back(*s);
    total *= n;
  }
  if (total == 0) {
    loop.erase();
    return success();
  }
  Location loc = loop.getLoc();
  OpBuilder b(loop);
  int64_t threads = std::min(blockSize, total);
  auto launch = createLaunch(b, loc, (total + threads - 1) / threads, threads);
  Value id = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                            arith::ConstantIndexOp::create(b, loc, threads)),
      launch.getThreadIds().x);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, id,
                                        arith::ConstantIndexOp::create(b, loc, total));
  auto guard = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&guard.getThenRegion().front());
  IRMapping map;
  Value rest = id;
  for (int64_t d = int64_t(count.size()) - 1; d >= 0; --d) {
    Value n = arith::ConstantIndexOp::create(b, loc, count[d]);
    Value index = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, n).getResult();
    if (d > 0)
      rest = arith::DivUIOp::create(b, loc, rest, n);
    Value iv = index;
    if (step[d] != 1)
      iv = arith::MulIOp::create(b, loc, iv, arith::ConstantIndexOp::create(b, loc, step[d]));
    if (lower[d] != 0)
      iv = arith::AddIOp::create(b, loc, iv, arith::ConstantIndexOp::create(b, loc, lower[d]));
    map.map(loop.getInductionVars()[d], iv);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, map);
  loop.erase();
  return success();
}

/// Moves `ops` (consecutive top-level ops) into a one-thread launch.
LogicalResult wrapSequential(ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 8> inside(ops.begin(), ops.end());
  for (Operation *op : ops)
    for (Value r : op->getResults())
      for (Operation *user : r.getUsers()) {
        Operation *top = user;
        while (top && !inside.count(top))
          top = top->getParentOp();
        if (!top)
          return op->emitError() << "nnm-gpu-map: this op's result is used on the host, "
                                    "which cannot read device memory";
      }
  OpBuilder b(ops.front());
  auto launch = createLaunch(b, ops.front()->getLoc(), 1, 1);
  Operation *terminator = launch.getBody().front().getTerminator();
  for (Operation *op : ops)
    op->moveBefore(terminator);
  return success();
}

/// Memrefs with a strided layout (subviews) cannot cross the bare-pointer
/// kernel boundary: the launch captures their base buffer instead and
/// rebuilds the view inside.
void rebuildStridedCaptures(::mlir::gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(body, captured);
  for (Value v : captured) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || type.getLayout().isIdentity())
      continue;
    OpBuilder b(launch);
    auto meta = memref::ExtractStridedMetadataOp::create(b, launch.getLoc(), v);
    b.setInsertionPointToStart(&body.front());
    // Static sizes, strides and offset stay attributes, so the rebuilt view
    // has exactly the captured type.
    SmallVector<int64_t> staticStrides;
    int64_t staticOffset;
    if (failed(type.getStridesAndOffset(staticStrides, staticOffset)))
      continue;
    auto fold = [&](int64_t v, Value dynamic) -> OpFoldResult {
      return ShapedType::isDynamic(v) ? OpFoldResult(dynamic) : b.getIndexAttr(v);
    };
    SmallVector<OpFoldResult> sizes, strides;
    for (auto [i, size] : llvm::enumerate(type.getShape()))
      sizes.push_back(fold(size, meta.getSizes()[i]));
    for (auto [i, stride] : llvm::enumerate(staticStrides))
      strides.push_back(fold(stride, meta.getStrides()[i]));
    Value rebuilt = memref::ReinterpretCastOp::create(
        b, launch.getLoc(), type, meta.getBaseBuffer(), fold(staticOffset, meta.getOffset()),
        sizes, strides);
    v.replaceUsesWithIf(rebuilt, [&](OpOperand &use) {
      return body.isAncestor(use.getOwner()->getParentRegion());
    });
  }
}

struct GpuMapPass : impl::GpuMapBase<GpuMapPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    if (blockSize < 1 || blockSize > 1024) {
      fn.emitError() << "nnm-gpu-map: block-size must be in [1, 1024], got " << blockSize;
      return signalPassFailure();
    }
    Block &body = fn.getBody().front();
    // Host ops that depend on nothing the device computes (constants, views
    // into the arena) move to the top, so the rest is device work in order.
    llvm::SmallPtrSet<Operation *, 32> host;
    Operation *hostEnd = nullptr; // the last op of the host prefix
    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (isa<func::ReturnOp>(op) || !staysOnHost(&op))
        continue;
      bool independent = llvm::all_of(op.getOperands(), [&](Value v) {
        Operation *def = v.getDefiningOp();
        return !def || host.count(def);
      });
      if (!independent)
        continue;
      if (hostEnd)
        op.moveAfter(hostEnd);
      else
        op.moveBefore(&body.front());
      hostEnd = &op;
      host.insert(&op);
    }
    SmallVector<SmallVector<Operation *>> groups(1);
    SmallVector<scf::ParallelOp> loops;
    for (Operation &op : body) {
      if (host.count(&op) || isa<func::ReturnOp>(op))
        continue;
      if (isLibraryCall(&op)) { // enqueues on the host, between the launches
        if (!groups.back().empty())
          groups.emplace_back();
        continue;
      }
      auto loop = dyn_cast<scf::ParallelOp>(op);
      if (!loop || loop.getNumResults() != 0) {
        groups.back().push_back(&op);
        continue;
      }
      loops.push_back(loop);
      if (!groups.back().empty())
        groups.emplace_back();
    }
    for (scf::ParallelOp loop : loops)
      if (failed(mapParallel(loop, blockSize)) && failed(wrapSequential({loop.getOperation()})))
        return signalPassFailure();
    for (auto &group : groups)
      if (!group.empty() && failed(wrapSequential(group)))
        return signalPassFailure();
    fn.walk([](::mlir::gpu::LaunchOp launch) { rebuildStridedCaptures(launch); });
  }
};

} // namespace
} // namespace nnm::gpu
