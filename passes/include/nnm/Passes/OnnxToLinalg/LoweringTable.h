//===- LoweringTable.h - Versioned ONNX op -> linalg table ------*- C++ -*-===//
//
// One registration per (ONNX op, first opset it applies to). The importer
// validates a whole graph against this table before anything is lowered, and
// the nnm-onnx-to-linalg pass dispatches every `onnx.*` op through it.
//
// ONNX-level IR: each ONNX node is an unregistered operation `onnx.<OpType>`
// whose ONNX attributes are MLIR attributes of the same name, plus
// `onnx.opset` (i64). An absent optional input is a value of type `none`
// made by `onnx.None`.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_PASSES_ONNXTOLINALG_LOWERINGTABLE_H
#define NNM_PASSES_ONNXTOLINALG_LOWERINGTABLE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nnm::onnx_to_linalg {

/// The newest ai.onnx opset the table knows about.
constexpr int64_t kMaxOpset = 28;
/// The attribute carrying a node's opset.
constexpr const char *kOpsetAttr = "onnx.opset";

/// Read access to one `onnx.*` operation for a lowering function.
class OnnxNode {
public:
  OnnxNode(mlir::Operation *op, int64_t opset) : op(op), opset(opset) {}

  mlir::Operation *op;
  int64_t opset;

  llvm::StringRef opType() const;
  mlir::Location loc() const { return op->getLoc(); }
  unsigned numInputs() const { return op->getNumOperands(); }
  /// Input `i`, or a null value when it is absent (past the end or `none`).
  mlir::Value input(unsigned i) const;
  /// Static ranked tensor type of input `i` (null when absent).
  mlir::RankedTensorType inputType(unsigned i) const;

  bool has(llvm::StringRef name) const { return bool(op->getAttr(name)); }
  int64_t getInt(llvm::StringRef name, int64_t dflt) const;
  double getFloat(llvm::StringRef name, double dflt) const;
  std::string getString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::optional<llvm::SmallVector<int64_t>> getInts(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<double>> getFloats(llvm::StringRef name) const;
  mlir::DenseElementsAttr getTensor(llvm::StringRef name) const;

  /// Error at the node, prefixed with its op type and opset.
  mlir::InFlightDiagnostic error() const;
};

/// Emits the lowering of `node` at the builder's insertion point and returns the
/// values that replace its results, or failure after emitting a diagnostic.
using LowerFn = std::function<mlir::FailureOr<llvm::SmallVector<mlir::Value>>(
    mlir::OpBuilder &, const OnnxNode &)>;

class LoweringTable {
public:
  /// Registers `fn` for `op` from opset `sinceOpset` up to the next registration.
  void add(llvm::StringRef op, int64_t sinceOpset, LowerFn fn);
  /// The lowering of `op` at `opset`, or null when none applies.
  const LowerFn *lookup(llvm::StringRef op, int64_t opset) const;
  /// Every op with at least one registration, sorted.
  std::vector<std::string> ops() const;
  /// The first opset from which `op` is supported (0 when never).
  int64_t firstOpset(llvm::StringRef op) const;

  /// The table every lowering family registers into.
  static const LoweringTable &get();

private:
  struct Entry {
    int64_t since;
    LowerFn fn;
  };
  llvm::StringMap<std::vector<Entry>> entries;
};

// One function per family; each lives in its own source file.
void addElementwiseLowerings(LoweringTable &table);
void addMatMulConvLowerings(LoweringTable &table);
void addPoolingLowerings(LoweringTable &table);
void addReductionLowerings(LoweringTable &table);
void addShapeLowerings(LoweringTable &table);

} // namespace nnm::onnx_to_linalg

#endif // NNM_PASSES_ONNXTOLINALG_LOWERINGTABLE_H
