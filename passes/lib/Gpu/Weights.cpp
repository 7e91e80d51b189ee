//===- Weights.cpp - The graph's constants as one device blob -------------===//
//
// A GPU kernel cannot read the host's constant globals, so every constant the
// graph reads moves into one blob that the runtime uploads once per device,
// and the graph function reads it through a trailing weights argument.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Gpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace nnm::gpu {

#define GEN_PASS_DEF_GPUWEIGHTS
#include "nnm/Passes/Gpu/Passes.h.inc"

namespace {

/// Device loads are fastest from 256-byte aligned buffers (cudaMalloc's own
/// alignment); every constant starts at such an offset.
constexpr int64_t kAlignment = 256;

/// The bytes of `value` as the device reads them (little-endian, dense).
bool rawBytes(ElementsAttr value, MemRefType type, std::string &out) {
  auto dense = dyn_cast<DenseElementsAttr>(value);
  Type element = type.getElementType();
  if (!dense || !element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8)
    return false;
  size_t width = element.getIntOrFloatBitWidth() / 8;
  size_t count = size_t(type.getNumElements());
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    if (raw.size() < width)
      return false;
    out.reserve(out.size() + count * width);
    for (size_t i = 0; i < count; ++i)
      out.append(raw.data(), width);
    return true;
  }
  if (raw.size() != count * width)
    return false;
  out.append(raw.data(), raw.size());
  return true;
}

struct GpuWeightsPass : impl::GpuWeightsBase<GpuWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (fn.isExternal())
        continue;
      SmallVector<memref::GetGlobalOp> reads;
      fn.walk([&](memref::GetGlobalOp op) { reads.push_back(op); });
      std::string blob;
      llvm::StringMap<int64_t> offsets;
      for (memref::GetGlobalOp read : reads) {
        auto global = symbols.lookup<memref::GlobalOp>(read.getName());
        if (!global || !global.getConstant() || !global.getInitialValue()) {
          read.emitError() << "nnm-gpu-weights: kernels can read only constant globals, not @"
                           << read.getName();
          return signalPassFailure();
        }
        if (offsets.count(global.getSymName()))
          continue;
        blob.resize((blob.size() + kAlignment - 1) / kAlignment * kAlignment, '\0');
        offsets[global.getSymName()] = int64_t(blob.size());
        if (!rawBytes(cast<ElementsAttr>(*global.getInitialValue()), global.getType(), blob)) {
          global.emitError() << "nnm-gpu-weights: cannot lay out the constant @"
                             << global.getSymName() << " of type " << global.getType();
          return signalPassFailure();
        }
      }
      int64_t bytes = std::max<int64_t>(
          (int64_t(blob.size()) + kAlignment - 1) / kAlignment * kAlignment, kAlignment);
      blob.resize(size_t(bytes), '\0');

      OpBuilder b(module.getContext());
      auto blobType = MemRefType::get({bytes}, b.getI8Type());
      unsigned argIndex = fn.getNumArguments();
      if (failed(fn.insertArgument(argIndex, blobType, {}, fn.getLoc())))
        return signalPassFailure();
      Value weights = fn.getArgument(argIndex);
      b.setInsertionPointToStart(&fn.getBody().front());
      llvm::StringMap<Value> views;
      for (memref::GetGlobalOp read : reads) {
        Value &view = views[read.getName()];
        if (!view) {
          Value off = arith::ConstantIndexOp::create(b, read.getLoc(), offsets[read.getName()]);
          view = memref::ViewOp::create(b, read.getLoc(), read.getType(), weights, off,
                                        ValueRange{});
        }
        read.replaceAllUsesWith(view);
        read.erase();
      }
      for (auto &entry : offsets)
        if (auto g = symbols.lookup<memref::GlobalOp>(entry.first());
            g && SymbolTable::symbolKnownUseEmpty(g, module))
          symbols.erase(g);

      auto elements = DenseElementsAttr::getFromRawBuffer(
          RankedTensorType::get({bytes}, b.getI8Type()), ArrayRef<char>(blob.data(), blob.size()));
      b.setInsertionPointToStart(module.getBody());
      auto global = memref::GlobalOp::create(
          b, fn.getLoc(), kWeightsSymbol, b.getStringAttr("public"), blobType, elements,
          /*constant=*/true, b.getI64IntegerAttr(kAlignment));
      symbols.insert(global);
      if (global.getSymName() != kWeightsSymbol) {
        fn.emitError() << "nnm-gpu-weights: the module already defines @" << kWeightsSymbol;
        return signalPassFailure();
      }
    }
  }
};

} // namespace
} // namespace nnm::gpu
