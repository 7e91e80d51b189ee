//===- HostCodegen.h - Host code for back ends: LLVM to objects --*- C++ -*-===//
//
// What every back end with host code shares: resolving a triple/CPU into a
// TargetDescription, and serializing the LLVM-dialect module into an object
// with the exported C API (generated from the ABI description, ModelInfo).
//
//===----------------------------------------------------------------------===//
#ifndef NNM_COMPILER_BACKENDS_HOSTCODEGEN_H
#define NNM_COMPILER_BACKENDS_HOSTCODEGEN_H

#include "nnm/Compiler/Backend.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

#include <functional>

#include <string>

namespace nnm {

/// Validates target.triple and target.cpu ("" = portable default for the
/// triple, "native" = this machine) and fills cpu, features and vectorBits.
bool resolveHostTarget(TargetDescription &target, std::string &error);

/// Settles target.kernels: empty becomes "auto" where `haveDnnl`, else
/// "codegen"; asking for auto or dnnl where oneDNN is not available is an error.
bool checkKernels(TargetDescription &target, const char *backend, bool haveDnnl,
                  std::string &error);

/// Emits a back end's own exported API around the graph function (the
/// internal `nnm_graph`); `renamed` maps module globals to the symbols that
/// large constants were given (extracted into weight objects).
using ApiEmitter = std::function<bool(llvm::Module &m, llvm::Function *graph,
                                      const llvm::StringMap<std::string> &renamed,
                                      std::string &error)>;

/// Defines an exported, nounwind function `name` in `m` and leaves `b` at the
/// start of its body.
llvm::Function *defineExported(llvm::Module &m, llvm::IRBuilder<> &b, const std::string &name,
                               llvm::Type *ret, llvm::ArrayRef<llvm::Type *> args);

/// One attach step of a generated create function `f` (arguments: options,
/// out pointer), at `b`'s insertion point: when `status` (what creating the
/// context, or the previous step, returned) is 0, calls `attach` on the new
/// context; when that fails, destroys the context with `destroy` and resets
/// *out. Returns the status after the step.
llvm::Value *emitAttachStep(llvm::IRBuilder<> &b, llvm::Function *f, llvm::Value *status,
                            llvm::FunctionCallee destroy,
                            llvm::function_ref<llvm::Value *(llvm::Value *ctx)> attach);

/// The metadata, version and build-id symbols and NAME_vN_metadata_json /
/// NAME_vN_version, which every back end's library exports.
void emitIdentity(llvm::Module &m, const ModelInfo &info, const std::string &json);

/// LLVM dialect -> LLVM IR, exported API around the graph function, O3, one
/// relocatable object named `<name>.o` appended to out.objects. The API is the
/// CPU context API unless `api` is given, which then emits it (after
/// emitIdentity).
bool serializeHostModule(mlir::ModuleOp module, const TargetDescription &target,
                         const ModelInfo &info, const std::string &metadataJson,
                         bool wantLlvmText, const ReleaseModuleFn &releaseModule,
                         SerializedTarget &out, std::string &error,
                         const ApiEmitter &api = nullptr);

/// A back end whose code runs on the host CPU: the host target, bufferization
/// and host loops down to the LLVM dialect, one object with the exported API.
/// Back ends derive from it and change the stages they need.
class HostBackend : public TargetBackend {
public:
  bool resolveTarget(TargetDescription &target, std::string &error) const override;
  void buildBufferizeAndLower(mlir::OpPassManager &pm,
                              const TargetDescription &target) const override;
  bool serialize(mlir::ModuleOp module, const TargetDescription &target, const ModelInfo &info,
                 const std::string &metadataJson, bool wantLlvmText,
                 const ReleaseModuleFn &releaseModule, SerializedTarget &out,
                 std::string &error) const override;
};

/// Emits an object holding one read-only blob in `section` (for device payloads).
bool emitBlobObject(const TargetDescription &target, const std::string &symbol,
                    const std::string &section, const std::string &bytes,
                    std::string &object, std::string &error);

} // namespace nnm

#endif // NNM_COMPILER_BACKENDS_HOSTCODEGEN_H
