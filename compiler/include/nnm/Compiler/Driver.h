//===- Driver.h - nnmodel compile, as a library call -------------*- C++ -*-===//
#ifndef NNM_COMPILER_DRIVER_H
#define NNM_COMPILER_DRIVER_H

#include "nnm/Compiler/Backend.h"
#include "nnm/Compiler/Import.h"
#include "nnm/Compiler/ModelInfo.h"

#include <functional>
#include <string>
#include <vector>

namespace nnm {

/// The compiler's own version (also in every library's metadata).
constexpr const char *kCompilerVersion = "0.1.0";

enum class EmitKind { OnnxMlir, Linalg, Llvm, Obj, Lib };

struct CompileOptions {
  std::string modelPath;
  std::string name;
  std::string version = "0.1.0";
  std::string outputDir;
  /// Back ends asked for (--target, repeatable); empty means cpu. One library
  /// holds one target: more than one distinct name is refused.
  std::vector<std::string> targets;
  std::string targetTriple = "x86_64-unknown-linux-gnu";
  /// Empty: a portable level for the triple (x86-64-v2 on x86-64, else generic).
  std::string cpu;
  /// Kernels for convolutions, matrix products and pools: "auto", "dnnl",
  /// "codegen", or empty for the back end's default (auto for cpu on x86-64).
  std::string kernels;
  /// --cuda-arch: device architectures for the cuda target ("sm_80", ...);
  /// empty for the back end's default.
  std::vector<std::string> cudaArchs;
  /// --cuda-path: the CUDA toolkit (ptxas, libdevice); empty = $CUDA_PATH or
  /// /usr/local/cuda.
  std::string cudaPath;
  EmitKind emit = EmitKind::Lib;
  ImportOptions import;
  /// Called as each stage starts ("importing", "lowering", ...), for progress
  /// output; may be empty.
  std::function<void(const std::string &stage)> progress;
};

/// What one compile produced, in memory.
struct CompiledModel {
  ModelInfo info;
  std::string text;           ///< --emit onnx-mlir|linalg|llvm
  SerializedTarget serialized; ///< objects and payloads (obj and lib)
};

/// Runs the whole flow up to `options.emit` in one PassManager (configured from
/// MLIR's command-line options when the tool registered them, e.g.
/// --mlir-print-ir-after-all, --mlir-timing); false with messages in `errors`.
bool compileModel(const CompileOptions &options, CompiledModel &out,
                  std::vector<std::string> &errors);

/// Writes the artifacts of `model` into options.outputDir atomically: lib + .h +
/// .json for EmitKind::Lib, one file otherwise. Returns the paths written.
bool writeArtifacts(const CompileOptions &options, const CompiledModel &model,
                    std::vector<std::string> &written, std::vector<std::string> &errors);

/// Wraps object files into a deterministic static archive with a symbol index.
bool makeArchive(const std::vector<Blob> &objects, std::string &archive, std::string &error);
/// Reads the metadata JSON embedded in a library (.a) or object (.o).
bool readEmbeddedMetadata(const std::string &path, std::string &json, std::string &error);

/// Writes `data` to `path` through a temporary file in the same directory.
bool writeFileAtomically(const std::string &path, const std::string &data, std::string &error);
/// The two halves of it, for writing a set of files together: `data` into a new
/// temporary file beside `path`, flushed to disk (`tmpPath` names it), then
/// renamed into place.
bool writeTemporary(const std::string &path, const std::string &data, std::string &tmpPath,
                    std::string &error);
bool commitTemporary(const std::string &tmpPath, const std::string &path, std::string &error);
/// Removes the temporary files an interrupted write of `path` left behind.
void removeStaleTemporaries(const std::string &path);
/// Flushes a directory's entries (renames) to disk; best effort.
void syncDirectory(const std::string &dir);

} // namespace nnm

#endif // NNM_COMPILER_DRIVER_H
