//===- Common.h - Helpers shared by the ONNX lowering families --*- C++ -*-===//
#ifndef NNM_PASSES_ONNXTOLINALG_COMMON_H
#define NNM_PASSES_ONNXTOLINALG_COMMON_H

#include "nnm/Passes/OnnxToLinalg/OpTable.h"
#include "nnm/Support/CheckedSize.h"
#include "nnm/Passes/OnnxToLinalg/Window.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace nnm::onnx_to_linalg {

using Result = mlir::FailureOr<Values>;
using Types = llvm::SmallVectorImpl<mlir::Type>;
using Consts = llvm::ArrayRef<mlir::DenseElementsAttr>;
using Folded = llvm::SmallVectorImpl<mlir::DenseElementsAttr>;

/// A dimension not known yet at the ONNX level (before nnm-onnx-fold).
constexpr int64_t kDyn = mlir::ShapedType::kDynamic;

/// Shape of a ranked tensor value (static when lowering; may hold kDyn in rules).
llvm::SmallVector<int64_t> shapeOf(mlir::Value v);
mlir::Type elementTypeOf(mlir::Value v);
inline bool isFloat(mlir::Type t) { return mlir::isa<mlir::FloatType>(t); }
/// uiN -> iN (the type lowerings compute in); other types unchanged.
inline mlir::Type signlessElementType(mlir::Type t) {
  auto it = mlir::dyn_cast<mlir::IntegerType>(t);
  return it && it.isUnsigned() ? mlir::IntegerType::get(t.getContext(), it.getWidth()) : t;
}
inline mlir::RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, mlir::Type elt) {
  return mlir::RankedTensorType::get(shape, elt);
}
/// Product of dims, kDyn when any is kDyn.
int64_t productOf(llvm::ArrayRef<int64_t> dims);

/// ONNX multidirectional broadcasting; a kDyn dim stays kDyn unless another
/// operand fixes it. Failure when incompatible.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes);

// Shape rules shared by many ops --------------------------------------------------

/// Fails with a diagnostic unless inputs `first`... up to `count` (present ones)
/// have ranked tensor types.
mlir::LogicalResult requireRanked(const OnnxNode &node, unsigned count);
/// Every result has the type of input 0.
mlir::LogicalResult inferLikeInput0(const OnnxNode &node, Types &out);
/// One result: the broadcast of every present input, element type of input 0.
mlir::LogicalResult inferBroadcast(const OnnxNode &node, Types &out);
/// Integer values of constant input `i`; nullopt when it is not a constant,
/// with a diagnostic naming the input as `what` when `what` is given.
std::optional<llvm::SmallVector<int64_t>> constantIntsOf(const OnnxNode &node, unsigned i,
                                                         const char *what = nullptr);
/// Constant i64 tensor of `values` (a 1-D shape operand).
mlir::Value i64Tensor(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<int64_t> values);
/// Attributes of `node` without `drop` and without the opset.
llvm::SmallVector<mlir::NamedAttribute> attrsWithout(const OnnxNode &node,
                                                     llvm::ArrayRef<llvm::StringRef> drop);
/// An upgrade that only drops attributes the next form (at `opset`) no longer has
/// (consumed_inputs, broadcast, ...).
UpgradeFn dropAttrs(int64_t opset, llvm::ArrayRef<llvm::StringRef> names);
/// Rebuilds `node` as the form starting at `opset` with `operands` and `attrs`.
Result rebuildAs(mlir::OpBuilder &b, const OnnxNode &node, int64_t opset,
                 mlir::ValueRange operands, llvm::ArrayRef<mlir::NamedAttribute> attrs);

/// The broadcast shape rule for an op with exactly `arity` inputs (0: one or
/// more), so a binary op given one or three inputs is refused, never read past.
InferFn broadcastWithArity(unsigned arity);
/// Binary ops before opset 7 broadcast only with broadcast = 1, B aligned with
/// A at `axis` (trailing when absent, as numpy does): B gains trailing unit
/// dims so that multidirectional broadcasting matches, and the node is rebuilt
/// at opset 7 without broadcast/axis/consumed_inputs.
Result upgradeLegacyBroadcast(mlir::OpBuilder &b, const OnnxNode &node);

/// Normalises a possibly negative axis into [0, rank); failure when out of range.
mlir::FailureOr<int64_t> normalizeAxis(const OnnxNode &node, int64_t axis, int64_t rank);
/// Output shape [N, M, spatial...] of a conv with X at input `xi` and W at `wi`:
/// onnx.Conv's geometry (strides, dilations, pads, auto_pad), also used by the
/// quantized convolutions (MatMulConv.cpp).
mlir::LogicalResult convOutputShape(const OnnxNode &node, unsigned xi, unsigned wi,
                                    llvm::SmallVector<int64_t> &shape);
