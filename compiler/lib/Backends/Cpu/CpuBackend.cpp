//===- CpuBackend.cpp - The CPU back end: host code for one triple/CPU ----===//
#include "../HostCodegen.h"

#include "nnm/Passes/Pipelines.h"

namespace nnm {
namespace {

class CpuBackend : public TargetBackend {
public:
  const char *name() const override { return "cpu"; }
  const char *summary() const override {
    return "native code for the --target-triple/--cpu host (default)";
  }

  bool resolveTarget(TargetDescription &t, std::string &error) const override {
    return resolveHostTarget(t, error);
  }

  void buildTensorTransforms(mlir::OpPassManager &pm) const override {
    buildElementwiseFusionPipeline(pm);
  }

  void buildBufferizeAndLower(mlir::OpPassManager &pm) const override {
    buildBufferizePipeline(pm);
    buildHostLlvmPipeline(pm);
  }

  bool serialize(mlir::ModuleOp module, const TargetDescription &target, const ModelInfo &info,
                 const std::string &json, bool wantLlvmText, SerializedTarget &out,
                 std::string &error) const override {
    return serializeHostModule(module, target, info, json, wantLlvmText, out, error);
  }
};

} // namespace

std::unique_ptr<TargetBackend> createCpuBackend() { return std::make_unique<CpuBackend>(); }

} // namespace nnm
