//===- ModelInfo.h - What a compiled model publishes ------------*- C++ -*-===//
//
// The signature and metadata of one compiled model, and the text artifacts made
// from it: the JSON metadata document and the generated C/C++ header. It is the
// one ABI description: the exported entry points, the header and the JSON are
// all generated from it. No MLIR header here: packaging and `nnmodel inspect`
// use this without the pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_COMPILER_MODELINFO_H
#define NNM_COMPILER_MODELINFO_H

#include "nnm/Support/ElementType.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nnm {

struct TensorSig {
  std::string name;            ///< the ONNX graph's name
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  ///< static; rank 0 for scalars
  int64_t numElements() const;
};

/// One back end's code in a library. A library holds one per --target, in
/// that order (cpu and cuda together, say); the first also carries the
/// library's identity symbols (metadata, version, build id).
struct TargetBuild {
  std::string target;          ///< back end name: "cpu", "cuda"
  std::string kernels;         ///< --kernels as resolved: auto, dnnl or codegen
  std::string deviceArchs;     ///< GPU targets: the device images, e.g. "sm_80,sm_90"
  uint64_t libraryKernels = 0; ///< ops run by a kernel library (cpu: oneDNN, cuda: cuBLAS/cuDNN)
  uint64_t weightBytes = 0;    ///< bytes of constant data this target's code holds
  uint64_t arenaBytes = 0;     ///< scratch bytes one context needs (device memory on a GPU)
};

struct ModelInfo {
  std::string name;            ///< C identifier given by --name
  std::string version;         ///< "X.Y.Z"
  int versionMajor = 0, versionMinor = 0, versionPatch = 0;
  std::string sourceSha256;    ///< hex SHA-256 of the .onnx file
  std::string producerName, producerVersion;
  std::vector<std::pair<std::string, int64_t>> opsets;  ///< (domain, version); "" = ai.onnx
  std::string compilerVersion;
  std::string targetTriple, cpu; ///< the host code's triple and CPU (every target has host code)
  std::vector<TargetBuild> targets; ///< at least one in a compiled library
  std::vector<TensorSig> inputs, outputs;
  /// 16 hex digits naming one compile's output set (see buildIdOf). The library
  /// defines `<prefix>_build_<id>` and the header references it, so a header and
  /// library from different compiles fail to link instead of running mismatched.
  std::string buildId;

  /// The build for back end `target`, or null when the library has none.
  const TargetBuild *find(const std::string &target) const;
  TargetBuild *find(const std::string &target);
  /// "name_v<major>": the prefix of every exported symbol.
  std::string symbolPrefix() const;
};

/// Parses "X.Y.Z" into info's version fields; false with a message when malformed.
bool parseVersion(const std::string &text, ModelInfo &info, std::string &error);
/// True when `name` is a C identifier.
bool isCIdentifier(const std::string &name);
/// Makes a C identifier from a tensor name: other characters become '_', a leading
/// digit gets a '_' in front, and a C/C++ keyword gets a '_' appended.
std::string cIdentifier(const std::string &name);

/// The build id of `info`: a digest of everything else in its metadata (source
/// hash, options, target, signature, arena and weight sizes, compiler version).
/// Deterministic, so byte-identical rebuilds keep it.
std::string buildIdOf(const ModelInfo &info);

/// The metadata document (pretty JSON, keys in a fixed order, trailing newline).
std::string toJson(const ModelInfo &info);
/// Reads toJson()'s output back; false with a message on malformed input.
bool fromJson(const std::string &text, ModelInfo &info, std::string &error);
/// Human-readable summary for `nnmodel inspect`.
std::string toText(const ModelInfo &info);

/// The generated header: C API, constants and the C++ wrapper (docs/generated-api.md).
std::string generateHeader(const ModelInfo &info);

/// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

} // namespace nnm

#endif // NNM_COMPILER_MODELINFO_H
