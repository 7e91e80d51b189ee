//===- CudaBackend.cpp - The cuda back end: GPU kernels in a static library ===//
//
// Host code for the --target-triple (x86-64 by default) that enqueues kernels
// on the caller's stream through the runtime (nnmodel/cuda.h), and device code
// embedded in the library: one cubin per --cuda-arch, assembled by the
// toolkit's ptxas from PTX that MLIR's NVVM path emits, plus the PTX of the
// newest architecture for GPUs newer than all of them.
//
// Stages: tensor transforms = elementwise fusion; bufferize+lower = the
// target-neutral arena plan, then buildCudaLowerPipeline (weights blob, loops
// to launches, kernels to PTX, host to the LLVM dialect); serialize = ptxas per
// architecture and the host object with the cuda API (CudaApi.cpp).
//
//===----------------------------------------------------------------------===//
#include "../HostCodegen.h"
#include "CudaApi.h"

#include "nnm/Compiler/ModelInfo.h"
#include "nnm/Passes/Gpu/Passes.h"
#include "nnm/Passes/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdlib>

namespace nnm {
namespace {

constexpr const char *kDefaultArchs[] = {"sm_80", "sm_90"};
/// CUDA 13's ptxas assembles nothing older than Turing.
constexpr int kOldestSm = 75;

/// "sm_80" -> 80; 0 when `arch` is not of that form.
int smOf(const std::string &arch) {
  if (arch.size() < 5 || arch.compare(0, 3, "sm_") != 0)
    return 0;
  int sm = 0;
  for (size_t i = 3; i < arch.size(); ++i) {
    if (arch[i] < '0' || arch[i] > '9' || sm > 10000)
      return 0;
    sm = sm * 10 + (arch[i] - '0');
  }
  return sm;
}

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

/// Assembles `ptx` for `arch` with the toolkit's ptxas.
bool assemble(const std::string &ptxas, const std::string &ptx, const std::string &arch,
              std::string &cubin, std::string &error) {
  TempFile in, out, log;
  if (llvm::sys::fs::createTemporaryFile("nnmodel-kernels", "ptx", in.path) ||
      llvm::sys::fs::createTemporaryFile("nnmodel-kernels", "cubin", out.path) ||
      llvm::sys::fs::createTemporaryFile("nnmodel-ptxas", "log", log.path)) {
    error = "cannot create temporary files for ptxas";
    return false;
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(in.path, ec);
    if (ec) {
      error = "cannot write " + in.path.str().str() + ": " + ec.message();
      return false;
    }
    os << ptx;
  }
  std::string archFlag = "-arch=" + arch;
  llvm::SmallVector<llvm::StringRef> args = {ptxas, archFlag, "-O3", in.path, "-o", out.path};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.path.str(), log.path.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0, 0, &message);
  if (rc != 0) {
    auto text = llvm::MemoryBuffer::getFile(log.path);
    error = "ptxas failed for " + arch + (message.empty() ? "" : " (" + message + ")") +
            (text ? ": " + (*text)->getBuffer().trim().str() : std::string());
    return false;
  }
  auto bytes = llvm::MemoryBuffer::getFile(out.path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!bytes) {
    error = "ptxas wrote no cubin for " + arch;
    return false;
  }
  cubin = (*bytes)->getBuffer().str();
  return true;
}

class CudaBackend : public TargetBackend {
public:
  const char *name() const override { return "cuda"; }
  const char *apiName() const override { return "cuda"; }
  const char *summary() const override {
    return "NVIDIA GPUs: kernels embedded as cubins (--cuda-arch) and PTX, run on the "
           "caller's stream; the program runs without CUDA too (NNM_NO_DEVICE)";
  }

  bool resolveTarget(TargetDescription &target, std::string &error) const override {
    // auto (the default): matrix products on cuBLAS, the rest generated;
    // codegen: every kernel generated.
    if (target.kernels.empty())
      target.kernels = "auto";
    if (target.kernels != "codegen" && target.kernels != "auto") {
      error = "--kernels " + target.kernels +
              ": the cuda back end offers auto (matrix products on cuBLAS, the rest "
              "generated) and codegen (every kernel generated)";
      return false;
    }
    if (llvm::Triple(target.triple).getArch() != llvm::Triple::x86_64) {
      error = "--target cuda: host code for " + target.triple +
              " is not supported (the runtime's CUDA loader is built for x86-64 Linux)";
      return false;
    }
    if (!resolveHostTarget(target, error))
      return false;
    if (target.deviceArchs.empty())
      target.deviceArchs.assign(std::begin(kDefaultArchs), std::end(kDefaultArchs));
    std::vector<std::string> unique;
    for (const std::string &arch : target.deviceArchs) {
      int sm = smOf(arch);
      if (sm < kOldestSm) {
        error = "--cuda-arch '" + arch + "': expected sm_XY with XY >= " +
                std::to_string(kOldestSm) + " (e.g. sm_80,sm_90)";
        return false;
      }
      if (std::find(unique.begin(), unique.end(), arch) == unique.end())
        unique.push_back(arch);
    }
    std::sort(unique.begin(), unique.end(),
              [](const std::string &a, const std::string &b) { return smOf(a) < smOf(b); });
    target.deviceArchs = unique;
    if (target.cudaPath.empty()) {
      const char *env = std::getenv("CUDA_PATH");
      target.cudaPath = env && *env ? env : "/usr/local/cuda";
    }
    llvm::SmallString<128> ptxas(target.cudaPath), libdevice(target.cudaPath);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    for (const auto &need : {ptxas, libdevice})
      if (!llvm::sys::fs::exists(need)) {
        error = "--target cuda needs the CUDA toolkit: " + need.str().str() +
                " not found (set --cuda-path or CUDA_PATH)";
        return false;
      }
    return true;
  }

