//===- Import.cpp - ONNX ModelProto to ONNX-level MLIR --------------------===//
//
// Parses with libonnx's protobuf classes; validation is our own: every node
// is checked against the lowering table before any IR is built, and every
// problem is reported at once.
//
//===----------------------------------------------------------------------===//
#include "nnm/Compiler/Import.h"
#include "nnm/Compiler/TensorIO.h"
#include "nnm/Passes/OnnxToLinalg/LoweringTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <sstream>

using namespace mlir;

namespace nnm {
namespace {

using onnx_to_linalg::LoweringTable;

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

  void fail(const std::string &msg) { errors.push_back(msg); }
  Type elementType(int32_t code, const std::string &what);
  bool readExternal(const onnx::TensorProto &t, std::string &bytes);
  DenseElementsAttr tensorAttr(const onnx::TensorProto &t, const std::string &what);
  Attribute convertAttr(const onnx::AttributeProto &a, const std::string &where);
  Type guessResultElement(const onnx::NodeProto &node, ArrayRef<Value> operands,
                          ArrayRef<NamedAttribute> attrs);
};

std::string nodeLabel(const onnx::NodeProto &node, int64_t index, int64_t opset) {
  std::string name = node.name().empty() ? "#" + std::to_string(index) : node.name();
  return "node '" + name + "' (" + node.op_type() + ", opset " + std::to_string(opset) + ")";
}

Type Importer::elementType(int32_t code, const std::string &what) {
  switch (code) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::INT32: return b.getI32Type();
  case onnx::TensorProto::INT64: return b.getI64Type();
  case onnx::TensorProto::BOOL: return b.getI1Type();
  default:
    fail(what + ": unsupported element type " + std::to_string(code) +
         " (supported: float, double, int32, int64, bool)");
    return {};
  }
}

/// External data must live in a regular file inside the model's directory:
/// no absolute path, no '..', no symbolic link anywhere on the way.
bool Importer::readExternal(const onnx::TensorProto &t, std::string &bytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = std::stoll(kv.value());
    else if (kv.key() == "length")
      length = std::stoll(kv.value());
  }
  std::string what = "initializer '" + t.name() + "': external data";
  if (location.empty())
    return fail(what + " has no location"), false;
  if (llvm::sys::path::is_absolute(location) || location.find('\\') != std::string::npos)
    return fail(what + " path '" + location + "' must be relative to the model's directory"),
           false;
  llvm::SmallString<256> path(modelDir);
  for (auto it = llvm::sys::path::begin(location), e = llvm::sys::path::end(location); it != e;
       ++it) {
    if (*it == ".." )
      return fail(what + " path '" + location + "' escapes the model's directory"), false;
    if (*it == ".")
      continue;
    llvm::sys::path::append(path, *it);
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(path, st, /*follow=*/false))
      return fail(what + " file '" + location + "' not found next to the model"), false;
    if (st.type() == llvm::sys::fs::file_type::symlink_file)
      return fail(what + " path '" + location + "' goes through a symbolic link"), false;
  }
  if (!llvm::sys::fs::is_regular_file(path))
    return fail(what + " '" + location + "' is not a regular file"), false;
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf)
    return fail(what + " '" + location + "' cannot be read"), false;
  int64_t size = (*buf)->getBufferSize();
  if (length < 0)
    length = size - offset;
  if (offset < 0 || offset > size || length > size - offset)
    return fail(what + " offset/length lie outside '" + location + "'"), false;
  bytes.assign((*buf)->getBufferStart() + offset, length);
  return true;
}

