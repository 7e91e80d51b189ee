//===- DnnlCalls.cpp - nnm.dnnl_kernel ops to runtime calls ---------------===//
//
// Runs after nnm-memref-abi (the graph has its context argument) and before
// one-shot bufferization. Each `nnm.dnnl_kernel` becomes
//
//   %dst = memref.alloc()                  // the result, planned in the arena
//   %ws  = memref.alloc() : memref<Bxi8>   // oneDNN's scratchpad, ditto
//   call @nnm_kernel_run(%ctx, index, src, sum, dst, ws)   // raw pointers
//   %r = bufferization.to_tensor %dst restrict writable
//
// with its tensor operands read through `bufferization.to_buffer read_only`.
// Constant weights and biases become private memref.globals; the module
// attribute `nnm.kernels` lists, per kernel index, its descriptor, the globals
// and the workspace size, from which serialization emits the kernel table that
// NAME_create attaches (nnmodel/kernels.h).
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Cpu/Passes.h"

#include "nnmodel/kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace nnm::cpu {

#define GEN_PASS_DEF_CPUDNNLCALLS
#include "nnm/Passes/Cpu/Passes.h.inc"

namespace {

constexpr const char *kRunSymbol = "nnm_kernel_run";

MemRefType memrefOf(Type t) {
  auto rt = cast<RankedTensorType>(t);
  return MemRefType::get(rt.getShape(), rt.getElementType());
}

struct CpuDnnlCallsPass : impl::CpuDnnlCallsBase<CpuDnnlCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<Operation *> kernels;
    module.walk([&](Operation *op) {
      if (op->getName().getStringRef() == "nnm.dnnl_kernel")
        kernels.push_back(op);
    });
    if (kernels.empty())
      return;
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    SymbolTable symbols(module);
    if (!symbols.lookup(kRunSymbol)) {
      auto decl = func::FuncOp::create(
          mb, module.getLoc(), kRunSymbol,
          FunctionType::get(ctx, {ptrType, i32, ptrType, ptrType, ptrType, ptrType}, {}));
      decl.setPrivate();
    }

    SmallVector<Attribute> table;
    auto global = [&](Value v, StringRef what, int64_t index) -> FailureOr<StringAttr> {
      DenseElementsAttr c;
      if (!matchPattern(v, m_Constant(&c)))
        return v.getDefiningOp() ? v.getDefiningOp()->emitError()
                                       << "nnm.dnnl_kernel: " << what << " must be a constant",
               failure() : failure();
      std::string name = "__nnm_kernel" + std::to_string(index) + "_" + what.str();
      auto g = memref::GlobalOp::create(mb, v.getLoc(), name, mb.getStringAttr("private"),
                                        memrefOf(v.getType()), c, /*constant=*/true,
                                        mb.getI64IntegerAttr(64));
      symbols.insert(g);
      return g.getSymNameAttr();
    };

    for (auto [index, op] : llvm::enumerate(kernels)) {
      auto fn = op->getParentOfType<func::FuncOp>();
      if (!fn || fn.getNumArguments() == 0 ||
          !isa<LLVM::LLVMPointerType>(fn.getArgumentTypes().back())) {
        op->emitError() << "nnm.dnnl_kernel outside a graph function with a context argument "
                           "(run nnm-memref-abi first)";
        return signalPassFailure();
      }
      Value context = fn.getArguments().back();
      auto desc = op->getAttrOfType<DenseI64ArrayAttr>("desc");
      auto roles = op->getAttrOfType<ArrayAttr>("roles");
      auto workspace = op->getAttrOfType<IntegerAttr>("workspace");
      if (!desc || desc.size() != NNM_KW_COUNT || !roles ||
          roles.size() != op->getNumOperands() || !workspace || op->getNumResults() != 1) {
        op->emitError() << "malformed nnm.dnnl_kernel (desc of " << int(NNM_KW_COUNT)
                        << " words, one role per operand, workspace, one result)";
        return signalPassFailure();
      }
      OpBuilder b(op);
      Location loc = op->getLoc();
      Value src, sum;
      StringAttr weights = mb.getStringAttr(""), bias = mb.getStringAttr("");
      for (auto [role, operand] : llvm::zip(roles, op->getOperands())) {
        StringRef r = cast<StringAttr>(role).getValue();
        if (r == "src" || r == "sum") {
          Value buf = bufferization::ToBufferOp::create(b, loc, memrefOf(operand.getType()),
                                                        operand, /*read_only=*/true);
          (r == "src" ? src : sum) = buf;
        } else if (r == "weights" || r == "bias") {
          auto sym = global(operand, r, index);
          if (failed(sym))
            return signalPassFailure();
          (r == "weights" ? weights : bias) = *sym;
        } else {
          op->emitError() << "nnm.dnnl_kernel: unknown operand role '" << r << "'";
          return signalPassFailure();
        }
      }
      if (!src) {
        op->emitError() << "nnm.dnnl_kernel without a src operand";
        return signalPassFailure();
      }
      Type resultType = op->getResult(0).getType();
      Value dst = memref::AllocOp::create(b, loc, memrefOf(resultType), b.getI64IntegerAttr(64));
      Value ws;
      if (workspace.getInt() > 0)
        ws = memref::AllocOp::create(
            b, loc, MemRefType::get({workspace.getInt()}, b.getI8Type()),
            b.getI64IntegerAttr(64));
      auto pointer = [&](Value m) -> Value {
        if (!m)
          return LLVM::ZeroOp::create(b, loc, ptrType);
        Value i = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, m);
        Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
        return LLVM::IntToPtrOp::create(b, loc, ptrType, i64);
      };
      SmallVector<Value> args = {context,
                                 arith::ConstantIntOp::create(b, loc, i32, index),
                                 pointer(src), pointer(sum), pointer(dst), pointer(ws)};
      func::CallOp::create(b, loc, kRunSymbol, TypeRange{}, args);
      Value result = bufferization::ToTensorOp::create(b, loc, resultType, dst,
                                                       /*restrict=*/b.getUnitAttr(),
                                                       /*writable=*/b.getUnitAttr());
      op->getResult(0).replaceAllUsesWith(result);
      table.push_back(DictionaryAttr::get(
          ctx, {b.getNamedAttr("desc", desc), b.getNamedAttr("weights", weights),
                b.getNamedAttr("bias", bias), b.getNamedAttr("workspace", workspace)}));
      op->erase();
    }
    module->setAttr(kKernelTableAttr, ArrayAttr::get(ctx, table));
  }
};

} // namespace
} // namespace nnm::cpu