  void buildTensorTransforms(mlir::OpPassManager &pm) const override {
    // Contractions keep plain operands: matrix products become cuBLAS calls.
    buildElementwiseFusionPipeline(pm, /*keepContractions=*/true);
  }

  void buildBufferizeAndLower(mlir::OpPassManager &pm,
                              const TargetDescription &target) const override {
    buildBufferizePipeline(pm);
    CudaLowerOptions options;
    options.archs = target.deviceArchs;
    options.toolkitPath = target.cudaPath;
    options.libraryCalls = target.kernels == "auto";
    buildCudaLowerPipeline(pm, options);
  }

  bool serialize(mlir::ModuleOp module, const TargetDescription &target, const ModelInfo &info,
                 const std::string &metadataJson, bool wantLlvmText,
                 const ReleaseModuleFn &releaseModule, SerializedTarget &out,
                 std::string &error) const override {
    // The PTX of each architecture, from the one gpu.binary of the kernels.
    std::vector<CudaImage> images;
    std::string newestPtx;
    llvm::SmallString<128> ptxas(target.cudaPath);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    for (auto binary : llvm::make_early_inc_range(module.getOps<mlir::gpu::BinaryOp>())) {
      for (mlir::Attribute a : binary.getObjects()) {
        auto object = mlir::cast<mlir::gpu::ObjectAttr>(a);
        auto nvvm = mlir::dyn_cast<mlir::NVVM::NVVMTargetAttr>(object.getTarget());
        if (!nvvm || object.getFormat() != mlir::gpu::CompilationTarget::Assembly) {
          error = "internal error: expected PTX objects for NVVM targets";
          return false;
        }
        std::string arch = nvvm.getChip().str();
        std::string ptx = object.getObject().getValue().str();
        CudaImage image;
        image.sm = smOf(arch);
        if (!assemble(ptxas.str().str(), ptx, arch, image.bytes, error))
          return false;
        out.payloads.push_back({info.name + "." + arch + ".cubin", image.bytes});
        if (images.empty() || image.sm > images.back().sm)
          newestPtx = ptx;
        images.push_back(std::move(image));
      }
      binary.erase();
    }
    std::vector<std::string> kernels;
    if (auto names = module->getAttrOfType<mlir::ArrayAttr>(gpu::kKernelsAttr))
      for (mlir::Attribute n : names)
        kernels.push_back(mlir::cast<mlir::StringAttr>(n).str());
    if (!newestPtx.empty()) {
      CudaImage ptx;
      ptx.sm = images.back().sm;
      ptx.isPtx = true;
      ptx.bytes = newestPtx + '\0';
      images.push_back(std::move(ptx));
    }
    std::vector<int64_t> convs; // NNM_CONV_WORDS words per cuDNN convolution
    if (auto table = module->getAttrOfType<mlir::ArrayAttr>(gpu::kDnnAttr))
      for (mlir::Attribute a : table)
        for (int64_t w : mlir::cast<mlir::DenseI64ArrayAttr>(a).asArrayRef())
          convs.push_back(w);
    int64_t weightsBytes = 0;
    if (auto g = module.lookupSymbol<mlir::LLVM::GlobalOp>(gpu::kWeightsSymbol))
      if (auto v = mlir::dyn_cast_or_null<mlir::ElementsAttr>(g.getValueOrNull()))
        weightsBytes = v.getNumElements();
    return serializeHostModule(
        module, target, info, metadataJson, wantLlvmText, releaseModule, out, error,
        cudaApiEmitter(info, std::move(images), std::move(kernels), gpu::kWeightsSymbol,
                       weightsBytes, module->hasAttr(gpu::kBlasAttr), std::move(convs)));
  }
};

} // namespace

std::unique_ptr<TargetBackend> createCudaBackend() { return std::make_unique<CudaBackend>(); }

} // namespace nnm
