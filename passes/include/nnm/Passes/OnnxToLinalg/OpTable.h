//===- OpTable.h - The versioned ONNX op table ------------------*- C++ -*-===//
//
// One entry per (ONNX op, first opset of a form). The newest entry of an op
// carries everything about that form: its type/shape rule (infer), optional
// constant folding (fold) and its lowering to linalg on tensors (lower). Each
// older entry carries only the rewrite of that form into the next one
// (upgrade), so no rule and no lowering ever branches on the opset.
//
// The typed ONNX level: each ONNX node is an operation `onnx.<OpType>` whose
// ONNX attributes are MLIR attributes of the same name, plus `onnx.opset`
// (i64); every result has a ranked tensor type (static dims once nnm-onnx-fold
// has run; `?` only where a shape still depends on a value computed in the
// graph). An absent optional input is a value of type `none` made by
// `onnx.None`. The importer, nnm-onnx-upgrade, nnm-onnx-fold and
// nnm-onnx-to-linalg all go through this table; the importer validates a whole
// graph against it before anything is built.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_PASSES_ONNXTOLINALG_OPTABLE_H
#define NNM_PASSES_ONNXTOLINALG_OPTABLE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace nnm::onnx_to_linalg {

/// The newest ai.onnx opset the table knows about.
constexpr int64_t kMaxOpset = 28;
/// The attribute carrying a node's opset (the form it has).
constexpr const char *kOpsetAttr = "onnx.opset";
/// On an upgraded node: the opset of the model it came from (for messages).
constexpr const char *kSourceOpsetAttr = "onnx.source_opset";
/// Operation name prefix of the ONNX level.
constexpr const char *kOnnxPrefix = "onnx.";

using Values = llvm::SmallVector<mlir::Value>;

/// Read access to one `onnx.*` operation for the table's functions. Inputs are
/// read from `operands` (the op's own, or a conversion adaptor's).
class OnnxNode {
public:
  explicit OnnxNode(mlir::Operation *op);
  OnnxNode(mlir::Operation *op, mlir::ValueRange operands);

  mlir::Operation *op;
  int64_t opset;

  llvm::StringRef opType() const;
  mlir::Location loc() const { return op->getLoc(); }
  unsigned numInputs() const { return operands.size(); }
  unsigned numResults() const { return op->getNumResults(); }
  /// Input `i`, or a null value when it is absent (past the end or `none`).
  mlir::Value input(unsigned i) const;
  /// Ranked tensor type of input `i` (null when absent or unranked).
  mlir::RankedTensorType inputType(unsigned i) const;
  /// Every present input, in order.
  Values presentInputs() const;
  /// Whether input `i` is an unsigned integer tensor at the ONNX level. Lowerings
  /// see signless integers (iN), so ops whose meaning depends on signedness
  /// (division, remainder, comparisons, min/max, shifts, casts, arg/reduce
  /// min/max) ask here.
  bool isUnsigned(unsigned i) const;
  /// Whether result `i` is an unsigned integer tensor at the ONNX level.
  bool resultIsUnsigned(unsigned i) const;

  bool has(llvm::StringRef name) const { return bool(op->getAttr(name)); }
  int64_t getInt(llvm::StringRef name, int64_t dflt) const;
  double getFloat(llvm::StringRef name, double dflt) const;
  std::string getString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::optional<llvm::SmallVector<int64_t>> getInts(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<double>> getFloats(llvm::StringRef name) const;
  mlir::DenseElementsAttr getTensor(llvm::StringRef name) const;

  /// The model's opset for this node (differs from `opset` once upgraded).
  int64_t sourceOpset() const;
  /// Error at the node, prefixed with its op type and the model's opset.
  mlir::InFlightDiagnostic error() const;

private:
  Values operands;
};

/// Emits the lowering of `node` at the builder's insertion point and returns the
/// values that replace its results, or failure after emitting a diagnostic.
using LowerFn =
    std::function<mlir::FailureOr<Values>(mlir::OpBuilder &, const OnnxNode &)>;
/// The result types of `node` from its operand types, attributes and constant
/// operands; failure after a diagnostic when they cannot be formed.
using InferFn = std::function<mlir::LogicalResult(const OnnxNode &,
                                                  llvm::SmallVectorImpl<mlir::Type> &)>;
/// Constant results from constant operands (`consts[i]` is null where input i
/// is not a constant). Failure, without a diagnostic, means "not folded".
using FoldFn = std::function<mlir::LogicalResult(
    const OnnxNode &, llvm::ArrayRef<mlir::DenseElementsAttr> consts,
    llvm::SmallVectorImpl<mlir::DenseElementsAttr> &)>;
/// Rewrites `node` (an older form) into the next form and returns the values
/// replacing its results; build the new op with buildOnnxOp().
using UpgradeFn = LowerFn;

struct OpEntry {
  int64_t since = 0;
  InferFn infer;
  LowerFn lower;
  FoldFn fold;
  UpgradeFn upgrade;

