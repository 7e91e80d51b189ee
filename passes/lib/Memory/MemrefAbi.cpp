//===- MemrefAbi.cpp - Graph function to the library calling convention ---===//
//
// (tensor inputs) -> (tensor results)  becomes  (memref inputs, memref outputs,
// !llvm.ptr context) with `bufferization.to_tensor restrict` on inputs and
// `bufferization.materialize_in_destination` into the outputs, so one-shot
// bufferization writes the last producers straight into the caller's buffers.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Memory/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace nnm::memory {

#define GEN_PASS_DEF_MEMREFABI
#include "nnm/Passes/Memory/Passes.h.inc"

namespace {

MemRefType memrefFor(Type t) {
  auto rt = cast<RankedTensorType>(t);
  return MemRefType::get(rt.getShape(), rt.getElementType());
}

/// A buffer without elements (a dimension of 0) is never read or written, but
/// the bare-pointer calling convention cannot pass a multi-dimensional one: the
/// argument becomes memref<0xT> and the body uses a zero-byte stack buffer of
/// the original type instead.
void hideEmptyBuffers(func::FuncOp fn) {
  Block &entry = fn.getBody().front();
  OpBuilder b(&entry, entry.begin());
  bool changed = false;
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || type.getNumElements() != 0 || type.getRank() == 1)
      continue;
    Value local = memref::AllocaOp::create(b, fn.getLoc(), type);
    arg.replaceAllUsesWith(local);
    arg.setType(MemRefType::get({0}, type.getElementType()));
    changed = true;
  }
  if (changed)
    fn.setType(FunctionType::get(fn.getContext(), entry.getArgumentTypes(), {}));
}

struct MemrefAbiPass : impl::MemrefAbiBase<MemrefAbiPass> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      for (Type t : llvm::concat<const Type>(fn.getArgumentTypes(), fn.getResultTypes())) {
        auto rt = dyn_cast<RankedTensorType>(t);
        if (!rt || !rt.hasStaticShape()) {
          fn.emitError() << "graph function types must be static tensors, got " << t;
          return signalPassFailure();
        }
      }
      Block &entry = fn.getBody().front();
      OpBuilder b(&entry, entry.begin());
      Location loc = fn.getLoc();
      unsigned numInputs = fn.getNumArguments();
      for (unsigned i = 0; i < numInputs; ++i) {
        BlockArgument arg = entry.getArgument(i);
        Type tensorType = arg.getType();
        arg.setType(memrefFor(tensorType));
        auto toTensor = bufferization::ToTensorOp::create(b, loc, tensorType, arg,
                                                          /*restrict=*/true,
                                                          /*writable=*/false);
        arg.replaceAllUsesExcept(toTensor.getResult(), toTensor);
      }
      auto ret = cast<func::ReturnOp>(entry.getTerminator());
      b.setInsertionPoint(ret);
      SmallVector<Type> argTypes(entry.getArgumentTypes());
      for (Value r : ret.getOperands()) {
        BlockArgument out = entry.addArgument(memrefFor(r.getType()), loc);
        argTypes.push_back(out.getType());
        auto mat = bufferization::MaterializeInDestinationOp::create(b, loc, r, out);
        mat.setRestrict(true);
        mat.setWritable(true);
      }
      // The run's context (runtime nnm_context*: thread pool, kernel-library
      // handles, later a CUDA stream) follows the outputs.
      argTypes.push_back(LLVM::LLVMPointerType::get(&getContext()));
      entry.addArgument(argTypes.back(), loc);
      // nnm-onnx-to-linalg records the ONNX-level types (unsigned integers are
      // signless below it); keep them when present.
      if (!fn->hasAttr(kResultTypesAttr)) {
        SmallVector<Attribute> resultTypes;
        for (Type t : fn.getResultTypes())
          resultTypes.push_back(TypeAttr::get(t));
        fn->setAttr(kResultTypesAttr, ArrayAttr::get(&getContext(), resultTypes));
      }
      ret->setOperands({});
      fn.setType(FunctionType::get(&getContext(), argTypes, {}));
      hideEmptyBuffers(fn);
    }
  }
};

} // namespace
} // namespace nnm::memory
