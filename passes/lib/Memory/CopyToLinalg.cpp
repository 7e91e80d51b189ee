//===- CopyToLinalg.cpp - memref.copy to linalg.copy ----------------------===//
//
// Bufferization emits memref.copy; strided copies would lower to a call into
// MLIR's C runner library, which a generated model must not need. As
// linalg.copy they become plain loops like every other kernel.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Memory/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace nnm::memory {

#define GEN_PASS_DEF_COPYTOLINALG
#include "nnm/Passes/Memory/Passes.h.inc"

namespace {

struct CopyToLinalgPass : impl::CopyToLinalgBase<CopyToLinalgPass> {
  void runOnOperation() override {
    getOperation().walk([](memref::CopyOp copy) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace
} // namespace nnm::memory
