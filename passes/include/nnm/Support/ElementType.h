//===- ElementType.h - The one element-type table ---------------*- C++ -*-===//
//
// Every mapping of an element type lives in ElementType.cpp: ONNX
// TensorProto.DataType code <-> MLIR type <-> C type in the generated header
// <-> NumPy descriptor <-> name in the metadata, with size and signedness.
// Adding a type is one row there. No MLIR header here, so packaging code that
// knows nothing of MLIR can use the table too.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_SUPPORT_ELEMENTTYPE_H
#define NNM_SUPPORT_ELEMENTTYPE_H

#include <cstdint>
#include <string>

namespace mlir {
class MLIRContext;
class Type;
} // namespace mlir

namespace nnm {

/// Element types NNModel knows.
enum class DType : uint8_t { F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool };

struct ElementType {
  DType dtype;
  int32_t onnxCode;     ///< onnx.TensorProto.DataType
  const char *name;     ///< metadata / messages: "float32", "uint8", ...
  const char *cType;    ///< spelling in the generated header
  const char *npyDescr; ///< NumPy dtype descriptor: "<f4", "|u1", ...
  unsigned bytes;       ///< storage size of one element
  bool isFloat;
  bool isSigned;        ///< integers: two's complement signed (floats: true)
  /// The lowerings handle it, so it may cross the generated API.
  bool supported;
};

/// The row of `t`.
const ElementType &elementType(DType t);
/// Rows by ONNX code, name or NumPy descriptor; null when none matches.
const ElementType *elementTypeForOnnx(int32_t code);
const ElementType *elementTypeForName(const std::string &name);
const ElementType *elementTypeForNpy(const std::string &descr);
/// "float32, float64, int32, int64, bool": every supported type, for messages.
std::string supportedElementTypeNames();

/// The MLIR element type: f32, bf16, i8 (signless) for signed integers, ui8 for
/// unsigned ones (the ONNX level keeps signedness), i1 for bool.
mlir::Type toMlirType(DType t, mlir::MLIRContext *ctx);
/// The row of an MLIR element type; false when it has none.
bool fromMlirType(mlir::Type type, DType &out);

// Shorthands used all over the packaging code.
inline const char *dtypeName(DType t) { return elementType(t).name; }
inline const char *dtypeCType(DType t) { return elementType(t).cType; }
inline unsigned dtypeBytes(DType t) { return elementType(t).bytes; }

} // namespace nnm

#endif // NNM_SUPPORT_ELEMENTTYPE_H
