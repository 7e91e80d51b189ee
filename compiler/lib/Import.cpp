//===- Import.cpp - ONNX ModelProto to ONNX-level MLIR --------------------===//
//
// Parses with libonnx's protobuf classes; validation is our own: every node
// is checked against the op table before any IR is built, and every
// problem is reported at once.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"
#include "nnm/Compiler/Import.h"
#include "nnm/Compiler/TensorIO.h"
#include "nnm/Passes/OnnxToLinalg/OpTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fstream>
#include <set>
#include <sstream>

using namespace mlir;

namespace nnm {
namespace import_detail {

std::string nodeLabel(const onnx::NodeProto &node, int64_t index, int64_t opset) {
  std::string name = node.name().empty() ? "#" + std::to_string(index) : node.name();
  return "node '" + name + "' (" + node.op_type() + ", opset " + std::to_string(opset) + ")";
}

Type Importer::mlirElementType(int32_t code, const std::string &what) {
  const ElementType *et = elementTypeForOnnx(code);
  if (!et || !et->supported) {
    fail(what + ": unsupported element type " +
         (et ? std::string(et->name) : std::to_string(code)) +
         " (supported: " + supportedElementTypeNames() + ")");
    return {};
  }
  return toMlirType(et->dtype, &ctx);
}

DenseElementsAttr Importer::hostTensorAttr(const HostTensor &t) {
  auto type = RankedTensorType::get(SmallVector<int64_t>(t.shape.begin(), t.shape.end()),
                                    toMlirType(t.dtype, &ctx));
  if (t.dtype == DType::Bool) {
    SmallVector<bool> bits;
    for (char c : t.data)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(t.data));
}

/// External data must live in a regular file inside the model's directory:
/// no absolute path, no '..', no symbolic link anywhere on the way.
bool Importer::readExternal(const onnx::TensorProto &t, std::string &bytes,
                            std::string &error) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : t.external_data()) {
    bool bad = false;
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      bad = llvm::StringRef(kv.value()).getAsInteger(10, offset) || offset < 0;
    else if (kv.key() == "length")
      bad = llvm::StringRef(kv.value()).getAsInteger(10, length) || length < 0;
    if (bad) {
      error = "external data " + kv.key() + " '" + kv.value() + "' is not a byte count";
      return false;
    }
  }
  auto failed = [&](const std::string &msg) {
    error = "external data " + msg;
    return false;
  };
  if (location.empty())
    return failed("has no location");
  if (llvm::sys::path::is_absolute(location) || location.find('\\') != std::string::npos)
    return failed("path '" + location + "' must be relative to the model's directory");
  SmallVector<std::string> parts;
  for (auto it = llvm::sys::path::begin(location), e = llvm::sys::path::end(location); it != e;
       ++it) {
    if (*it == "..")
      return failed("path '" + location + "' escapes the model's directory");
    if (*it != ".")
      parts.push_back(it->str());
  }
  if (parts.empty())
    return failed("'" + location + "' is not a regular file");
  // Walked with openat and O_NOFOLLOW from the model's directory, so what is
  // checked is what is read: no symbolic link on the way, and no swap between
  // a check and the open.
  auto openFailed = [&](int err) {
    if (err == ELOOP)
      return failed("path '" + location + "' goes through a symbolic link");
    if (err == ENOENT)
      return failed("file '" + location + "' not found next to the model");
    if (err == ENOTDIR)
      return failed("path '" + location + "' goes through something that is not a directory");
    return failed("'" + location + "' cannot be opened: " + std::strerror(err));
  };
  int dir = ::open(modelDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return failed("cannot open the model's directory: " + std::string(std::strerror(errno)));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(dir, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    struct stat link;
    // A symbolic link opened with O_DIRECTORY | O_NOFOLLOW fails with ENOTDIR.
    if (next < 0 && err == ENOTDIR &&
        ::fstatat(dir, parts[i].c_str(), &link, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(link.st_mode))
      err = ELOOP;
    ::close(dir);
    if (next < 0)
      return openFailed(err);
    dir = next;
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  int fd = ::openat(dir, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  int openErr = errno;
  ::close(dir);
  if (fd < 0)
    return openFailed(openErr);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return failed("'" + location + "' is not a regular file");
  // A second hard link may be a file anywhere on the file system, which the
  // checks on the path cannot see: refuse it like a symbolic link.
  if (st.st_nlink != 1)
    return failed("file '" + location + "' has " + std::to_string(st.st_nlink) +
                  " hard links; external data must be a file of its own in the model's "
                  "directory (copy it there)");
  int64_t size = st.st_size;
  if (length < 0)
    length = size - offset;
  if (offset > size || length > size - offset)
    return failed("offset/length lie outside '" + location + "'");
  bytes.resize(length);
  for (int64_t done = 0; done < length;) {
    ssize_t n = ::pread(fd, bytes.data() + done, size_t(length - done), offset + done);
    if (n <= 0)
      return failed("'" + location + "' cannot be read");
    done += n;
  }
  return true;
}

DenseElementsAttr Importer::tensorAttr(const onnx::TensorProto &t, const std::string &what) {
  HostTensor host;
  std::string err;
  auto external = [this](const onnx::TensorProto &p, std::string &bytes, std::string &e) {
    return readExternal(p, bytes, e);
  };
  if (!decodeTensorProto(t, host, err, external))
    return fail(what + ": " + err), DenseElementsAttr();
  if (!mlirElementType(t.data_type(), what))
    return {};
  return hostTensorAttr(host);
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

OwningOpRef<ModuleOp> Importer::run(const onnx::ModelProto &model, const ImportOptions &options,
                                    ModelInfo &info) {
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

  // Validate every node, control-flow bodies included, against the op table first.
  limits = options.limits;
  validateNodes(g, opset);
  if (nodeCount > limits.maxNodes)
    fail("the graph has " + std::to_string(nodeCount) + " nodes (bodies included), over the "
         "limit of " + std::to_string(limits.maxNodes) + " (--max-nodes)");
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
  SmallVector<ArrayAttr> argDimNames;
  SmallVector<std::pair<std::string, DenseElementsAttr>> bound;
  std::map<std::string, std::string> unusedBinds = options.boundInputs;
  // The name --dim pins a dimension by: its dim_param, or "<input>:<axis>" when
  // it has neither a value nor a usable name (no name, "?", or a negative
  // dim_value as some exporters write); "" for a static dimension.
  auto dimSymbol = [](const onnx::ValueInfoProto &in, int64_t axis,
                      const onnx::TensorShapeProto_Dimension &dim) -> std::string {
    if (dim.has_dim_value() && dim.dim_value() >= 0)
      return "";
    std::string sym = dim.has_dim_param() ? dim.dim_param() : "";
    if (sym.empty() || sym == "?")
      sym = in.name() + ":" + std::to_string(axis);
    return sym;
  };
  std::set<std::string> symbolNames; // every symbolic dimension of the graph inputs
  for (const auto &in : g.input())
    if (in.type().has_tensor_type() && in.type().tensor_type().has_shape()) {
      int64_t axis = 0;
      for (const auto &dim : in.type().tensor_type().shape().dim())
        if (std::string sym = dimSymbol(in, axis++, dim); !sym.empty())
          symbolNames.insert(sym);
    }
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
        int32_t declared = in.type().tensor_type().elem_type();
        if (elementType(t.dtype).onnxCode != declared) {
          const ElementType *et = elementTypeForOnnx(declared);
          fail("--bind " + in.name() + ": file holds " + dtypeName(t.dtype) +
               ", the graph declares " + (et ? et->name : std::to_string(declared)));
        } else {
          DenseElementsAttr a = hostTensorAttr(t);
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
    Type elt = mlirElementType(tt.elem_type(), what);
    if (!tt.has_shape()) {
      fail(what + ": has no shape");
      continue;
    }
    SmallVector<int64_t> shape;
    SmallVector<Attribute> dimNames; // the model's name of each dimension ("" if none)
    bool symbolic = false;
    int64_t d = 0;
    for (const auto &dim : tt.shape().dim()) {
      std::string sym = dimSymbol(in, d, dim);
      dimNames.push_back(b.getStringAttr(sym));
      if (sym.empty()) {
        shape.push_back(dim.dim_value());
      } else if (options.dims.count(sym)) {
        shape.push_back(options.dims.at(sym));
      } else if (options.keepSymbolicDims) {
        shape.push_back(ShapedType::kDynamic);
        symbolic = true;
      } else {
        fail(what + ": dimension " + std::to_string(d) + " ('" + sym +
             "') is symbolic; pin it with --dim " + sym + "=N");
      }
      ++d;
    }
    if (!elt || !checkTensorSize(what, RankedTensorType::get(shape, elt)))
      continue;
    argTypes.push_back(RankedTensorType::get(shape, elt));
    argNames.push_back(in.name());
    argDimNames.push_back(symbolic ? b.getArrayAttr(dimNames) : ArrayAttr());
    TensorSig sig;
    sig.name = in.name();
    sig.shape.assign(shape.begin(), shape.end());
    sig.dtype = elementTypeForOnnx(tt.elem_type())->dtype; // supported: checked above
    info.inputs.push_back(sig);
  }
  for (const auto &kv : unusedBinds)
    fail("--bind " + kv.first + ": the graph has no such input");
  // A --dim that names no dimension is a typo, not a no-op.
  for (const auto &kv : options.dims)
    if (!symbolNames.count(kv.first)) {
      std::string known;
      for (const std::string &n : symbolNames)
        known += (known.empty() ? "" : ", ") + n;
      fail("--dim " + kv.first + ": no graph input has a dimension named '" + kv.first + "' (" +
           (known.empty() ? std::string("the inputs have no symbolic dimensions")
                          : "symbolic dimensions: " + known) +
           ")");
    }
  if (!errors.empty())
    return module->erase(), nullptr;

  auto fnType = b.getFunctionType(argTypes, {});
  auto fn = func::FuncOp::create(b, NameLoc::get(b.getStringAttr(g.name())), kGraphFunction,
                                 fnType);
  for (size_t i = 0; i < argDimNames.size(); ++i)
    if (argDimNames[i])
      fn.setArgAttr(i, kDimNamesAttr, argDimNames[i]);
  Block *entry = fn.addEntryBlock();
  for (size_t i = 0; i < argNames.size(); ++i)
    values[argNames[i]] = entry->getArgument(i);
  b.setInsertionPointToStart(entry);
  for (const auto &[name, attr] : bound)
    values[name] = arith::ConstantOp::create(b, NameLoc::get(b.getStringAttr(name)), attr);

  for (const auto &init : g.initializer()) {
    DenseElementsAttr a = tensorAttr(init, "initializer '" + init.name() + "'");
    if (a && checkTensorSize("initializer '" + init.name() + "'", a.getType()))
      values[init.name()] =
          arith::ConstantOp::create(b, NameLoc::get(b.getStringAttr(init.name())), a);
  }
  if (!errors.empty())
    return module->erase(), nullptr;

  noneValue = [this, entry]() {
    if (!none) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(entry);
      OperationState st(b.getUnknownLoc(), "onnx.None");
      st.addTypes(b.getNoneType());
      none = b.create(st)->getResult(0);
    }
    return none;
  };
  if (!importNodes(g, opset) || !checkConstantBytes(module))
    return module->erase(), nullptr;

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

/// Why an operator is refused by design rather than missing, or null.
static const char *refusalReason(const std::string &opType) {
  static const std::set<std::string> dataDependent = {"NonZero", "Unique",
                                                      "NonMaxSuppression"};
  static const std::set<std::string> random = {"Bernoulli",    "Multinomial",
                                               "RandomNormal", "RandomNormalLike",
                                               "RandomUniform", "RandomUniformLike"};
  if (dataDependent.count(opType))
    return "data-dependent shape: its output's size depends on input values, and compiled "
           "libraries have static shapes (not supported)";
  if (random.count(opType))
    return "random generator: not supported (a compiled library is deterministic)";
  return nullptr;
}

void Importer::validateNodes(const onnx::GraphProto &g, int64_t opset) {
  const OpTable &table = OpTable::get();
  checkDefinitions(g, opset);
  int64_t index = 0;
  for (const auto &node : g.node()) {
    std::string label = nodeLabel(node, index++, opset);
    checkSchema(node, label, opset);
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    if (!domain.empty()) {
      fail(label + ": domain '" + domain + "' is not supported");
      continue;
    }
    if (isControlFlow(node.op_type())) {
      validateSubgraphs(node, label, opset);
      continue;
    }
    if (const char *why = refusalReason(node.op_type())) {
      fail(label + ": " + why);
      continue;
    }
    if (!table.lookup(node.op_type(), opset)) {
      int64_t first = table.firstOpset(node.op_type());
      fail(label + ": " +
           (first ? "supported from opset " + std::to_string(first) + " up to " +
                        std::to_string(onnx_to_linalg::kMaxOpset)
                  : std::string("operator is not supported")));
    }
    for (const auto &a : node.attribute())
      if (a.type() == onnx::AttributeProto::GRAPH || a.type() == onnx::AttributeProto::GRAPHS)
        fail(label + ": subgraph attribute '" + a.name() + "' is not supported");
  }
}

bool Importer::importNodes(const onnx::GraphProto &g, int64_t opset) {
  int64_t index = 0;
  for (const auto &node : g.node()) {
    std::string label = nodeLabel(node, index++, opset);
    bool ok = isControlFlow(node.op_type()) ? importControlFlow(node, label, opset)
                                            : importNode(node, label, opset);
    if (!ok)
      return false;
  }
  return true;
}

bool Importer::importNode(const onnx::NodeProto &node, const std::string &label,
                          int64_t opset) {
  std::string name = node.name().empty() ? node.op_type() : node.name();
  Location loc = NameLoc::get(b.getStringAttr(name));
  SmallVector<Value> operands;
  if (!nodeOperands(node, label, operands))
    return true; // reported; go on to find more problems
  SmallVector<NamedAttribute> attrs;
  for (const auto &a : node.attribute())
    if (Attribute conv = convertAttr(a, label))
      attrs.push_back(b.getNamedAttr(a.name(), conv));
  attrs.push_back(b.getNamedAttr(onnx_to_linalg::kOpsetAttr, b.getI64IntegerAttr(opset)));
  if (!errors.empty())
    return true;
  // The node as written, then in the newest form of its op, typed by the
  // op's shape rule; a Constant node is data and becomes arith.constant.
  OperationState st(loc, onnx_to_linalg::kOnnxPrefix + node.op_type());
  st.addOperands(operands);
  st.addAttributes(attrs);
  st.addTypes(SmallVector<Type>(node.output_size(), b.getNoneType()));
  Operation *op = b.create(st);
  auto newest = onnx_to_linalg::upgradeToNewestForm(b, op);
  if (failed(newest))
    return false;
  Values outs = *newest;
  if (!outs.empty() && outs.front().getDefiningOp() == op) {
    if (failed(onnx_to_linalg::inferResultTypes(op)))
      return false;
    // Before folding, which would materialize the values.
    bool small = true;
    for (int i = 0; i < node.output_size(); ++i)
      small &= checkTensorSize(label + ": output '" + node.output(i) + "'",
                               op->getResult(i).getType());
    if (!small)
      return false;
    // Folding as the graph is built gives later nodes' shape rules the
    // constants they need (Shape -> Size -> Sub -> ConstantOfShape -> Reshape
    // in expanded functions would otherwise reach Reshape with a shape of
    // unknown length).
    if (auto folded = onnx_to_linalg::tryFold(b, op))
      outs = *folded;
  }
  for (int i = 0; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      values[node.output(i)] = outs[i];
  return true;
}

bool Importer::nodeOperands(const onnx::NodeProto &node, const std::string &label,
                            SmallVectorImpl<Value> &operands) {
  bool ok = true;
  for (const auto &in : node.input()) {
    if (in.empty()) {
      operands.push_back(noneValue());
      continue;
    }
    auto it = values.find(in);
    if (it == values.end()) {
      fail(label + ": input '" + in + "' is not produced by any earlier node");
      ok = false;
      continue;
    }
    operands.push_back(it->second);
  }
  return ok;
}

} // namespace import_detail

OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &ctx, const std::string &path,
                                     const ImportOptions &options, ModelInfo &info,
                                     std::vector<std::string> &errors) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf) {
    errors.push_back("cannot read '" + path + "': " + buf.getError().message());
    return nullptr;
  }
  // Parsed straight from the file's buffer, which is freed right after: the
  // weights then live once in the ModelProto while they become attributes.
  llvm::StringRef bytes = (*buf)->getBuffer();
  info.sourceSha256 = sha256Hex(std::string_view(bytes.data(), bytes.size()));
  onnx::ModelProto model;
  bool parsed = !bytes.empty() && bytes.size() <= size_t(INT_MAX) &&
                model.ParseFromArray(bytes.data(), int(bytes.size()));
  buf->reset();
  if (!parsed) {
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
  import_detail::Importer importer(ctx, dir.str().str(), errors);
  return importer.run(model, options, info);
}

} // namespace nnm
