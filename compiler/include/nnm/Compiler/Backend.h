//===- Backend.h - Target back ends behind one interface --------*- C++ -*-===//
//
// The driver is target-neutral up to arena-planned memrefs. A back end adds
// the lowering from there to the LLVM dialect and turns LLVM IR into object
// code. `cpu` lives in lib/Backends/Cpu; a `cuda` back end adds a directory
// and one registration in Backend.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_COMPILER_BACKEND_H
#define NNM_COMPILER_BACKEND_H

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm
namespace mlir {
class OpPassManager;
} // namespace mlir

namespace nnm {

struct CompileOptions;

class TargetBackend {
public:
  virtual ~TargetBackend() = default;
  virtual const char *name() const = 0;
  /// Passes from bufferized, arena-planned memref IR to the LLVM dialect.
  virtual void buildLowering(mlir::OpPassManager &pm) const = 0;
  /// Fixes the module's triple and data layout and optimizes it.
  virtual bool optimize(llvm::Module &module, const CompileOptions &options,
                        std::string &error) const = 0;
  /// Emits relocatable object code for an optimized module.
  virtual bool emitObject(llvm::Module &module, const CompileOptions &options,
                          std::string &object, std::string &error) const = 0;
};

/// The back end named `name` ("cpu"), or null.
const TargetBackend *lookupBackend(const std::string &name);
/// Names of every back end, for messages and --help.
std::vector<std::string> backendNames();

std::unique_ptr<TargetBackend> createCpuBackend();

} // namespace nnm

#endif // NNM_COMPILER_BACKEND_H