DenseElementsAttr Importer::tensorAttr(const onnx::TensorProto &t, const std::string &what) {
  Type elt = elementType(t.data_type(), what);
  if (!elt)
    return {};
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return fail(what + ": negative dimension"), DenseElementsAttr();
    n *= d;
  }
  auto type = RankedTensorType::get(shape, elt);
  unsigned width = elt.isInteger(1) ? 1 : elt.getIntOrFloatBitWidth() / 8;
  std::string raw;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!readExternal(t, raw))
      return {};
  } else if (t.has_raw_data()) {
    raw = t.raw_data();
  } else {
    // Typed fields: bool and int32 live in int32_data.
    raw.resize(n * width);
    char *out = raw.data();
    auto fill = [&](const auto &field, auto tag) {
      using T = decltype(tag);
      if (int64_t(field.size()) != n)
        return false;
      for (int64_t i = 0; i < n; ++i) {
        T v = T(field.Get(i));
        std::memcpy(out + i * sizeof(T), &v, sizeof(T));
      }
      return true;
    };
    bool ok = false;
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: ok = fill(t.float_data(), float()); break;
    case onnx::TensorProto::DOUBLE: ok = fill(t.double_data(), double()); break;
    case onnx::TensorProto::INT32: ok = fill(t.int32_data(), int32_t()); break;
    case onnx::TensorProto::INT64: ok = fill(t.int64_data(), int64_t()); break;
    case onnx::TensorProto::BOOL: ok = fill(t.int32_data(), uint8_t()); break;
    }
    if (!ok)
      return fail(what + ": data does not match its shape"), DenseElementsAttr();
  }
  if (int64_t(raw.size()) != n * width)
    return fail(what + ": " + std::to_string(raw.size()) + " bytes of data for " +
                std::to_string(n) + " elements"),
           DenseElementsAttr();
  if (elt.isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : raw)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(raw.data(), raw.size()));
}

Attribute Importer::convertAttr(const onnx::AttributeProto &a, const std::string &where) {
  switch (a.type()) {
  case onnx::AttributeProto::INT: return b.getI64IntegerAttr(a.i());
  case onnx::AttributeProto::FLOAT: return b.getF32FloatAttr(a.f());
  case onnx::AttributeProto::STRING: return b.getStringAttr(a.s());
  case onnx::AttributeProto::INTS:
    return b.getDenseI64ArrayAttr(SmallVector<int64_t>(a.ints().begin(), a.ints().end()));
  case onnx::AttributeProto::FLOATS:
    return b.getDenseF32ArrayAttr(SmallVector<float>(a.floats().begin(), a.floats().end()));
  case onnx::AttributeProto::TENSOR:
    return tensorAttr(a.t(), where + " attribute '" + a.name() + "'");
  case onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> s;
    for (const auto &x : a.strings())
      s.push_back(b.getStringAttr(x));
    return b.getArrayAttr(s);
  }
  default:
    fail(where + ": attribute '" + a.name() + "' has an unsupported kind");
    return {};
  }
}

Type Importer::guessResultElement(const onnx::NodeProto &node, ArrayRef<Value> operands,
                                  ArrayRef<NamedAttribute> attrs) {
  // Only for the printed ONNX-level IR: lowering computes the real types.
  const std::string &op = node.op_type();
  auto attr = [&](StringRef n) -> Attribute {
    for (const NamedAttribute &a : attrs)
      if (a.getName() == n)
        return a.getValue();
    return {};
  };
  if (op == "Shape")
    return b.getI64Type();
  if (op == "Cast")
    if (auto to = dyn_cast_or_null<IntegerAttr>(attr("to"))) {
      Type t;
      switch (to.getInt()) {
      case 1: t = b.getF32Type(); break;
      case 6: t = b.getI32Type(); break;
      case 7: t = b.getI64Type(); break;
      case 9: t = b.getI1Type(); break;
      case 11: t = b.getF64Type(); break;
      }
      if (t)
        return t;
    }
  if (op == "Constant" || op == "ConstantOfShape") {
    if (auto v = dyn_cast_or_null<DenseElementsAttr>(attr("value")))
      return v.getElementType();
    if (attr("value_int") || attr("value_ints"))
      return b.getI64Type();
    return b.getF32Type();
  }
  for (Value v : operands)
    if (auto st = dyn_cast<ShapedType>(v.getType()))
      return st.getElementType();
  return b.getF32Type();
}

