//===- TestStubBackend.cpp - A second back end for interface tests -------===//
//
// Proves that a back end plugs in through the staged interface alone: it
// fills the stages differently from `cpu` (no tensor-level fusion) and its
// serialize stage returns two objects, the host code and a device payload
// (here a text blob in section .nnmodel.payload standing in for a cubin).
// The library it builds runs on the host like a cpu one.
//
//===----------------------------------------------------------------------===//
#include "../HostCodegen.h"

#include "nnm/Compiler/ModelInfo.h"

namespace nnm {
namespace {

class TestStubBackend : public HostBackend {
public:
  const char *name() const override { return "test-stub"; }
  const char *summary() const override {
    return "interface test: unfused host code plus a dummy device payload object";
  }

  bool serialize(mlir::ModuleOp module, const TargetDescription &target, const ModelInfo &info,
                 const std::string &json, bool wantLlvmText, const ReleaseModuleFn &release,
                 SerializedTarget &out, std::string &error) const override {
    if (!HostBackend::serialize(module, target, info, json, wantLlvmText, release, out, error))
      return false;
    Blob payload{info.name + ".stub-payload", "nnmodel test-stub payload for " + info.name +
                                                  " (" + target.triple + ")\n"};
    Blob object{info.name + ".payload.o", {}};
    if (!emitBlobObject(target, info.symbolPrefix() + "_payload", ".nnmodel.payload",
                        payload.bytes, object.bytes, error))
      return false;
    out.objects.push_back(std::move(object));
    out.payloads.push_back(std::move(payload));
    return true;
  }
};

} // namespace

std::unique_ptr<TargetBackend> createTestStubBackend() {
  return std::make_unique<TestStubBackend>();
}

} // namespace nnm