  /// The newest form of an op: its type rule, lowering and optional folding.
  static OpEntry form(InferFn infer, LowerFn lower, FoldFn fold = nullptr) {
    OpEntry e;
    e.infer = std::move(infer);
    e.lower = std::move(lower);
    e.fold = std::move(fold);
    return e;
  }
  /// An older form: how it becomes the next one.
  static OpEntry upgradedBy(UpgradeFn upgrade) {
    OpEntry e;
    e.upgrade = std::move(upgrade);
    return e;
  }
};

class OpTable {
public:
  /// Registers `entry` for `op` from opset `since` up to the next registration.
  void add(llvm::StringRef op, int64_t since, OpEntry entry);
  /// The entry of `op` at `opset`, or null when none applies.
  const OpEntry *lookup(llvm::StringRef op, int64_t opset) const;
  /// The entry following `entry` of `op` (null for the newest).
  const OpEntry *next(llvm::StringRef op, const OpEntry &entry) const;
  /// The first opset from which `op` is supported (0 when never).
  int64_t firstOpset(llvm::StringRef op) const;

  /// The table every family registers into.
  static const OpTable &get();

private:
  llvm::StringMap<std::vector<OpEntry>> entries;
};

/// ONNX's own facts about one operator form (from the onnx package's schema
/// registry, generated into OnnxSchemas.inc by scripts/gen_onnx_schemas.py):
/// what the importer checks every node against before lowering.
struct OpSchema {
  enum Option { Single, Optional, Variadic };
  struct Input {
    llvm::StringRef name;
    Option option;
  };
  struct Attribute {
    llvm::StringRef name;
    llvm::StringRef kind; ///< AttributeProto type name: INT, INTS, FLOAT, STRING, ...
    bool required;
  };
  int since = 0, minInputs = 0, maxInputs = 0, minOutputs = 0, maxOutputs = 0;
  llvm::SmallVector<Input> inputs;
  llvm::SmallVector<Attribute> attributes;
};
/// The form of ai.onnx `op` in force at `opset`, or nullopt when ONNX has none.
std::optional<OpSchema> lookupSchema(llvm::StringRef op, int64_t opset);

/// The entry of an `onnx.*` op (by its name and opset attribute), or null.
const OpEntry *lookupEntry(mlir::Operation *op);

/// Creates `onnx.<opType>` with `numResults` results typed by the op's shape
/// rule at `opset` (an intermediate form, which has no rule, stays untyped
/// until upgraded). Failure after a diagnostic when the op is unknown at that
/// opset or its rule rejects the operands.
mlir::FailureOr<mlir::Operation *> buildOnnxOp(mlir::OpBuilder &b, mlir::Location loc,
                                               llvm::StringRef opType, int64_t opset,
                                               mlir::ValueRange operands,
                                               llvm::ArrayRef<mlir::NamedAttribute> attrs,
                                               unsigned numResults = 1);

/// buildOnnxOp, then folded to constants when the op's fold rule applies.
mlir::FailureOr<Values> createOrFold(mlir::OpBuilder &b, mlir::Location loc,
                                     llvm::StringRef opType, int64_t opset,
                                     mlir::ValueRange operands,
                                     llvm::ArrayRef<mlir::NamedAttribute> attrs,
                                     unsigned numResults = 1);

/// Rewrites `op` through the upgrade entries until it has the newest form of
/// its op; returns the values replacing its results (its own when unchanged).
/// `op` is erased when replaced.
mlir::FailureOr<Values> upgradeToNewestForm(mlir::OpBuilder &b, mlir::Operation *op);

/// Re-derives the result types of `op` from its shape rule and sets them; a
/// static type already on a result must agree with the rule (else an error).
mlir::LogicalResult inferResultTypes(mlir::Operation *op);

/// The constant behind `v`, when it is one (arith.constant with dense
/// elements); null otherwise, and for a null `v`.
mlir::DenseElementsAttr constantOf(mlir::Value v);

/// Folds `op` when its rule can: constants replace its results, `op` is
/// erased, and the constants are returned; nullopt when not folded.
std::optional<Values> tryFold(mlir::OpBuilder &b, mlir::Operation *op);

/// Sets `fn`'s result types to those of its return (after types were refined).
void syncFunctionType(mlir::func::FuncOp fn);

// One function per family; each lives in its own source file.
void addElementwiseOps(OpTable &table);
void addMatMulConvOps(OpTable &table);
void addPoolingOps(OpTable &table);
void addReductionOps(OpTable &table);
void addShapeOps(OpTable &table);
void addDataMovementOps(OpTable &table);
void addLayoutOps(OpTable &table);
void addAttentionOps(OpTable &table);
void addIndexingOps(OpTable &table);
void addNormalizationOps(OpTable &table);
void addLossOps(OpTable &table);
void addLogicalOps(OpTable &table);
void addActivationOps(OpTable &table);
void addQuantizationOps(OpTable &table);
void addEinsumOps(OpTable &table);
void addSignalOps(OpTable &table);
void addRecurrentOps(OpTable &table);
void addImageOps(OpTable &table);

} // namespace nnm::onnx_to_linalg

#endif // NNM_PASSES_ONNXTOLINALG_OPTABLE_H
