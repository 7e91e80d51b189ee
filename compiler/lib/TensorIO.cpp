//===- TensorIO.cpp - Tensors from and to .npy / TensorProto files --------===//
#include "nnm/Compiler/TensorIO.h"
#include "nnm/Support/CheckedSize.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/ErrorOr.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unistd.h>

using namespace nnm;

static bool fail(std::string &error, const std::string &path, const std::string &what) {
  error = path + ": " + what;
  return false;
}

std::string nnm::shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Bytes that `shape` of `dtype` occupies; false when a dimension is negative
/// or the count overflows.
static bool byteSize(DType dtype, const std::vector<int64_t> &shape, uint64_t &bytes) {
  std::optional<int64_t> n = checkedByteSize(shape, dtypeBytes(dtype));
  if (!n)
    return false;
  bytes = uint64_t(*n);
  return true;
}

/// Bool elements are stored as 0 or 1, whatever byte the file held.
static void normalizeBools(HostTensor &t) {
  if (t.dtype == DType::Bool)
    for (char &c : t.data)
      c = c != 0;
}

static bool readFile(const std::string &path, std::unique_ptr<llvm::MemoryBuffer> &buffer,
                     std::string &error) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!file)
    return fail(error, path, "cannot read: " + file.getError().message());
  buffer = std::move(*file);
  return true;
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

static const char kNpyMagic[] = "\x93NUMPY";
static const size_t kNpyMagicSize = 6;

static const char *npyDescr(DType t) { return elementType(t).npyDescr; }

namespace {
/// Parser for the header of a .npy file: a Python dict literal such as
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class NpyHeaderParser {
public:
  explicit NpyHeaderParser(llvm::StringRef text) : rest(text) {}

  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  std::string error;

  bool parse() {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    if (!consume('{'))
      return fail("expected '{'");
    while (true) {
      if (consume('}'))
        break;
      std::string key;
      if (!string(key) || !consume(':'))
        return fail("expected 'key': value");
      if (key == "descr") {
        if (!string(descr))
          return fail("'descr' is not a string");
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (keyword("True"))
          fortranOrder = true;
        else if (keyword("False"))
          fortranOrder = false;
        else
          return fail("'fortran_order' is neither True nor False");
        haveOrder = true;
      } else if (key == "shape") {
        if (!tuple())
          return fail("'shape' is not a tuple of non-negative integers");
        haveShape = true;
      } else {
        return fail("unexpected key '" + key + "'");
      }
      if (!consume(',')) {
        if (!consume('}'))
          return fail("expected ',' or '}'");
        break;
      }
    }
    skipSpace();
    if (!rest.empty())
      return fail("trailing characters after the dict");
    if (!haveDescr || !haveOrder || !haveShape)
      return fail("the dict needs the keys 'descr', 'fortran_order' and 'shape'");
    return true;
  }

private:
  llvm::StringRef rest;

  bool fail(const std::string &what) {
    error = "malformed .npy header: " + what;
    return false;
  }
  void skipSpace() { rest = rest.ltrim(" \t\r\n"); }
  bool consume(char c) {
    skipSpace();
    return rest.consume_front(llvm::StringRef(&c, 1));
  }
  bool keyword(llvm::StringRef word) {
    skipSpace();
    return rest.consume_front(word);
  }
  bool string(std::string &out) {
    skipSpace();
    if (rest.empty() || (rest[0] != '\'' && rest[0] != '"'))
      return false;
    char quote = rest[0];
    size_t end = rest.find(quote, 1);
    if (end == llvm::StringRef::npos)
      return false;
    out = rest.substr(1, end - 1).str();
    rest = rest.drop_front(end + 1);
    return true;
  }
  bool tuple() {
    if (!consume('('))
      return false;
    while (true) {
      if (consume(')'))
        return true;
      skipSpace();
      size_t digits = 0;
      while (digits < rest.size() && llvm::isDigit(rest[digits]))
        ++digits;
      int64_t dim;
      if (digits == 0 || rest.take_front(digits).getAsInteger(10, dim))
        return false;
      rest = rest.drop_front(digits);
      rest.consume_front("L"); // Python 2 longs
      shape.push_back(dim);
      if (!consume(','))
        return consume(')');
    }
  }
};
} // namespace

