//===- CpuBackend.cpp - The CPU back end: host code for one triple/CPU ----===//
#include "../HostCodegen.h"

#include "nnm/Passes/Pipelines.h"

#include "llvm/TargetParser/Triple.h"

namespace nnm {
namespace {

class CpuBackend : public HostBackend {
public:
  const char *name() const override { return "cpu"; }
  const char *summary() const override {
    return "native code for the --target-triple/--cpu host (default); oneDNN kernels on "
           "x86-64";
  }

  /// oneDNN comes from the runtime, which is built for x86-64 here.
  bool resolveTarget(TargetDescription &target, std::string &error) const override {
    bool x86 = llvm::Triple(target.triple).getArch() == llvm::Triple::x86_64;
    return resolveHostTarget(target, error) && checkKernels(target, name(), x86, error);
  }

  void buildGraphTransforms(mlir::OpPassManager &pm) const override {
    buildCpuGraphPipeline(pm);
  }

  void buildTensorTransforms(mlir::OpPassManager &pm) const override {
    buildCpuTensorPipeline(pm);
  }

  void buildBufferizeAndLower(mlir::OpPassManager &pm,
                              const TargetDescription &) const override {
    buildBufferizePipeline(pm, buildCpuKernelCallsPipeline);
    buildCpuParallelPipeline(pm);
    buildHostLlvmPipeline(pm);
  }
};

} // namespace

std::unique_ptr<TargetBackend> createCpuBackend() { return std::make_unique<CpuBackend>(); }

} // namespace nnm
