//===- ElementType.cpp - The one element-type table -----------------------===//
#include "nnm/Support/ElementType.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <iterator>

namespace nnm {
namespace {

// clang-format off
// dtype        onnx  name        C type       npy    bytes float signed supported
constexpr ElementType kTable[] = {
  {DType::F32,    1, "float32",  "float",     "<f4", 4, true,  true,  true},
  {DType::U8,     2, "uint8",    "uint8_t",   "|u1", 1, false, false, true},
  {DType::I8,     3, "int8",     "int8_t",    "|i1", 1, false, true,  true},
  {DType::U16,    4, "uint16",   "uint16_t",  "<u2", 2, false, false, true},
  {DType::I16,    5, "int16",    "int16_t",   "<i2", 2, false, true,  true},
  {DType::I32,    6, "int32",    "int32_t",   "<i4", 4, false, true,  true},
  {DType::I64,    7, "int64",    "int64_t",   "<i8", 8, false, true,  true},
  {DType::Bool,   9, "bool",     "bool",      "|b1", 1, false, false, true},
  {DType::F16,   10, "float16",  "uint16_t",  "<f2", 2, true,  true,  true},
  {DType::F64,   11, "float64",  "double",    "<f8", 8, true,  true,  true},
  {DType::U32,   12, "uint32",   "uint32_t",  "<u4", 4, false, false, true},
  {DType::U64,   13, "uint64",   "uint64_t",  "<u8", 8, false, false, true},
  {DType::BF16,  16, "bfloat16", "uint16_t",  "",    2, true,  true,  false},
};
// clang-format on

template <typename Pred> const ElementType *find(Pred pred) {
  for (const ElementType &e : kTable)
    if (pred(e))
      return &e;
  return nullptr;
}

} // namespace

const ElementType &elementType(DType t) {
  return *find([t](const ElementType &e) { return e.dtype == t; });
}

const ElementType *elementTypeForOnnx(int32_t code) {
  return find([code](const ElementType &e) { return e.onnxCode == code; });
}

const ElementType *elementTypeForName(const std::string &name) {
  return find([&](const ElementType &e) { return name == e.name; });
}

const ElementType *elementTypeForNpy(const std::string &descr) {
  return find([&](const ElementType &e) { return *e.npyDescr && descr == e.npyDescr; });
}

std::string supportedElementTypeNames() {
  std::string out;
  for (const ElementType &e : kTable)
    if (e.supported)
      out += (out.empty() ? "" : ", ") + std::string(e.name);
  return out;
}

mlir::Type toMlirType(DType t, mlir::MLIRContext *ctx) {
  const ElementType &e = elementType(t);
  switch (t) {
  case DType::F32: return mlir::Float32Type::get(ctx);
  case DType::F64: return mlir::Float64Type::get(ctx);
  case DType::F16: return mlir::Float16Type::get(ctx);
  case DType::BF16: return mlir::BFloat16Type::get(ctx);
  case DType::Bool: return mlir::IntegerType::get(ctx, 1);
  default:
    return mlir::IntegerType::get(ctx, e.bytes * 8,
                                  e.isSigned ? mlir::IntegerType::Signless
                                             : mlir::IntegerType::Unsigned);
  }
}

bool fromMlirType(mlir::Type type, DType &out) {
  for (const ElementType &e : kTable)
    if (toMlirType(e.dtype, type.getContext()) == type) {
      out = e.dtype;
      return true;
    }
  return false;
}

} // namespace nnm
