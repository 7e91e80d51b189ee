//===- ArenaPlan.cpp - Static memory plan into one arena ------------------===//
//
// After bufferization every intermediate buffer is a static memref.alloc. This
// pass computes each buffer's live range in the function body, packs buffers
// whose ranges do not overlap into the same bytes (largest first, first fit),
// and replaces each alloc with a memref.view into a new trailing argument: the
// arena. The arena size becomes the function attribute nnm.arena_bytes, which
// the generated header publishes. A run allocates nothing.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Memory/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace nnm::memory {

#define GEN_PASS_DEF_ARENAPLAN
#include "nnm/Passes/Memory/Passes.h.inc"

namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t first = 0, last = 0; // positions of top-level ops
  int64_t offset = 0;
};

struct ArenaPlanPass : impl::ArenaPlanBase<ArenaPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    if (alignment <= 0 || (alignment & (alignment - 1))) {
      getOperation().emitError() << "nnm-arena-plan: alignment must be a power of two, got "
                                 << alignment;
      return signalPassFailure();
    }
    const int64_t kAlignment = alignment;
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    Block &body = fn.getBody().front();
    DenseMap<Operation *, int64_t> position;
    int64_t pos = 0;
    for (Operation &op : body)
      position[&op] = pos++;
    auto topLevel = [&](Operation *op) {
      while (op->getBlock() != &body)
        op = op->getParentOp();
      return position[op];
    };

    SmallVector<Buffer> buffers;
    bool bad = false;
    fn.walk([&](memref::DeallocOp d) { d.erase(); });
    fn.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
        alloc.emitError() << "cannot place a dynamic or strided buffer in the arena";
        bad = true;
        return;
      }
      Buffer buf;
      buf.alloc = alloc;
      int64_t eltBytes = (type.getElementTypeBitWidth() + 7) / 8;
      buf.bytes = std::max<int64_t>(type.getNumElements() * eltBytes, 1);
      buf.first = buf.last = topLevel(alloc);
      // Follow every value derived from the buffer (views, casts, reshapes).
      SmallVector<Value> work = {alloc.getResult()};
      DenseSet<Value> seen;
      while (!work.empty()) {
        Value v = work.pop_back_val();
        if (!seen.insert(v).second)
          continue;
        for (Operation *user : v.getUsers()) {
          buf.last = std::max(buf.last, topLevel(user));
          // A raw pointer taken from the buffer (a kernel-library call's
          // argument) keeps it alive until that pointer's last use.
          bool pointer = isa<memref::ExtractAlignedPointerAsIndexOp, arith::IndexCastOp,
                             LLVM::IntToPtrOp>(user);
          for (Value r : user->getResults())
            if (pointer || isa<MemRefType>(r.getType()))
              work.push_back(r);
        }
      }
      buffers.push_back(buf);
    });
    if (bad)
      return signalPassFailure();

    // Largest first, then first fit against buffers whose live ranges overlap.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order, [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    SmallVector<Buffer *> placed;
    int64_t arenaBytes = 0;
    for (Buffer *buf : order) {
      SmallVector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *p : placed)
        if (p->first <= buf->last && buf->first <= p->last)
          busy.push_back({p->offset, p->offset + p->bytes});
      llvm::sort(busy);
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        if (offset + buf->bytes <= lo)
          break;
        offset = std::max(offset, (hi + kAlignment - 1) / kAlignment * kAlignment);
      }
      buf->offset = offset;
      arenaBytes = std::max(arenaBytes, offset + buf->bytes);
      placed.push_back(buf);
    }
    arenaBytes = (arenaBytes + kAlignment - 1) / kAlignment * kAlignment;

    auto arenaType = MemRefType::get({std::max<int64_t>(arenaBytes, 1)},
                                     IntegerType::get(&getContext(), 8));
    unsigned argIndex = fn.getNumArguments();
    if (failed(fn.insertArgument(argIndex, arenaType, {}, fn.getLoc())))
      return signalPassFailure();
    Value arena = fn.getArgument(argIndex);
    for (Buffer &buf : buffers) {
      OpBuilder b(buf.alloc);
      Location loc = buf.alloc.getLoc();
      Value off = arith::ConstantIndexOp::create(b, loc, buf.offset);
      Value view = memref::ViewOp::create(b, loc, buf.alloc.getType(), arena, off, ValueRange{});
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    fn->setAttr(kArenaBytesAttr, IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                                  arenaBytes));
  }
};

} // namespace
} // namespace nnm::memory
