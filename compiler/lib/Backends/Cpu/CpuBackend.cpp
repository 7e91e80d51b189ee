//===- CpuBackend.cpp - The CPU back end: host code for one triple/CPU ----===//
#include "../HostCodegen.h"

#include "nnm/Passes/Pipelines.h"

namespace nnm {
namespace {

class CpuBackend : public HostBackend {
public:
  const char *name() const override { return "cpu"; }
  const char *summary() const override {
    return "native code for the --target-triple/--cpu host (default)";
  }

  void buildTensorTransforms(mlir::OpPassManager &pm) const override {
    buildCpuTensorPipeline(pm);
  }
};

} // namespace

std::unique_ptr<TargetBackend> createCpuBackend() { return std::make_unique<CpuBackend>(); }

} // namespace nnm
