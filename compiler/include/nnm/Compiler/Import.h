//===- Import.h - ONNX ModelProto to ONNX-level MLIR ------------*- C++ -*-===//
#ifndef NNM_COMPILER_IMPORT_H
#define NNM_COMPILER_IMPORT_H

#include "nnm/Compiler/ModelInfo.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>
#include <vector>

namespace nnm {

/// Resource limits (issue #10): a model past one is refused with a message that
/// names the flag raising it. The defaults admit any model that fits a large
/// server; hostile inputs (a 4 TiB ConstantOfShape) stop at import.
struct ResourceLimits {
  int64_t maxTensorBytes = int64_t(16) << 30;   ///< any one tensor (--max-tensor-bytes)
  int64_t maxConstantBytes = int64_t(16) << 30; ///< all constants together (--max-constant-bytes)
  int64_t maxArenaBytes = int64_t(64) << 30;    ///< one context's scratch (--max-arena-bytes)
  int64_t maxNodes = 1000000;                   ///< nodes, bodies included (--max-nodes)
};

struct ImportOptions {
  /// Values for symbolic input dimensions (--dim NAME=N).
  std::map<std::string, int64_t> dims;
  /// Graph inputs whose values are fixed at compile time (--bind NAME=FILE):
  /// they become constants and leave the generated API's parameter list.
  std::map<std::string, std::string> boundInputs;
  /// Keep an unpinned symbolic dimension as `?` (its name in the argument
  /// attribute kDimNamesAttr) instead of refusing it; only the ONNX level can
  /// be printed then, since lowering needs static shapes.
  bool keepSymbolicDims = false;
  ResourceLimits limits;
};

/// Argument attribute naming each dimension of a graph input ("" for a fixed one).
constexpr const char *kDimNamesAttr = "onnx.dim_params";

/// Name of the graph function in the imported module.
constexpr const char *kGraphFunction = "main_graph";

/// Parses and validates `path`, then builds one func.func of `onnx.*` ops.
/// Fills info's producer, opsets, source hash, inputs and output names. On
/// failure returns null and appends one message per problem to `errors`.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(mlir::MLIRContext &ctx, const std::string &path,
                                                 const ImportOptions &options, ModelInfo &info,
                                                 std::vector<std::string> &errors);

} // namespace nnm

#endif // NNM_COMPILER_IMPORT_H