OwningOpRef<ModuleOp> Importer::run(const onnx::ModelProto &model, const ImportOptions &options,
                                    ModelInfo &info) {
  const LoweringTable &table = LoweringTable::get();
  int64_t opset = -1;
  info.producerName = model.producer_name();
  info.producerVersion = model.producer_version();
  for (const auto &o : model.opset_import()) {
    std::string domain = o.domain() == "ai.onnx" ? "" : o.domain();
    info.opsets.push_back({domain, o.version()});
    if (domain.empty())
      opset = o.version();
  }
  if (opset < 0) {
    // IR version 2 models may omit the default domain; ONNX then means opset 1.
    opset = model.opset_import_size() ? -1 : 1;
    if (opset < 0)
      return fail("model imports no ai.onnx opset"), nullptr;
  }
  if (!model.has_graph())
    return fail("model has no graph"), nullptr;
  const onnx::GraphProto &g = model.graph();

  // Validate every node against the lowering table first.
  int64_t index = 0;
  for (const auto &node : g.node()) {
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    if (!domain.empty())
      fail(nodeLabel(node, index, opset) + ": domain '" + domain + "' is not supported");
    else if (!table.lookup(node.op_type(), opset)) {
      int64_t first = table.firstOpset(node.op_type());
      fail(nodeLabel(node, index, opset) + ": " +
           (first ? "supported from opset " + std::to_string(first) +
                        " up to " + std::to_string(onnx_to_linalg::kMaxOpset)
                  : std::string("operator is not supported")));
    }
    for (const auto &a : node.attribute())
      if (a.type() == onnx::AttributeProto::GRAPH || a.type() == onnx::AttributeProto::GRAPHS)
        fail(nodeLabel(node, index, opset) + ": subgraph attribute '" + a.name() +
             "' is not supported");
    ++index;
  }
  if (!errors.empty())
    return nullptr;

  auto module = ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module.getBody());

  llvm::StringSet<> initializerNames;
  for (const auto &init : g.initializer())
    initializerNames.insert(init.name());

  // Graph inputs (those not backed by an initializer) become function arguments.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<std::pair<std::string, DenseElementsAttr>> bound;
  std::map<std::string, std::string> unusedBinds = options.boundInputs;
  for (const auto &in : g.input()) {
    if (initializerNames.contains(in.name()))
      continue;
    std::string what = "input '" + in.name() + "'";
    if (auto it = unusedBinds.find(in.name()); it != unusedBinds.end()) {
      HostTensor t;
      std::string err;
      if (!readTensorFile(it->second, t, err)) {
        fail("--bind " + in.name() + ": " + err);
      } else {
        static const int32_t codes[] = {onnx::TensorProto::FLOAT, onnx::TensorProto::DOUBLE,
                                        onnx::TensorProto::INT32, onnx::TensorProto::INT64,
                                        onnx::TensorProto::BOOL};
        int32_t declared = in.type().tensor_type().elem_type();
        if (codes[int(t.dtype)] != declared) {
          fail("--bind " + in.name() + ": file holds " + dtypeName(t.dtype) +
               ", the graph declares element type " + std::to_string(declared));
        } else {
          Type elt = elementType(declared, what);
          auto type = RankedTensorType::get(SmallVector<int64_t>(t.shape.begin(), t.shape.end()),
                                            elt);
          DenseElementsAttr a;
          if (elt.isInteger(1)) {
            SmallVector<bool> bits;
            for (char c : t.data)
              bits.push_back(c != 0);
            a = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
          } else {
            a = DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(t.data));
          }
          bound.push_back({in.name(), a});
        }
      }
      unusedBinds.erase(it);
      continue;
    }
    if (!in.type().has_tensor_type()) {
      fail(what + ": only tensor inputs are supported");
      continue;
    }
    const auto &tt = in.type().tensor_type();
    Type elt = elementType(tt.elem_type(), what);
    if (!tt.has_shape()) {
      fail(what + ": has no shape");
      continue;
    }
    SmallVector<int64_t> shape;
    int64_t d = 0;
    for (const auto &dim : tt.shape().dim()) {
      if (dim.has_dim_value()) {
        shape.push_back(dim.dim_value());
      } else if (dim.has_dim_param() && options.dims.count(dim.dim_param())) {
        shape.push_back(options.dims.at(dim.dim_param()));
      } else {
        std::string sym = dim.has_dim_param() ? dim.dim_param() : "";
        fail(what + ": dimension " + std::to_string(d) +
             (sym.empty() ? " is unknown; give the input a static shape"
                          : " ('" + sym + "') is symbolic; pin it with --dim " + sym + "=N"));
      }
      ++d;
    }
    if (!elt)
      continue;
    argTypes.push_back(RankedTensorType::get(shape, elt));
    argNames.push_back(in.name());
    TensorSig sig;
    sig.name = in.name();
    sig.shape.assign(shape.begin(), shape.end());
    switch (tt.elem_type()) {
    case onnx::TensorProto::FLOAT: sig.dtype = DType::F32; break;
    case onnx::TensorProto::DOUBLE: sig.dtype = DType::F64; break;
    case onnx::TensorProto::INT32: sig.dtype = DType::I32; break;
    case onnx::TensorProto::INT64: sig.dtype = DType::I64; break;
    default: sig.dtype = DType::Bool; break;
    }
    info.inputs.push_back(sig);
  }
  for (const auto &kv : unusedBinds)
    fail("--bind " + kv.first + ": the graph has no such input");
  if (!errors.empty())
    return module->erase(), nullptr;

  auto fnType = b.getFunctionType(argTypes, {});
  auto fn = func::FuncOp::create(b, NameLoc::get(b.getStringAttr(g.name())), kGraphFunction,
                                 fnType);
  Block *entry = fn.addEntryBlock();
  for (size_t i = 0; i < argNames.size(); ++i)
    values[argNames[i]] = entry->getArgument(i);
  b.setInsertionPointToStart(entry);
  for (const auto &[name, attr] : bound)
    values[name] = arith::ConstantOp::create(b, NameLoc::get(b.getStringAttr(name)), attr);

  for (const auto &init : g.initializer()) {
    DenseElementsAttr a = tensorAttr(init, "initializer '" + init.name() + "'");
    if (a)
      values[init.name()] =
          arith::ConstantOp::create(b, NameLoc::get(b.getStringAttr(init.name())), a);
  }
  if (!errors.empty())
    return module->erase(), nullptr;

  index = 0;
  for (const auto &node : g.node()) {
    std::string label = nodeLabel(node, index++, opset);
    std::string name = node.name().empty() ? node.op_type() : node.name();
    Location loc = NameLoc::get(b.getStringAttr(name));
    SmallVector<Value> operands;
    for (const auto &in : node.input()) {
      if (in.empty()) {
        if (!none) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(entry);
          OperationState st(b.getUnknownLoc(), "onnx.None");
          st.addTypes(b.getNoneType());
          none = b.create(st)->getResult(0);
        }
        operands.push_back(none);
        continue;
      }
      auto it = values.find(in);
      if (it == values.end()) {
        fail(label + ": input '" + in + "' is not produced by any earlier node");
        continue;
      }
      operands.push_back(it->second);
    }
    SmallVector<NamedAttribute> attrs;
    for (const auto &a : node.attribute())
      if (Attribute conv = convertAttr(a, label))
        attrs.push_back(b.getNamedAttr(a.name(), conv));
    attrs.push_back(b.getNamedAttr(onnx_to_linalg::kOpsetAttr, b.getI64IntegerAttr(opset)));
    if (!errors.empty())
      continue;
    Type elt = guessResultElement(node, operands, attrs);
    OperationState st(loc, "onnx." + node.op_type());
    st.addOperands(operands);
    st.addAttributes(attrs);
    for (int i = 0; i < node.output_size(); ++i)
      st.addTypes(UnrankedTensorType::get(elt));
    Operation *op = b.create(st);
    for (int i = 0; i < node.output_size(); ++i)
      if (!node.output(i).empty())
        values[node.output(i)] = op->getResult(i);
  }

  SmallVector<Value> results;
  for (const auto &out : g.output()) {
    auto it = values.find(out.name());
    if (it == values.end()) {
      fail("graph output '" + out.name() + "' is not produced by any node");
      continue;
    }
    results.push_back(it->second);
    TensorSig sig;
    sig.name = out.name();
    info.outputs.push_back(sig); // dtype and shape are known after lowering
  }
  if (results.empty())
    fail("graph has no outputs");
  if (!errors.empty())
    return module->erase(), nullptr;
  func::ReturnOp::create(b, fn.getLoc(), results);
  fn.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  return module;
}

} // namespace

OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &ctx, const std::string &path,
                                     const ImportOptions &options, ModelInfo &info,
                                     std::vector<std::string> &errors) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf) {
    errors.push_back("cannot read '" + path + "': " + buf.getError().message());
    return nullptr;
  }
  std::string bytes((*buf)->getBufferStart(), (*buf)->getBufferSize());
  info.sourceSha256 = sha256Hex(bytes);
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) {
    errors.push_back("'" + path + "' is not a valid ONNX model (protobuf parsing failed; "
                     "truncated or not an .onnx file?)");
    return nullptr;
  }
  if (model.ir_version() <= 0 || !model.has_graph()) {
    errors.push_back("'" + path + "' is not a valid ONNX model (no IR version or no graph)");
    return nullptr;
  }
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  ctx.allowUnregisteredDialects();
  ctx.loadDialect<func::FuncDialect, arith::ArithDialect>();
  Importer importer(ctx, dir.str().str(), errors);
  return importer.run(model, options, info);
}

} // namespace nnm
