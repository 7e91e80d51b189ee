//===- Importer.h - The ONNX importer's state (private to compiler/lib) ---===//
//
// Shared by Import.cpp (graphs, nodes, tensors) and ImportControlFlow.cpp
// (If, Loop and Scan, expanded at import time).
//
//===----------------------------------------------------------------------===//
#ifndef NNM_COMPILER_LIB_IMPORTER_H
#define NNM_COMPILER_LIB_IMPORTER_H

#include "nnm/Compiler/Import.h"
#include "nnm/Compiler/TensorIO.h"
#include "nnm/Passes/OnnxToLinalg/OpTable.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <string>
#include <vector>

namespace nnm::import_detail {

using namespace mlir;
using onnx_to_linalg::OpTable;
using onnx_to_linalg::Values;

/// "node 'NAME' (OP, opset N)" or "node '#INDEX' (OP, opset N)" for messages.
std::string nodeLabel(const onnx::NodeProto &node, int64_t index, int64_t opset);

class Importer {
public:
  Importer(MLIRContext &ctx, std::string modelDir, std::vector<std::string> &errors)
      : ctx(ctx), b(&ctx), modelDir(std::move(modelDir)), errors(errors) {}

  OwningOpRef<ModuleOp> run(const onnx::ModelProto &model, const ImportOptions &options,
                            ModelInfo &info);

private:
  MLIRContext &ctx;
  OpBuilder b;
  std::string modelDir;
  std::vector<std::string> &errors;
  llvm::StringMap<Value> values;
  Value none;

  std::function<Value()> noneValue; // the graph's one onnx.None, made on first use
  ResourceLimits limits;
  int64_t nodeCount = 0; // nodes of every graph validated, bodies included

  void fail(const std::string &msg) { errors.push_back(msg); }
  /// Checks every node of g (and of control-flow bodies) against the op table.
  void validateNodes(const onnx::GraphProto &g, int64_t opset);
  // ImportChecks.cpp.
  /// Arity, required inputs, attribute names and kinds from ONNX's schema.
  void checkSchema(const onnx::NodeProto &node, const std::string &label, int64_t opset);
  /// One definition per value; unique graph inputs and initializers.
  void checkDefinitions(const onnx::GraphProto &g, int64_t opset);
  /// `type`'s byte size is computable and within limits.maxTensorBytes.
  bool checkTensorSize(const std::string &what, Type type);
  /// All constants of `module` together within limits.maxConstantBytes.
  bool checkConstantBytes(ModuleOp module);
  /// Imports the nodes of g (the main graph or a control-flow body) in order;
  /// false on a problem that stops the import (errors reports it).
  bool importNodes(const onnx::GraphProto &g, int64_t opset);
  bool importNode(const onnx::NodeProto &node, const std::string &label, int64_t opset);
  /// The values of node's inputs (onnx.None for empty names); false, after
  /// reporting, when one is not defined yet.
  bool nodeOperands(const onnx::NodeProto &node, const std::string &label,
                    SmallVectorImpl<Value> &operands);
  // Control flow (ImportControlFlow.cpp): expanded at import time.
  static bool isControlFlow(const std::string &opType);
  bool validateSubgraphs(const onnx::NodeProto &node, const std::string &label, int64_t opset);
  bool importControlFlow(const onnx::NodeProto &node, const std::string &label, int64_t opset);
  bool importIf(const onnx::NodeProto &node, const std::string &label, int64_t opset);
  bool importLoop(const onnx::NodeProto &node, const std::string &label, int64_t opset);
  bool importScan(const onnx::NodeProto &node, const std::string &label, int64_t opset);
  /// Runs `body` once with its graph inputs bound to `inputs`; `outputs` gets
  /// the values of its graph outputs. Names the body defines do not leak out.
  bool inlineBody(const onnx::GraphProto &body, ArrayRef<Value> inputs, int64_t opset,
                  const std::string &label, SmallVectorImpl<Value> &outputs);
  Type mlirElementType(int32_t code, const std::string &what);
  bool readExternal(const onnx::TensorProto &t, std::string &bytes, std::string &error);
  DenseElementsAttr hostTensorAttr(const HostTensor &t);
  DenseElementsAttr tensorAttr(const onnx::TensorProto &t, const std::string &what);
  Attribute convertAttr(const onnx::AttributeProto &a, const std::string &where);
};

} // namespace nnm::import_detail

#endif // NNM_COMPILER_LIB_IMPORTER_H
