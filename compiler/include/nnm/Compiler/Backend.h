//===- Backend.h - Target back ends that own their pipeline stages -*- C++ -*-===//
//
// The driver owns the target-neutral front: import, the typed ONNX level
// (upgrade, fold, rewrites) and, after the back end's graph stage, lowering to
// linalg on tensors. A back end fills five stages, in order, in the one
// PassManager of a compile:
//
//   graph             on the typed ONNX level: ops a kernel library runs, with
//                     their fused neighbours, and the layouts they want
//   (driver: what is left of the ONNX level to linalg on tensors)
//   configure         annotate decisions on linalg-on-tensors (tile sizes,
//                     "this op goes to a kernel library", GPU mapping)
//   tensor transforms tiling, fusion, vectorization, library calls
//   bufferize+lower   to host code in the LLVM dialect
//   serialize         LLVM dialect -> object files (+ device payloads)
//
// The target description travels on the module as the `nnm.target` attribute
// so every pass of every stage can read it. Back ends register in Backend.cpp;
// each lives in its own directory under lib/Backends/.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_COMPILER_BACKEND_H
#define NNM_COMPILER_BACKEND_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
class OpPassManager;
} // namespace mlir

namespace nnm {

struct ModelInfo;

/// What code is generated for; `nnm.target` on the module carries it.
struct TargetDescription {
  std::string backend;  ///< back end name, e.g. "cpu"
  std::string triple;   ///< LLVM target triple of the host code
  std::string cpu;      ///< resolved CPU name ("" until resolveTarget)
  std::string features; ///< LLVM feature string, e.g. "+avx2,+fma"
  int64_t vectorBits = 0; ///< widest native SIMD register, in bits
  /// Who runs convolutions, matrix products and pools: "auto" (oneDNN where the
  /// op is large enough to pay for a call), "dnnl" (oneDNN wherever it can) or
  /// "codegen" (generated loops only). "" until resolveTarget.
  std::string kernels;
  /// Device architectures of a GPU back end (e.g. "sm_80"), one image each.
  std::vector<std::string> deviceArchs;
  /// The CUDA toolkit (ptxas, libdevice) for the cuda back end.
  std::string cudaPath;
  /// Where one library holds several targets: "" for the first, which defines
  /// the library's identity symbols (metadata, version, build id); the back
  /// end's name for the others, which tag their object names and internal
  /// symbols with it so that nothing collides and leave the identity alone.
  std::string libraryTag;
};

/// Module attribute holding the TargetDescription as a dictionary.
constexpr const char *kTargetAttr = "nnm.target";

/// One file a back end produced.
struct Blob {
  std::string name;
  std::string bytes;
};

/// What serialize hands back: objects become archive members in order; device
/// payloads (e.g. a cubin) are listed in the metadata and already embedded in
/// one of the objects by the back end.
struct SerializedTarget {
  std::vector<Blob> objects;
  std::vector<Blob> payloads;
  std::string llvmText; ///< optimized host LLVM IR, when asked for
};

/// Handed to serialize: the back end calls it once it no longer reads the MLIR
/// module (after translating it to LLVM IR, say). The driver then frees the
/// module and its context, whose attributes hold a copy of every weight, so
/// that copy is gone before code generation peaks. The module must not be used
/// afterwards; a back end that never calls it keeps both to the end.
using ReleaseModuleFn = std::function<void()>;

class TargetBackend {
public:
  virtual ~TargetBackend() = default;
  virtual const char *name() const = 0;
  /// One line for `nnmodel compile --help`.
  virtual const char *summary() const = 0;
  /// The family of exported entry points this back end defines: "" for the
  /// host context API (NAME_vN_create, _run, ...), else the infix of its own
  /// (NAME_vN_cuda_create, ...). One library holds at most one target per API.
  virtual const char *apiName() const { return ""; }

  /// Validates the triple and CPU and fills in the CPU default, the feature
  /// string and the vector width. False with a message on bad input.
  virtual bool resolveTarget(TargetDescription &target, std::string &error) const = 0;

  /// Stage 0: on the typed ONNX level, before lowering to linalg.
  virtual void buildGraphTransforms(mlir::OpPassManager &pm) const;

  /// Stage 1: annotate linalg on tensors with this back end's decisions.
  virtual void buildConfigure(mlir::OpPassManager &pm) const;
  /// Stage 2: transformations on tensors.
  virtual void buildTensorTransforms(mlir::OpPassManager &pm) const;
  /// Stage 3: bufferize, plan memory and lower to host code in the LLVM dialect.
  virtual void buildBufferizeAndLower(mlir::OpPassManager &pm,
                                      const TargetDescription &target) const = 0;
  /// Stage 4: LLVM dialect module -> objects. `info` is the ABI description the
  /// exported entry points are generated from; `metadataJson` is embedded.
  virtual bool serialize(mlir::ModuleOp module, const TargetDescription &target,
                         const ModelInfo &info, const std::string &metadataJson,
                         bool wantLlvmText, const ReleaseModuleFn &releaseModule,
                         SerializedTarget &out, std::string &error) const = 0;
};

/// The back end named `name`, or null.
const TargetBackend *lookupBackend(const std::string &name);
/// Every registered back end, in registration order.
std::vector<const TargetBackend *> allBackends();

std::unique_ptr<TargetBackend> createCpuBackend();
std::unique_ptr<TargetBackend> createCudaBackend();
/// A second back end for tests of the staged interface (see lib/Backends/TestStub).
std::unique_ptr<TargetBackend> createTestStubBackend();

} // namespace nnm

#endif // NNM_COMPILER_BACKEND_H
