//===- CopyToLinalg.cpp - memref.copy to linalg.copy ----------------------===//
//
// Bufferization emits memref.copy; strided copies would lower to a call into
// MLIR's C runner library, which a generated model must not need. As
// linalg.copy they become plain loops like every other kernel.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace nnm {
namespace {

struct CopyToLinalgPass : PassWrapper<CopyToLinalgPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CopyToLinalgPass)

  StringRef getArgument() const override { return "nnm-copy-to-linalg"; }
  StringRef getDescription() const override {
    return "Rewrite memref.copy as linalg.copy so it lowers to loops";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect>();
  }

  void runOnOperation() override {
    getOperation().walk([](memref::CopyOp copy) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace

std::unique_ptr<Pass> createCopyToLinalgPass() { return std::make_unique<CopyToLinalgPass>(); }

} // namespace nnm
