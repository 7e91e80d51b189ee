//===- TensorIO.h - Tensors from and to .npy / TensorProto files -*- C++ -*-===//
#ifndef NNM_COMPILER_TENSORIO_H
#define NNM_COMPILER_TENSORIO_H

#include "nnm/Compiler/ModelInfo.h"

#include <functional>
#include <string>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace nnm {

/// A host tensor: little-endian, C order, bool stored as one byte per element.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data;
};

/// Reads a NumPy .npy file (format 1.0/2.0/3.0, C order, little-endian
/// <f4 <f8 <i4 <i8 |b1). False with a message naming the file on error.
/// "[2, 3]": a shape as messages and the metadata write it.
std::string shapeText(const std::vector<int64_t> &shape);

bool readNpy(const std::string &path, HostTensor &out, std::string &error);
/// Writes a NumPy .npy file (format 1.0) atomically.
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);
/// Reads the bytes of a tensor stored as external data (see the importer).
using ExternalDataReader =
    std::function<bool(const onnx::TensorProto &, std::string &bytes, std::string &error)>;

/// The one TensorProto decoder: element type (any row of the element-type
/// table), shape and little-endian bytes from raw_data, the typed field of its
/// type, or external data through `external` (refused when null). Checks every
/// size; false with a message (without a path) on error.
bool decodeTensorProto(const onnx::TensorProto &proto, HostTensor &out, std::string &error,
                       const ExternalDataReader &external = nullptr);
/// Reads a serialized onnx.TensorProto (.pb) of a supported element type.
bool readTensorProto(const std::string &path, HostTensor &out, std::string &error);
/// Picks the reader by extension: ".npy" or ".pb".
bool readTensorFile(const std::string &path, HostTensor &out, std::string &error);

} // namespace nnm

#endif // NNM_COMPILER_TENSORIO_H
