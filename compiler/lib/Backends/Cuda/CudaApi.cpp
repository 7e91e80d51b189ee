//===- CudaApi.cpp - The exported C API of a cuda library -----------------===//
//
// A cuda library exports, besides the metadata and version functions:
//   NAME_vN_cuda_create(const nnm_cuda_options *, NAME_vN_cuda_context **)
//   NAME_vN_cuda_run(ctx, device inputs..., device outputs...)    enqueue only
//   NAME_vN_cuda_run_host(ctx, host inputs..., host outputs...)   copies, waits
//   NAME_vN_cuda_destroy(ctx)
// all thin calls into the runtime (nnmodel/cuda.h) with the model's constant
// description: its device images, kernel names and weights. A model whose
// graph calls cuBLAS or cuDNN also attaches them to each context it creates
// (a handle, and cuDNN's per-convolution descriptors and workspace).
//
//===----------------------------------------------------------------------===//
#include "CudaApi.h"

#include "nnm/Compiler/ModelInfo.h"
#include "nnmodel/cuda.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

namespace nnm {
namespace {

/// Staging offsets are aligned like cudaMalloc's allocations.
constexpr int64_t kStagingAlignment = 256;

int64_t alignUp(int64_t v) { return (v + kStagingAlignment - 1) / kStagingAlignment * kStagingAlignment; }

int64_t tensorBytes(const TensorSig &t) { return t.numElements() * int64_t(dtypeBytes(t.dtype)); }

struct Emitter {
  const ModelInfo &info;
  std::vector<CudaImage> images;
  std::vector<std::string> kernelNames;
  std::string weightsSymbol;
  int64_t weightsBytes;
  int64_t arenaBytes;
  bool blas; ///< the graph calls cuBLAS: contexts need nnm_cuda_blas_attach
  std::vector<int64_t> convDescs; ///< NNM_CONV_* words of each cuDNN convolution

