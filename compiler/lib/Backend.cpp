//===- Backend.cpp - The registry of target back ends ---------------------===//
#include "nnm/Compiler/Backend.h"

namespace nnm {
namespace {

const std::vector<std::unique_ptr<TargetBackend>> &backends() {
  static const std::vector<std::unique_ptr<TargetBackend>> all = [] {
    std::vector<std::unique_ptr<TargetBackend>> v;
    v.push_back(createCpuBackend());
    v.push_back(createCudaBackend());
    v.push_back(createTestStubBackend());
    return v;
  }();
  return all;
}

} // namespace

void TargetBackend::buildGraphTransforms(mlir::OpPassManager &) const {}
void TargetBackend::buildConfigure(mlir::OpPassManager &) const {}
void TargetBackend::buildTensorTransforms(mlir::OpPassManager &) const {}

const TargetBackend *lookupBackend(const std::string &name) {
  for (const auto &b : backends())
    if (name == b->name())
      return b.get();
  return nullptr;
}

std::vector<const TargetBackend *> allBackends() {
  std::vector<const TargetBackend *> out;
  for (const auto &b : backends())
    out.push_back(b.get());
  return out;
}

} // namespace nnm