bool nnm::readNpy(const std::string &path, HostTensor &out, std::string &error) {
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  if (!readFile(path, buffer, error))
    return false;
  llvm::StringRef file = buffer->getBuffer();
  if (file.size() < 10 || !file.starts_with(llvm::StringRef(kNpyMagic, kNpyMagicSize)))
    return fail(error, path, "not a .npy file (no \\x93NUMPY magic)");
  unsigned major = static_cast<unsigned char>(file[6]);
  unsigned minor = static_cast<unsigned char>(file[7]);
  size_t headerStart, headerLen;
  if (major == 1) {
    headerStart = 10;
    headerLen = llvm::support::endian::read16le(file.data() + 8);
  } else if (major == 2 || major == 3) {
    if (file.size() < 12)
      return fail(error, path, "truncated .npy header");
    headerStart = 12;
    headerLen = llvm::support::endian::read32le(file.data() + 8);
  } else {
    return fail(error, path,
                "unsupported .npy format version " + std::to_string(major) + "." +
                    std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  }
  if (headerLen > file.size() - headerStart)
    return fail(error, path, "truncated .npy header");

  NpyHeaderParser header(file.substr(headerStart, headerLen));
  if (!header.parse())
    return fail(error, path, header.error);
  if (header.fortranOrder)
    return fail(error, path,
                "Fortran-order arrays are not supported; save a C-order array "
                "(numpy.ascontiguousarray)");
  HostTensor t;
  const ElementType *et = elementTypeForNpy(header.descr);
  if (!et || !et->supported)
    return fail(error, path,
                "unsupported element type '" + header.descr + "' (supported: " +
                    supportedElementTypeNames() + ")");
  t.dtype = et->dtype;
  t.shape = std::move(header.shape);
  uint64_t bytes;
  if (!byteSize(t.dtype, t.shape, bytes))
    return fail(error, path, "shape " + shapeText(t.shape) + " is too large");
  llvm::StringRef data = file.drop_front(headerStart + headerLen);
  if (data.size() != bytes)
    return fail(error, path,
                "holds " + std::to_string(data.size()) + " data bytes, but " + dtypeName(t.dtype) +
                    shapeText(t.shape) + " needs " + std::to_string(bytes));
  t.data.assign(data.begin(), data.end());
  normalizeBools(t);
  out = std::move(t);
  return true;
}

bool nnm::writeNpy(const std::string &path, const HostTensor &t, std::string &error) {
  uint64_t bytes;
  if (!byteSize(t.dtype, t.shape, bytes))
    return fail(error, path, "cannot write: invalid shape " + shapeText(t.shape));
  if (bytes != t.data.size())
    return fail(error, path,
                "cannot write: " + std::string(dtypeName(t.dtype)) + shapeText(t.shape) +
                    " needs " + std::to_string(bytes) + " bytes, the tensor holds " +
                    std::to_string(t.data.size()));

  std::string dict =
      std::string("{'descr': '") + npyDescr(t.dtype) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(t.shape[i]);
  dict += t.shape.size() == 1 ? ",), }" : "), }";
  // Magic, version, length, dict, then spaces and '\n' up to a multiple of 64
  // bytes so that the data is aligned, as numpy does. Version 2.0 only when the
  // dict does not fit a 16-bit length.
  bool v2 = dict.size() + 1 + 10 > 0xffff;
  size_t prelude = v2 ? 12 : 10;
  size_t total = (prelude + dict.size() + 1 + 63) / 64 * 64;
  std::string header(kNpyMagic, kNpyMagicSize);
  header += static_cast<char>(v2 ? 2 : 1);
  header += '\0';
  size_t headerLen = total - prelude;
  char len[4];
  if (v2) {
    llvm::support::endian::write32le(len, static_cast<uint32_t>(headerLen));
    header.append(len, 4);
  } else {
    llvm::support::endian::write16le(len, static_cast<uint16_t>(headerLen));
    header.append(len, 2);
  }
  header += dict;
  header.append(total - header.size() - 1, ' ');
  header += '\n';

  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    return fail(error, path, std::string("cannot write: ") + std::strerror(errno));
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  if (t.dtype == DType::Bool) {
    for (size_t i = 0; ok && i < t.data.size(); ++i)
      ok = std::fputc(t.data[i] != 0, f) != EOF;
  } else if (ok && !t.data.empty()) {
    ok = std::fwrite(t.data.data(), 1, t.data.size(), f) == t.data.size();
  }
  int savedErrno = ok ? 0 : errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    return fail(error, path, std::string("cannot write: ") + std::strerror(savedErrno));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// TensorProto
//===----------------------------------------------------------------------===//

/// Stores each value of a repeated proto field as `T` (the element's storage
/// type; the low bytes of an int32_data entry for 8- and 16-bit types).
template <typename T, typename Field>
static void copyValues(const Field &field, unsigned bytes, HostTensor &out) {
  out.data.resize(size_t(field.size()) * bytes);
  char *dst = out.data.data();
  for (const auto &v : field) {
    T value = static_cast<T>(v);
    std::memcpy(dst, &value, bytes); // little-endian: the low bytes come first
    dst += bytes;
  }
}

bool nnm::decodeTensorProto(const onnx::TensorProto &proto, HostTensor &out, std::string &error,
                            const ExternalDataReader &external) {
  static_assert(llvm::endianness::native == llvm::endianness::little,
                "tensors are kept little-endian; a big-endian host needs byte swapping here");
  auto failed = [&](const std::string &what) {
    error = what;
    return false;
  };
  if (proto.has_segment())
    return failed("segmented tensors are not supported");
  const ElementType *et = elementTypeForOnnx(proto.data_type());
  if (!et) {
    int type = proto.data_type();
    std::string name =
        onnx::TensorProto::DataType_IsValid(type)
            ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type))
            : "unknown";
    return failed("unsupported data type " + std::to_string(type) + " (" + name +
                  "); supported: " + supportedElementTypeNames());
  }
  HostTensor t;
  t.dtype = et->dtype;
  for (int64_t d : proto.dims()) {
    if (d < 0)
      return failed("negative dimension " + std::to_string(d));
    t.shape.push_back(d);
  }
  uint64_t bytes;
  if (!byteSize(t.dtype, t.shape, bytes))
    return failed("shape " + shapeText(t.shape) + " is too large");
  const std::string what = std::string(et->name) + shapeText(t.shape);

  // The typed field ONNX stores this element type in (onnx.proto3 comments).
  const char *field;
  int count;
  if (et->isFloat && et->bytes == 4) {
    field = "float_data", count = proto.float_data_size();
  } else if (t.dtype == DType::F64) {
    field = "double_data", count = proto.double_data_size();
  } else if (t.dtype == DType::I64) {
    field = "int64_data", count = proto.int64_data_size();
  } else if (t.dtype == DType::U32 || t.dtype == DType::U64) {
    field = "uint64_data", count = proto.uint64_data_size();
  } else {
    field = "int32_data", count = proto.int32_data_size(); // bits of 8/16-bit types, bool
  }

  if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0) {
    if (!external)
      return failed("external data is not supported; store the values in the file");
    std::string raw;
    if (!external(proto, raw, error))
      return false;
    if (raw.size() != bytes)
      return failed("external data holds " + std::to_string(raw.size()) + " bytes, but " +
                    what + " needs " + std::to_string(bytes));
    t.data.assign(raw.begin(), raw.end());
  } else if (proto.has_raw_data()) {
    if (count > 0)
      return failed(std::string("holds both raw_data and ") + field);
    const std::string &raw = proto.raw_data();
    if (raw.size() != bytes)
      return failed("raw_data holds " + std::to_string(raw.size()) + " bytes, but " + what +
                    " needs " + std::to_string(bytes));
    t.data.assign(raw.begin(), raw.end());
  } else {
    uint64_t elements = bytes / et->bytes;
    if (static_cast<uint64_t>(count) != elements)
      return failed(std::string(field) + " holds " + std::to_string(count) + " values, but " +
                    what + " needs " + std::to_string(elements));
    if (field == std::string("float_data"))
      copyValues<float>(proto.float_data(), et->bytes, t);
    else if (field == std::string("double_data"))
      copyValues<double>(proto.double_data(), et->bytes, t);
    else if (field == std::string("int64_data"))
      copyValues<int64_t>(proto.int64_data(), et->bytes, t);
    else if (field == std::string("uint64_data"))
      copyValues<uint64_t>(proto.uint64_data(), et->bytes, t);
    else
      copyValues<int32_t>(proto.int32_data(), et->bytes, t);
  }
  normalizeBools(t);
  out = std::move(t);
  return true;
}

bool nnm::readTensorProto(const std::string &path, HostTensor &out, std::string &error) {
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  if (!readFile(path, buffer, error))
    return false;
  llvm::StringRef file = buffer->getBuffer();
  if (file.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return fail(error, path, "too large for a TensorProto (2 GiB limit)");
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(file.data(), static_cast<int>(file.size())))
    return fail(error, path, "not a serialized onnx.TensorProto");
  std::string err;
  if (!decodeTensorProto(proto, out, err))
    return fail(error, path, err);
  if (!elementType(out.dtype).supported)
    return fail(error, path,
                std::string("unsupported element type ") + dtypeName(out.dtype) +
                    " (supported: " + supportedElementTypeNames() + ")");
  return true;
}

bool nnm::readTensorFile(const std::string &path, HostTensor &out, std::string &error) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext.equals_insensitive(".npy"))
    return readNpy(path, out, error);
  if (ext.equals_insensitive(".pb"))
    return readTensorProto(path, out, error);
  return fail(error, path, "unknown tensor file type; expected a .npy or .pb file");
}