  bool operator()(llvm::Module &m, llvm::Function *graph,
                  const llvm::StringMap<std::string> &renamed, std::string &error) const {
    llvm::LLVMContext &c = m.getContext();
    llvm::IRBuilder<> b(c);
    auto *ptr = llvm::PointerType::getUnqual(c);
    auto *i32 = b.getInt32Ty();
    auto *i64 = b.getInt64Ty();
    auto *voidTy = b.getVoidTy();
    const std::string p = info.symbolPrefix();
    auto internal = [&](const std::string &name, llvm::Constant *init) {
      return new llvm::GlobalVariable(m, init->getType(), true,
                                      llvm::GlobalValue::InternalLinkage, init, name);
    };
    auto declare = [&](const char *name, llvm::Type *ret, llvm::ArrayRef<llvm::Type *> args) {
      return m.getOrInsertFunction(name, llvm::FunctionType::get(ret, args, false));
    };

    // The model description (struct nnm_cuda_model).
    auto *imageType = llvm::StructType::get(c, {i32, i32, ptr, i64});
    std::vector<llvm::Constant *> imageEntries;
    for (size_t i = 0; i < images.size(); ++i) {
      const CudaImage &img = images[i];
      auto *data = internal(p + "_cuda_image" + std::to_string(i),
                            llvm::ConstantDataArray::getString(c, img.bytes, false));
      data->setAlignment(llvm::Align(64));
      imageEntries.push_back(llvm::ConstantStruct::get(
          imageType, {b.getInt32(img.sm), b.getInt32(img.isPtx), data,
                      b.getInt64(int64_t(img.bytes.size()))}));
    }
    auto *imagesArray = internal(
        p + "_cuda_images",
        llvm::ConstantArray::get(llvm::ArrayType::get(imageType, imageEntries.size()),
                                 imageEntries));
    std::vector<llvm::Constant *> names;
    for (size_t i = 0; i < kernelNames.size(); ++i)
      names.push_back(internal(p + "_cuda_kernel_name" + std::to_string(i),
                               llvm::ConstantDataArray::getString(c, kernelNames[i], true)));
    auto *namesArray = internal(
        p + "_cuda_kernel_names",
        llvm::ConstantArray::get(llvm::ArrayType::get(ptr, names.size()), names));
    std::string wsym = weightsSymbol;
    if (auto it = renamed.find(wsym); it != renamed.end())
      wsym = it->second;
    llvm::GlobalVariable *weights = m.getNamedGlobal(wsym);
    if (!weights) {
      error = "internal error: the cuda weights blob '" + wsym + "' is missing";
      return false;
    }
    int64_t staging = cudaStagingBytes(info);
    auto *modelType = llvm::StructType::get(c, {ptr, i32, i32, ptr, ptr, i64, i64, i64});
    auto *model = internal(
        p + "_cuda_model",
        llvm::ConstantStruct::get(
            modelType, {imagesArray, b.getInt32(int32_t(images.size())),
                        b.getInt32(int32_t(names.size())), namesArray, weights,
                        b.getInt64(weightsBytes), b.getInt64(arenaBytes),
                        b.getInt64(staging)}));
    // What the model's contexts share, per device (the runtime fills it).
    auto *slot = new llvm::GlobalVariable(m, ptr, false, llvm::GlobalValue::InternalLinkage,
                                          llvm::ConstantPointerNull::get(ptr),
                                          p + "_cuda_state");

    auto define = [&](const std::string &name, llvm::Type *ret,
                      llvm::ArrayRef<llvm::Type *> args) {
      return defineExported(m, b, name, ret, args);
    };
    llvm::Function *f = define(p + "_cuda_create", i32, {ptr, ptr});
    llvm::Value *created =
        b.CreateCall(declare("nnm_cuda_context_create", i32, {ptr, ptr, ptr, ptr}),
                     {model, slot, f->getArg(0), f->getArg(1)});
    // A model with library calls: each context gets its cuBLAS handle and its
    // cuDNN convolutions now; on a failure the context goes again.
    auto destroy = declare("nnm_cuda_context_destroy", voidTy, {ptr});
    if (blas)
      created = emitAttachStep(b, f, created, destroy, [&](llvm::Value *ctx) -> llvm::Value * {
        return b.CreateCall(declare("nnm_cuda_blas_attach", i32, {ptr}), {ctx});
      });
    if (!convDescs.empty()) {
      llvm::SmallVector<uint64_t> words(convDescs.begin(), convDescs.end());
      auto *table = internal(p + "_cuda_convolutions", llvm::ConstantDataArray::get(c, words));
      created = emitAttachStep(b, f, created, destroy, [&](llvm::Value *ctx) -> llvm::Value * {
        return b.CreateCall(declare("nnm_cuda_dnn_attach", i32, {ptr, ptr, i32}),
                            {ctx, table, b.getInt32(int32_t(convDescs.size() / NNM_CONV_WORDS))});
      });
    }
    b.CreateRet(created);
    f = define(p + "_cuda_destroy", voidTy, {ptr});
    b.CreateCall(declare("nnm_cuda_context_destroy", voidTy, {ptr}), {f->getArg(0)});
    b.CreateRetVoid();

    auto begin = declare("nnm_cuda_begin", i32, {ptr});
    auto end = declare("nnm_cuda_end", i32, {ptr});
    auto arenaOf = declare("nnm_cuda_context_arena", ptr, {ptr});
    auto weightsOf = declare("nnm_cuda_context_weights", ptr, {ptr});
    size_t nIn = info.inputs.size(), nArgs = nIn + info.outputs.size();
    llvm::SmallVector<llvm::Type *> runArgs(nArgs + 1, ptr);

    // Checks every pointer, begins, and returns the context; `body` fills in
    // the graph's tensor arguments and may add work around the call.
    auto defineRun = [&](const std::string &name, auto body) {
      llvm::Function *run = define(name, i32, runArgs);
      llvm::Value *bad = b.getFalse();
      for (llvm::Argument &a : run->args())
        bad = b.CreateOr(bad, b.CreateIsNull(&a));
      auto *fail = llvm::BasicBlock::Create(c, "invalid", run);
      auto *go = llvm::BasicBlock::Create(c, "begin", run);
      auto *failedBegin = llvm::BasicBlock::Create(c, "begin_failed", run);
      auto *work = llvm::BasicBlock::Create(c, "run", run);
      b.CreateCondBr(bad, fail, go);
      b.SetInsertPoint(fail);
      b.CreateRet(b.getInt32(1)); // NNM_INVALID_ARGUMENT
      b.SetInsertPoint(go);
      llvm::Value *ctx = run->getArg(0);
      llvm::Value *began = b.CreateCall(begin, {ctx});
      b.CreateCondBr(b.CreateICmpEQ(began, b.getInt32(0)), work, failedBegin);
      b.SetInsertPoint(failedBegin);
      b.CreateRet(began);
      b.SetInsertPoint(work);
      body(run, ctx);
      b.CreateRet(b.CreateCall(end, {ctx}));
    };
    auto callGraph = [&](llvm::Value *ctx, llvm::ArrayRef<llvm::Value *> tensors) {
      llvm::SmallVector<llvm::Value *> args(tensors.begin(), tensors.end());
      args.push_back(ctx);
      args.push_back(b.CreateCall(arenaOf, {ctx}));
      args.push_back(b.CreateCall(weightsOf, {ctx}));
      b.CreateCall(graph, args);
    };
    defineRun(p + "_cuda_run", [&](llvm::Function *run, llvm::Value *ctx) {
      llvm::SmallVector<llvm::Value *> tensors;
      for (size_t i = 1; i <= nArgs; ++i)
        tensors.push_back(run->getArg(unsigned(i)));
      callGraph(ctx, tensors);
    });
    defineRun(p + "_cuda_run_host", [&](llvm::Function *run, llvm::Value *ctx) {
      auto toDevice = declare("nnm_cuda_copy_to_device", voidTy, {ptr, ptr, ptr, i64});
      auto toHost = declare("nnm_cuda_copy_to_host", voidTy, {ptr, ptr, ptr, i64});
      llvm::Value *stagingBase =
          b.CreateCall(declare("nnm_cuda_context_staging", ptr, {ptr}), {ctx});
      llvm::SmallVector<llvm::Value *> tensors;
      int64_t offset = 0;
      for (size_t i = 0; i < nArgs; ++i) {
        const TensorSig &t = i < nIn ? info.inputs[i] : info.outputs[i - nIn];
        llvm::Value *device = b.CreateConstGEP1_64(b.getInt8Ty(), stagingBase, uint64_t(offset));
        if (i < nIn)
          b.CreateCall(toDevice, {ctx, device, run->getArg(unsigned(i + 1)),
                                  b.getInt64(tensorBytes(t))});
        tensors.push_back(device);
        offset += alignUp(tensorBytes(t));
      }
      callGraph(ctx, tensors);
      for (size_t i = nIn; i < nArgs; ++i)
        b.CreateCall(toHost, {ctx, run->getArg(unsigned(i + 1)), tensors[i],
                              b.getInt64(tensorBytes(info.outputs[i - nIn]))});
      b.CreateCall(declare("nnm_cuda_synchronize", voidTy, {ptr}), {ctx});
    });
    return true;
  }
};

} // namespace

int64_t cudaStagingBytes(const ModelInfo &info) {
  int64_t bytes = 0;
  for (const auto *list : {&info.inputs, &info.outputs})
    for (const TensorSig &t : *list)
      bytes += alignUp(tensorBytes(t));
  return bytes;
}

ApiEmitter cudaApiEmitter(const ModelInfo &info, std::vector<CudaImage> images,
                          std::vector<std::string> kernelNames, std::string weightsSymbol,
                          int64_t weightsBytes, bool blas,
                          std::vector<int64_t> convDescs) {
  const TargetBuild *build = info.find("cuda");
  return Emitter{info,
                 std::move(images),
                 std::move(kernelNames),
                 std::move(weightsSymbol),
                 weightsBytes,
                 build ? int64_t(build->arenaBytes) : 0,
                 blas,
                 std::move(convDescs)};
}

} // namespace nnm
