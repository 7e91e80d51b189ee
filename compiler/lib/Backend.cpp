//===- Backend.cpp - The registry of target back ends ---------------------===//
#include "nnm/Compiler/Backend.h"

namespace nnm {
namespace {

const std::vector<std::unique_ptr<TargetBackend>> &backends() {
  static const std::vector<std::unique_ptr<TargetBackend>> all = [] {
    std::vector<std::unique_ptr<TargetBackend>> v;
    v.push_back(createCpuBackend());
    return v;
  }();
  return all;
}

} // namespace

const TargetBackend *lookupBackend(const std::string &name) {
  for (const auto &b : backends())
    if (name == b->name())
      return b.get();
  return nullptr;
}

std::vector<std::string> backendNames() {
  std::vector<std::string> names;
  for (const auto &b : backends())
    names.push_back(b->name());
  return names;
}

} // namespace nnm