/// The `axes` attribute normalized, in its order; every dimension when absent.
mlir::FailureOr<llvm::SmallVector<int64_t>> attrAxesOrAll(const OnnxNode &node, int64_t rank);
/// Every axis normalized as above, then sorted with repeats dropped.
mlir::FailureOr<llvm::SmallVector<int64_t>> normalizeAxes(const OnnxNode &node,
                                                          llvm::ArrayRef<int64_t> axes,
                                                          int64_t rank);

/// A scalar constant of `type` (float or integer).
mlir::Value scalarConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, double v);
/// The lowest finite / -inf value of a float type, or the minimum of an integer type.
mlir::Value lowestConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                        bool isUnsigned = false);
/// tensor.empty of the given static shape.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elt);
/// tensor.empty filled with `value`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape, mlir::Value value);

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;
/// One linalg.generic over the broadcast of `inputs`: out[i] = body(inputs[i]...).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
                             llvm::ArrayRef<int64_t> outShape, mlir::Type outElt,
                             BodyFn body);

/// buildElementwise over the broadcast of `inputs` into one result of element
/// type `outElt` (that of inputs[0] when null); failure with a diagnostic at
/// `node` when the shapes do not broadcast.
Result broadcastElementwise(mlir::OpBuilder &b, const OnnxNode &node, mlir::ValueRange inputs,
                            BodyFn body, mlir::Type outElt = {});

/// A linalg.generic over a tensor of `shape` whose `inputs` are read through
/// `maps` (the body gets their elements); a tensor.empty when `shape` has no
/// elements (a generic over none does not survive the CPU pipeline).
mlir::Value generateOver(mlir::OpBuilder &b, mlir::Location l, llvm::ArrayRef<int64_t> shape,
                         mlir::Type elt, mlir::ValueRange inputs,
                         llvm::ArrayRef<mlir::AffineMap> maps, BodyFn body);
/// out[i] = x[map(i)]: generateOver with `map` (from the output's dimensions to x's)
/// and the element itself as the body.
mlir::Value gatherByMap(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                        llvm::ArrayRef<int64_t> out, mlir::AffineMap map);
/// linalg.index of the iteration dimensions [from, from + count).
llvm::SmallVector<mlir::Value> loopIndices(mlir::OpBuilder &b, mlir::Location l, int64_t from,
                                           int64_t count);

/// Reshapes a static tensor (same element count) via collapse/expand; folds
/// constants. A no-op when the shape already matches.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      llvm::ArrayRef<int64_t> shape);

/// Reduces `axes` (sorted, unique) of `v` with `kind` ("sum" or "max");
/// keepdims keeps them as unit dimensions.
mlir::Value buildReduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        llvm::ArrayRef<int64_t> axes, bool keepdims, llvm::StringRef kind);

using CombineFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                                 mlir::ValueRange, mlir::Value)>;
/// Reduces `axes` (sorted, unique; may be empty) over the shape of inputs[0]:
/// acc = combine(elements of inputs..., acc), starting from `init`, whose type is
/// the accumulator's. Further inputs have the same rank and broadcast along
/// their unit dims (a keepdims statistic). keepdims keeps the axes as unit dims.
mlir::Value buildReduceWith(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
                            llvm::ArrayRef<int64_t> axes, bool keepdims, mlir::Value init,
                            CombineFn combine);

/// x - max - log(sum(exp(x - max))) over `axis` of a float tensor (Reduction.cpp).
mlir::Value buildLogSoftmax(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                            int64_t axis);

/// Makes an arith.constant from a dense attribute.
mlir::Value constantTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::DenseElementsAttr a);

/// Arithmetic on scalars that picks the float or integer form from the type.
mlir::Value addS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);
mlir::Value mulS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);
/// (isUnsigned: integers compare as unsigned, see OnnxNode::isUnsigned.)
mlir::Value maxS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y,
                 bool isUnsigned = false);
mlir::Value minS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y,
                 bool isUnsigned = false);
/// Converts a scalar between element types with ONNX Cast semantics.
/// Integers are signed unless fromUnsigned/toUnsigned say otherwise.
mlir::Value castS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Type to,
                  bool fromUnsigned = false, bool toUnsigned = false);

/// Conv/pool window helpers (MatMulConv.cpp): see Window.h.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                       llvm::ArrayRef<int64_t> pads, mlir::Value value);

/// Wraps a 2-D conv/pool lowering so it also takes 1-D (rank-3) operands: the
/// spatial dimension becomes W of an H=1 problem (input 0 and a rank-3 input 1
/// gain a unit H; kernel_shape/strides/dilations/pads gain the H entries).
LowerFn liftOneDimensional(LowerFn fn);

} // namespace nnm::onnx_to_linalg

#endif // NNM_PASSES_ONNXTOLINALG_COMMON_H
