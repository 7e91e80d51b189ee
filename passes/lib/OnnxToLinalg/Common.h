//===- Common.h - Helpers shared by the ONNX lowering families --*- C++ -*-===//
#ifndef NNM_PASSES_ONNXTOLINALG_COMMON_H
#define NNM_PASSES_ONNXTOLINALG_COMMON_H

#include "nnm/Passes/OnnxToLinalg/LoweringTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace nnm::onnx_to_linalg {

using Values = llvm::SmallVector<mlir::Value>;
using Result = mlir::FailureOr<Values>;

/// Static shape of a ranked tensor value.
llvm::SmallVector<int64_t> shapeOf(mlir::Value v);
mlir::Type elementTypeOf(mlir::Value v);
inline bool isFloat(mlir::Type t) { return mlir::isa<mlir::FloatType>(t); }

/// ONNX multidirectional broadcasting of static shapes; failure when incompatible.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes);

/// Normalises a possibly negative axis into [0, rank); failure when out of range.
mlir::FailureOr<int64_t> normalizeAxis(const OnnxNode &node, int64_t axis, int64_t rank);

/// A scalar constant of `type` (float or integer).
mlir::Value scalarConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, double v);
/// The lowest finite / -inf value of a float type, or the minimum of an integer type.
mlir::Value lowestConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type);
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

/// Reshapes a static tensor (same element count) via collapse/expand; folds
/// constants. A no-op when the shape already matches.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      llvm::ArrayRef<int64_t> shape);

/// Reduces `axes` (sorted, unique) of `v` with `kind` ("sum" or "max");
/// keepdims keeps them as unit dimensions.
mlir::Value buildReduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        llvm::ArrayRef<int64_t> axes, bool keepdims, llvm::StringRef kind);

/// The constant behind `v`, when it is one (arith.constant with dense elements).
mlir::DenseElementsAttr constantOf(mlir::Value v);
/// Integer values of a constant tensor input, or failure with a diagnostic that
/// names the input as needing a compile-time constant.
mlir::FailureOr<llvm::SmallVector<int64_t>> constantInts(const OnnxNode &node, unsigned input,
                                                         llvm::StringRef what);
/// Makes an arith.constant from a dense attribute.
mlir::Value constantTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::DenseElementsAttr a);

/// Arithmetic on scalars that picks the float or integer form from the type.
mlir::Value addS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);
mlir::Value mulS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);
mlir::Value maxS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);
mlir::Value minS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);
/// Converts a scalar between element types with ONNX Cast semantics.
mlir::Value castS(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Type to);

/// Conv/pool window helpers (MatMulConv.cpp). Pads are all begins, then all ends.
mlir::FailureOr<llvm::SmallVector<int64_t>>
resolvePads(const OnnxNode &node, llvm::ArrayRef<int64_t> in, llvm::ArrayRef<int64_t> kernel,
            llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations);
mlir::FailureOr<llvm::SmallVector<int64_t>> spatialAttr(const OnnxNode &node,
                                                        llvm::StringRef name, size_t n,
                                                        int64_t dflt);
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                       llvm::ArrayRef<int64_t> pads, mlir::Value value);

/// Wraps a 2-D conv/pool lowering so it also takes 1-D (rank-3) operands: the
/// spatial dimension becomes W of an H=1 problem (input 0 and a rank-3 input 1
/// gain a unit H; kernel_shape/strides/dilations/pads gain the H entries).
LowerFn liftOneDimensional(LowerFn fn);

} // namespace nnm::onnx_to_linalg

#endif // NNM_PASSES_ONNXTOLINALG_COMMON_H
