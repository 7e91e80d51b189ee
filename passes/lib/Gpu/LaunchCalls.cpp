//===- LaunchCalls.cpp - gpu.launch_func to the runtime's launch call ------===//
//
// Runs after gpu-kernel-outlining, before the kernels are converted to NVVM:
//  * every outlined kernel moves into one gpu.module, `nnm_kernels`, under
//    its old module's (unique) name, so the library carries one device image
//    per architecture, not one per kernel;
//  * each gpu.launch_func of the graph becomes
//      nnm_cuda_launch(context, kernel index, blocks, threads, params)
//    with `params` an array of pointers to 8-byte slots, one per kernel
//    parameter: a memref's aligned pointer (the bare-pointer convention that
//    convert-gpu-to-nvvm is run with), an index as i64, or a scalar as is.
// The runtime resolves kernels by name; the names, in index order, are the
// module attribute nnm.gpu.kernels.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Gpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace nnm::gpu {

#define GEN_PASS_DEF_GPULAUNCHCALLS
#include "nnm/Passes/Gpu/Passes.h.inc"

namespace {

constexpr const char *kKernelModule = "nnm_kernels";

std::optional<int64_t> constantOf(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
    return c.value();
  return std::nullopt;
}

/// The 64-bit value of one kernel operand as its parameter slot holds it.
Value slotValue(OpBuilder &b, Location loc, Value v) {
  Type i64 = b.getI64Type();
  if (isa<MemRefType>(v.getType())) {
    Value p = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, v);
    return arith::IndexCastUIOp::create(b, loc, i64, p);
  }
  if (v.getType().isIndex())
    return arith::IndexCastOp::create(b, loc, i64, v);
  // A scalar at most 8 bytes wide fills the start of its slot, where the
  // driver reads the parameter's own size.
  if (v.getType().isIntOrFloat() && v.getType().getIntOrFloatBitWidth() <= 64)
    return v;
  return nullptr;
}

struct GpuLaunchCallsPass : impl::GpuLaunchCallsBase<GpuLaunchCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    auto modules = llvm::to_vector(module.getOps<::mlir::gpu::GPUModuleOp>());
    if (modules.empty())
      return;

    // One module for every kernel (outlining names kernels uniquely).
    OpBuilder b(ctx);
    b.setInsertionPoint(modules.front());
    auto merged = ::mlir::gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModule);
    SymbolTable(module).insert(merged);
    SymbolTable mergedSymbols(merged);
    llvm::StringMap<std::string> kernelOf; // "module::kernel" -> merged kernel name
    for (auto m : modules) {
      for (Operation &op : llvm::make_early_inc_range(m.getBody()->without_terminator())) {
        // Outlining names each kernel after the function it came from and
        // its module uniquely: the kernel takes its module's name.
        if (auto f = dyn_cast<::mlir::gpu::GPUFuncOp>(op)) {
          kernelOf[(m.getName() + "::" + f.getName()).str()] = m.getName().str();
          SymbolTable::setSymbolName(f, m.getNameAttr());
        }
        if (auto sym = dyn_cast<SymbolOpInterface>(op)) {
          if (mergedSymbols.lookup(sym.getName())) {
            op.emitError() << "nnm-gpu-launch-calls: two kernel modules define @"
                           << sym.getName();
            return signalPassFailure();
          }
        }
        op.moveBefore(merged.getBody(), merged.getBody()->end());
        if (auto sym = dyn_cast<SymbolOpInterface>(op))
          mergedSymbols.insert(&op);
      }
      m.erase();
    }

    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto launchType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                                  {ptr, i32, i32, i32, ptr});
    SmallVector<std::string> names;
    llvm::StringMap<int32_t> indexOf;
    bool bad = false;
    module.walk([&](::mlir::gpu::LaunchFuncOp launch) {
      Location loc = launch.getLoc();
      auto fn = launch->getParentOfType<func::FuncOp>();
      Value context = fn ? graphContext(fn) : nullptr;
      std::string key =
          (launch.getKernelModuleName().getValue() + "::" + launch.getKernelName().getValue())
              .str();
      auto found = kernelOf.find(key);
      std::optional<int64_t> gx = constantOf(launch.getGridSizeX()),
                             gy = constantOf(launch.getGridSizeY()),
                             gz = constantOf(launch.getGridSizeZ()),
                             bx = constantOf(launch.getBlockSizeX()),
                             by = constantOf(launch.getBlockSizeY()),
                             bz = constantOf(launch.getBlockSizeZ());
      if (!context || found == kernelOf.end() || !gx || !bx || gy != 1 || gz != 1 ||
          by != 1 || bz != 1 || launch.getAsyncToken() || launch.hasClusterSize() ||
          launch.getDynamicSharedMemorySize()) {
        launch.emitError() << "nnm-gpu-launch-calls: expected a synchronous 1-D launch of "
                              "constant size in the graph function";
        bad = true;
        return;
      }
      const std::string &name = found->second;
      auto [it, fresh] = indexOf.try_emplace(name, int32_t(names.size()));
      if (fresh)
        names.push_back(name);

      OpBuilder b(launch);
      ValueRange operands = launch.getKernelOperands();
      Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
      Value count = LLVM::ConstantOp::create(
          b, loc, i64, b.getI64IntegerAttr(std::max<int64_t>(1, operands.size())));
      Value params = LLVM::AllocaOp::create(b, loc, ptr, ptr, count);
      for (auto [i, v] : llvm::enumerate(operands)) {
        Value value = slotValue(b, loc, v);
        if (!value) {
          launch.emitError() << "nnm-gpu-launch-calls: kernel operand " << i << " of type "
                             << v.getType() << " has no parameter slot";
          bad = true;
          return;
        }
        Value slot = LLVM::AllocaOp::create(b, loc, ptr, i64, one);
        LLVM::StoreOp::create(b, loc, value, slot);
        Value at = LLVM::GEPOp::create(b, loc, ptr, ptr, params,
                                       ArrayRef<LLVM::GEPArg>{int32_t(i)});
        LLVM::StoreOp::create(b, loc, slot, at);
      }
      auto i32Constant = [&](int64_t v) {
        return LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(int32_t(v)));
      };
      LLVM::CallOp::create(b, loc, launchType, kLaunchFunction,
                           ValueRange{context, i32Constant(it->second), i32Constant(*gx),
                                      i32Constant(*bx), params});
      launch.erase();
    });
    if (bad)
      return signalPassFailure();
    if (!names.empty() && !module.lookupSymbol(kLaunchFunction)) {
      OpBuilder top(module.getBodyRegion());
      LLVM::LLVMFuncOp::create(top, module.getLoc(), kLaunchFunction, launchType);
    }
    SmallVector<Attribute> attrs;
    for (const std::string &n : names)
      attrs.push_back(StringAttr::get(ctx, n));
    module->setAttr(kKernelsAttr, ArrayAttr::get(ctx, attrs));
  }
};

} // namespace

Value graphContext(func::FuncOp fn) {
  for (BlockArgument a : fn.getArguments())
    if (isa<LLVM::LLVMPointerType>(a.getType()))
      return a;
  return nullptr;
}

bool isLibraryCall(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee().starts_with("nnm_cuda_");
}

} // namespace nnm::gpu
