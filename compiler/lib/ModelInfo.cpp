//===- ModelInfo.cpp - Model signature, metadata JSON and header ----------===//
//
// Everything here is a pure function of a ModelInfo: no clock, no paths, no
// environment, so the JSON document and the header are byte-identical across
// runs and machines.
//
//===----------------------------------------------------------------------===//
#include "nnm/Compiler/ModelInfo.h"
#include "nnm/Support/CheckedSize.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <optional>

using namespace nnm;

int64_t TensorSig::numElements() const {
  // The importer's limits refuse any shape whose count overflows, so -1 (which
  // would fail to compile as an array size) never reaches a header.
  return checkedElementCount(shape).value_or(-1);
}

const TargetBuild *ModelInfo::find(const std::string &target) const {
  for (const TargetBuild &t : targets)
    if (t.target == target)
      return &t;
  return nullptr;
}

TargetBuild *ModelInfo::find(const std::string &target) {
  return const_cast<TargetBuild *>(static_cast<const ModelInfo *>(this)->find(target));
}

std::string ModelInfo::symbolPrefix() const { return name + "_v" + std::to_string(versionMajor); }

//===----------------------------------------------------------------------===//
// Versions and identifiers
//===----------------------------------------------------------------------===//

bool nnm::parseVersion(const std::string &text, ModelInfo &info, std::string &error) {
  llvm::SmallVector<llvm::StringRef, 3> parts;
  llvm::StringRef(text).split(parts, '.');
  int values[3] = {0, 0, 0};
  bool ok = parts.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i) {
    llvm::StringRef p = parts[i];
    // Digits only, no sign, no leading zero: "08" would be an invalid octal
    // literal in the generated *_VERSION_MINOR macro.
    ok = !p.empty() && llvm::all_of(p, llvm::isDigit) && (p.size() == 1 || p[0] != '0') &&
         !p.getAsInteger(10, values[i]) && values[i] >= 0;
  }
  if (!ok) {
    error = "invalid version '" + text +
            "': expected X.Y.Z with non-negative decimal integers (e.g. 1.2.0)";
    return false;
  }
  info.version = text;
  info.versionMajor = values[0];
  info.versionMinor = values[1];
  info.versionPatch = values[2];
  return true;
}

/// C11/C23 and C++20 keywords and alternative tokens: none of them may name a
/// parameter, a macro suffix or a namespace in the generated header.
static bool isKeyword(llvm::StringRef s) {
  static const llvm::StringSet<> keywords = {
      // C
      "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
      "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
      "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
      "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof", "_Atomic", "_Bool",
      "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
      "_BitInt", "_Decimal32", "_Decimal64", "_Decimal128", "alignas", "alignof", "bool",
      "constexpr", "false", "nullptr", "static_assert", "thread_local", "true", "typeof",
      "typeof_unqual",
      // C++
      "and", "and_eq", "asm", "bitand", "bitor", "catch", "char8_t", "char16_t", "char32_t",
      "class", "co_await", "co_return", "co_yield", "compl", "concept", "const_cast", "consteval",
      "constinit", "decltype", "delete", "dynamic_cast", "explicit", "export", "friend", "mutable",
      "namespace", "new", "noexcept", "not", "not_eq", "operator", "or", "or_eq", "private",
      "protected", "public", "reinterpret_cast", "requires", "static_cast", "template", "this",
      "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
      // object-like macros that GNU modes predefine without underscores
      "linux", "unix", "i386"};
  return keywords.contains(s);
}

/// Identifiers reserved to the implementation (a leading underscore and a capital
/// letter, or two underscores): compilers predefine macros such as _LP64 or
/// __x86_64, which would turn a parameter of that name into a number.
static bool isReserved(llvm::StringRef s) {
  return s.size() >= 2 && s[0] == '_' && (s[1] == '_' || llvm::isUpper(s[1]));
}

static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

bool nnm::isCIdentifier(const std::string &name) {
  return !name.empty() && !llvm::isDigit(name[0]) && llvm::all_of(name, isIdentChar) &&
         !isKeyword(name) && !isReserved(name);
}

std::string nnm::cIdentifier(const std::string &name) {
  std::string id;
  id.reserve(name.size() + 2);
  if (name.empty() || llvm::isDigit(name[0]))
    id += '_';
  for (char c : name)
    id += isIdentChar(c) ? c : '_';
  if (isKeyword(id))
    id += '_';
  if (isReserved(id))
    id = "t" + id;
  return id;
}

//===----------------------------------------------------------------------===//
// JSON metadata
//===----------------------------------------------------------------------===//

/// json::Value insists on UTF-8; ONNX names are not checked by protobuf (proto2).
static std::string utf8(const std::string &s) {
  return llvm::json::isUTF8(s) ? s : llvm::json::fixUTF8(s);
}

static std::string shapeList(const std::vector<int64_t> &shape, const char *open,
                             const char *close) {
  std::string out = open;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + close;
}

std::string nnm::buildIdOf(const ModelInfo &info) {
  ModelInfo rest = info;
  rest.buildId.clear();
  return sha256Hex(toJson(rest)).substr(0, 16);
}

std::string nnm::toJson(const ModelInfo &info) {
  std::string text;
  llvm::raw_string_ostream os(text);
  {
    llvm::json::OStream j(os, /*IndentSize=*/2);
    auto tensors = [&](const char *key, const std::vector<TensorSig> &sigs) {
      j.attributeArray(key, [&] {
        for (const TensorSig &t : sigs)
          j.object([&] {
            j.attribute("name", utf8(t.name));
            j.attribute("dtype", dtypeName(t.dtype));
            // One line per shape keeps the document readable; still plain JSON.
            j.attributeBegin("shape");
            j.rawValue(shapeList(t.shape, "[", "]"));
            j.attributeEnd();
          });
      });
    };
    j.object([&] {
      j.attribute("name", utf8(info.name));
      j.attribute("version", utf8(info.version));
      j.attribute("source_sha256", utf8(info.sourceSha256));
      if (!info.buildId.empty())
        j.attribute("build_id", info.buildId);
      j.attributeObject("producer", [&] {
        j.attribute("name", utf8(info.producerName));
        j.attribute("version", utf8(info.producerVersion));
      });
      j.attributeArray("opsets", [&] {
        for (const auto &opset : info.opsets)
          j.object([&] {
            j.attribute("domain", utf8(opset.first));
            j.attribute("version", opset.second);
          });
      });
      j.attribute("compiler_version", utf8(info.compilerVersion));
      j.attribute("target_triple", utf8(info.targetTriple));
      j.attribute("cpu", utf8(info.cpu));
      j.attributeArray("targets", [&] {
        for (const TargetBuild &t : info.targets)
          j.object([&] {
            j.attribute("target", utf8(t.target));
            j.attribute("kernels", utf8(t.kernels));
            if (!t.deviceArchs.empty())
              j.attribute("device_archs", utf8(t.deviceArchs));
            j.attribute("library_kernels", t.libraryKernels);
            j.attribute("weight_bytes", t.weightBytes);
            j.attribute("arena_bytes", t.arenaBytes);
          });
      });
      tensors("inputs", info.inputs);
      tensors("outputs", info.outputs);
    });
  }
  os << '\n';
  return text;
}

namespace {
/// Reads typed fields out of a json::Object, recording the first error with
/// the path of the offending key ("inputs[0].shape").
class JsonReader {
public:
  explicit JsonReader(std::string &error) : error(error) {}

  bool fail(const std::string &path, const std::string &what) {
    if (error.empty())
      error = "metadata: " + path + ": " + what;
    return false;
  }

  const llvm::json::Value *get(const llvm::json::Object &o, llvm::StringRef key,
                               const std::string &path) {
    const llvm::json::Value *v = o.get(key);
    if (!v)
      fail(path, "missing");
    return v;
  }

  bool string(const llvm::json::Object &o, llvm::StringRef key, const std::string &path,
              std::string &out) {
    const llvm::json::Value *v = get(o, key, path);
    if (!v)
      return false;
    std::optional<llvm::StringRef> s = v->getAsString();
    if (!s)
      return fail(path, "expected a string");
    out = s->str();
    return true;
  }

  bool int64(const llvm::json::Value &v, const std::string &path, int64_t &out) {
    std::optional<int64_t> i = v.getAsInteger();
    if (!i)
      return fail(path, "expected an integer");
    out = *i;
    return true;
  }

  bool uint64(const llvm::json::Object &o, llvm::StringRef key, const std::string &path,
              uint64_t &out) {
    const llvm::json::Value *v = get(o, key, path);
    if (!v)
      return false;
    std::optional<uint64_t> i = v->getAsUINT64();
    if (!i)
      return fail(path, "expected a non-negative integer");
    out = *i;
    return true;
  }

  const llvm::json::Object *object(const llvm::json::Value *v, const std::string &path) {
    if (!v)
      return nullptr;
    const llvm::json::Object *o = v->getAsObject();
    if (!o)
      fail(path, "expected an object");
    return o;
  }

  const llvm::json::Array *array(const llvm::json::Value *v, const std::string &path) {
    if (!v)
      return nullptr;
    const llvm::json::Array *a = v->getAsArray();
    if (!a)
      fail(path, "expected an array");
    return a;
  }

  bool tensors(const llvm::json::Object &o, llvm::StringRef key, std::vector<TensorSig> &out) {
    const llvm::json::Array *a = array(get(o, key, key.str()), key.str());
    if (!a)
      return false;
    for (size_t i = 0; i < a->size(); ++i) {
      std::string path = key.str() + "[" + std::to_string(i) + "]";
      const llvm::json::Object *t = object(&(*a)[i], path);
      if (!t)
        return false;
      TensorSig sig;
      std::string dtype;
      if (!string(*t, "name", path + ".name", sig.name) ||
          !string(*t, "dtype", path + ".dtype", dtype))
        return false;
      const ElementType *et = elementTypeForName(dtype);
      if (!et)
        return fail(path + ".dtype", "unknown element type '" + dtype + "'");
      sig.dtype = et->dtype;
      const llvm::json::Array *shape = array(get(*t, "shape", path + ".shape"), path + ".shape");
      if (!shape)
        return false;
      for (size_t d = 0; d < shape->size(); ++d) {
        std::string dpath = path + ".shape[" + std::to_string(d) + "]";
        int64_t dim;
        if (!int64((*shape)[d], dpath, dim))
          return false;
        if (dim < 0)
          return fail(dpath, "negative dimension");
        sig.shape.push_back(dim);
      }
      out.push_back(std::move(sig));
    }
    return true;
  }

private:
  std::string &error;
};
} // namespace

bool nnm::fromJson(const std::string &text, ModelInfo &info, std::string &error) {
  error.clear();
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  if (!parsed) {
    error = "metadata: invalid JSON: " + llvm::toString(parsed.takeError());
    return false;
  }
  JsonReader r(error);
  const llvm::json::Object *root = r.object(&*parsed, "document");
  if (!root)
    return false;

  ModelInfo result;
  if (!r.string(*root, "name", "name", result.name))
    return false;
  if (!isCIdentifier(result.name))
    return r.fail("name", "'" + result.name + "' is not a C identifier");
  std::string version;
  if (!r.string(*root, "version", "version", version))
    return false;
  std::string versionError;
  if (!parseVersion(version, result, versionError))
    return r.fail("version", versionError);
  if (!r.string(*root, "source_sha256", "source_sha256", result.sourceSha256))
    return false;
  if (root->get("build_id") && !r.string(*root, "build_id", "build_id", result.buildId))
    return false; // libraries before the build id have none

  const llvm::json::Object *producer = r.object(r.get(*root, "producer", "producer"), "producer");
  if (!producer || !r.string(*producer, "name", "producer.name", result.producerName) ||
      !r.string(*producer, "version", "producer.version", result.producerVersion))
    return false;

  const llvm::json::Array *opsets = r.array(r.get(*root, "opsets", "opsets"), "opsets");
  if (!opsets)
    return false;
  for (size_t i = 0; i < opsets->size(); ++i) {
    std::string path = "opsets[" + std::to_string(i) + "]";
    const llvm::json::Object *o = r.object(&(*opsets)[i], path);
    std::string domain;
    int64_t opsetVersion;
    const llvm::json::Value *v = o ? r.get(*o, "version", path + ".version") : nullptr;
    if (!o || !r.string(*o, "domain", path + ".domain", domain) || !v ||
        !r.int64(*v, path + ".version", opsetVersion))
      return false;
    result.opsets.emplace_back(std::move(domain), opsetVersion);
  }

  if (!r.string(*root, "compiler_version", "compiler_version", result.compilerVersion) ||
      !r.string(*root, "target_triple", "target_triple", result.targetTriple) ||
      !r.string(*root, "cpu", "cpu", result.cpu) ||
      !r.tensors(*root, "inputs", result.inputs) ||
      !r.tensors(*root, "outputs", result.outputs))
    return false;
  // One build's fields, from an entry of "targets" (or, in libraries from before
  // several targets per library, from the document itself).
  auto readBuild = [&](const llvm::json::Object &o, const std::string &path, TargetBuild &t) {
    return r.string(o, "target", path + "target", t.target) &&
           r.string(o, "kernels", path + "kernels", t.kernels) &&
           (!o.get("device_archs") ||
            r.string(o, "device_archs", path + "device_archs", t.deviceArchs)) &&
           r.uint64(o, "library_kernels", path + "library_kernels", t.libraryKernels) &&
           r.uint64(o, "weight_bytes", path + "weight_bytes", t.weightBytes) &&
           r.uint64(o, "arena_bytes", path + "arena_bytes", t.arenaBytes);
  };
  if (!root->get("targets")) {
    result.targets.emplace_back();
    if (!readBuild(*root, "", result.targets.back()))
      return false;
  } else {
    const llvm::json::Array *targets = r.array(root->get("targets"), "targets");
    if (!targets)
      return false;
    if (targets->empty())
      return r.fail("targets", "empty: a library holds code for at least one target");
    for (size_t i = 0; i < targets->size(); ++i) {
      std::string path = "targets[" + std::to_string(i) + "]";
      const llvm::json::Object *o = r.object(&(*targets)[i], path);
      result.targets.emplace_back();
      if (!o || !readBuild(*o, path + ".", result.targets.back()))
        return false;
    }
  }

  info = std::move(result);
  return true;
}

//===----------------------------------------------------------------------===//
// Text summary
//===----------------------------------------------------------------------===//

static std::string orNone(const std::string &s) { return s.empty() ? "(none)" : s; }

std::string nnm::toText(const ModelInfo &info) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto field = [&](llvm::StringRef label, const std::string &value) {
    os << llvm::left_justify(label, 18) << value << '\n';
  };
  field("model", info.name + " " + info.version);
  field("symbol prefix", info.symbolPrefix() + "_");
  field("source sha256", orNone(info.sourceSha256));
  field("build id", orNone(info.buildId));
  std::string producer = info.producerName;
  if (!info.producerVersion.empty())
    producer += (producer.empty() ? "" : " ") + info.producerVersion;
  field("producer", orNone(producer));
  std::string opsets;
  for (const auto &opset : info.opsets) {
    if (!opsets.empty())
      opsets += ", ";
    opsets += (opset.first.empty() ? std::string("ai.onnx") : opset.first) + " " +
              std::to_string(opset.second);
  }
  field("opsets", orNone(opsets));
  field("compiler", "nnmodel " + orNone(info.compilerVersion));
  field("target triple", orNone(info.targetTriple));
  field("cpu", orNone(info.cpu));

  // Tensor names as printed: control characters escaped, the empty name quoted.
  auto display = [](const std::string &name) {
    if (name.empty())
      return std::string("\"\"");
    std::string out;
    for (unsigned char c : name) {
      if (c < 0x20 || c == 0x7f)
        out += "\\x" + llvm::utohexstr(c, /*LowerCase=*/true, /*Width=*/2);
      else
        out += static_cast<char>(c);
    }
    return out;
  };
  size_t width = 0;
  for (const auto *sigs : {&info.inputs, &info.outputs})
    for (const TensorSig &t : *sigs)
      width = std::max(width, display(t.name).size());
  auto tensors = [&](llvm::StringRef label, const std::vector<TensorSig> &sigs) {
    field(label, std::to_string(sigs.size()));
    for (const TensorSig &t : sigs)
      os << "  " << llvm::left_justify(display(t.name), width) << "  " << dtypeName(t.dtype)
         << shapeList(t.shape, "[", "]") << '\n';
  };
  tensors("inputs", info.inputs);
  tensors("outputs", info.outputs);
  for (const TargetBuild &t : info.targets) {
    field("target", t.target);
    auto sub = [&](llvm::StringRef label, const std::string &value) {
      field(("  " + label).str(), value);
    };
    if (!t.deviceArchs.empty())
      sub("device archs", t.deviceArchs);
    sub("weight bytes", std::to_string(t.weightBytes));
    sub("arena bytes", std::to_string(t.arenaBytes));
    std::string library = t.target == "cuda" ? " ops on cuBLAS/cuDNN, loaded at run time)"
                                             : " ops on oneDNN: link -ldnnl -lgomp)";
    sub("kernels", t.kernels + (t.libraryKernels
                                    ? " (" + std::to_string(t.libraryKernels) + library
                                    : " (generated code only)"));
  }
  return text;
}

//===----------------------------------------------------------------------===//
// Generated header
//===----------------------------------------------------------------------===//

/// Names that a parameter or macro id must not take even though they are
/// identifiers: the context parameter and the wrapper's members, the types used
/// in the signatures, and object-like macros of the headers a user is likely to
/// have included (one would expand inside the parameter list).
static bool isReservedExact(llvm::StringRef id) {
  static const llvm::StringSet<> reserved = [] {
    llvm::StringSet<> s = {
        "ctx", "ctx_", "status_", "Model",
        // types in the signatures
        "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
        "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "size_t", "ptrdiff_t",
        // common object-like macros
        "NULL", "EOF", "BUFSIZ", "FILENAME_MAX", "errno", "stdin", "stdout", "stderr",
        "EXIT_SUCCESS", "EXIT_FAILURE", "RAND_MAX", "MB_CUR_MAX", "CHAR_BIT", "INFINITY", "NAN",
        "HUGE_VAL", "HUGE_VALF", "M_PI", "M_E", "linux", "unix", "i386", "SIZE_MAX", "PTRDIFF_MIN",
        "PTRDIFF_MAX", "INTPTR_MIN", "INTPTR_MAX", "UINTPTR_MAX", "INTMAX_MIN", "INTMAX_MAX",
        "UINTMAX_MAX", "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX", "WCHAR_MIN", "WCHAR_MAX", "WINT_MIN",
        "WINT_MAX"};
    for (const char *bits : {"8", "16", "32", "64"})
      for (const char *kind : {"", "_LEAST", "_FAST"}) {
        std::string n = std::string(kind) + bits;
        s.insert("INT" + n + "_MIN");
        s.insert("INT" + n + "_MAX");
        s.insert("UINT" + n + "_MAX");
      }
    return s;
  }();
  return reserved.contains(id);
}

/// Families of macros: compiler-predefined (`__x86_64__`), the runtime's
/// (`NNM_OK`, `NNMODEL_RUNTIME_H`) and this model's own (`MLP_V1_VERSION`).
static bool isMacroLike(llvm::StringRef id, llvm::StringRef macroPrefix) {
  return (id.starts_with("__") && id.ends_with("__")) || id.starts_with("NNM_") ||
         id.starts_with("NNMODEL_") || id.starts_with(macroPrefix);
}

/// The identifier of every graph input, then every graph output: cIdentifier()
/// of its name, made unique across all of them without regard to case (the
/// macros use the upper-case form) and kept away from reserved names by
/// appending _1, _2, ... The one place that decides these names: parameters,
/// macros and shape arrays all use it.
static std::vector<std::string> tensorIdentifiers(const ModelInfo &info,
                                                  llvm::StringRef macroPrefix) {
  std::vector<std::string> base;
  for (const auto *sigs : {&info.inputs, &info.outputs})
    for (const TensorSig &t : *sigs)
      base.push_back(cIdentifier(t.name));

  // Every plain id is claimed up front so that a suffixed id never takes the
  // name another tensor has on its own ("a", "a", "a_1" -> a, a_2, a_1).
  llvm::StringSet<> claimed, used;
  for (const std::string &id : base)
    claimed.insert(llvm::StringRef(id).upper());

  std::vector<std::string> ids;
  for (const std::string &id : base) {
    std::string key = llvm::StringRef(id).upper();
    if (!used.contains(key) && !isReservedExact(id) && !isMacroLike(id, macroPrefix)) {
      used.insert(key);
      ids.push_back(id);
      continue;
    }
    std::string stem = llvm::StringRef(id).ends_with("_") ? id : id + "_";
    for (unsigned n = 1;; ++n) {
      std::string candidate = stem + std::to_string(n);
      std::string candidateKey = llvm::StringRef(candidate).upper();
      if (claimed.contains(candidateKey) || used.contains(candidateKey) ||
          isReservedExact(candidate))
        continue;
      used.insert(candidateKey);
      ids.push_back(candidate);
      break;
    }
  }
  return ids;
}

/// `s` made safe inside a C block comment: printable ASCII only, no comment
/// terminator, no trigraph.
static std::string commentText(const std::string &s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if ((c == '/' && i > 0 && s[i - 1] == '*') || (c == '*' && i > 0 && s[i - 1] == '/'))
      out += std::string("\\") + static_cast<char>(c);
    else if (c == '?' && i > 0 && s[i - 1] == '?')
      out += "\\?";
    else if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += "\\x" + llvm::utohexstr(c, /*LowerCase=*/true, /*Width=*/2);
  }
  return out;
}

/// `s` as a C string literal.
static std::string cString(const std::string &s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '\\' || c == '"')
      out += std::string("\\") + static_cast<char>(c);
    else if (c == '?' && i > 0 && s[i - 1] == '?')
      out += "\\?";
    else if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else {
      // Octal escapes stop after three digits, so a following digit is safe.
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out + "\"";
}

/// "name(p1, p2)" on one line, or one parameter per line when that is long.
static std::string callSignature(const std::string &head, const std::vector<std::string> &params,
                                 const std::string &tail, size_t indent = 0) {
  std::string line = head + "(";
  for (size_t i = 0; i < params.size(); ++i)
    line += (i ? ", " : "") + params[i];
  line += ")" + tail;
  if (indent + line.size() <= 80 || params.size() < 2)
    return std::string(indent, ' ') + line;
  std::string out = std::string(indent, ' ') + head + "(";
  for (size_t i = 0; i < params.size(); ++i)
    out += "\n" + std::string(indent + 4, ' ') + params[i] + (i + 1 < params.size() ? "," : "");
  return out + ")" + tail;
}

std::string nnm::generateHeader(const ModelInfo &info) {
  assert(isCIdentifier(info.name) && "the model name must be validated before");
  const std::string prefix = info.symbolPrefix();            // mlp_v1
  const std::string macro = llvm::StringRef(prefix).upper(); // MLP_V1
  const std::string major = std::to_string(info.versionMajor);
  const std::string version = info.version.empty()
                                  ? major + "." + std::to_string(info.versionMinor) + "." +
                                        std::to_string(info.versionPatch)
                                  : info.version;
  const std::vector<std::string> ids = tensorIdentifiers(info, macro + "_");
  // The host context API comes from every back end but cuda, which has its own.
  const TargetBuild *cuda = info.find("cuda");
  const TargetBuild *host = nullptr;
  for (const TargetBuild &t : info.targets)
    if (t.target != "cuda" && !host)
      host = &t;

  std::string text;
  llvm::raw_string_ostream os(text);

  os << "/* " << commentText(info.name) << ".h - C and C++ API of the model \""
     << commentText(info.name) << "\" version " << commentText(version) << ".\n"
     << " * Source model SHA-256: " << commentText(orNone(info.sourceSha256)) << "\n"
     << " * Generated by nnmodel " << commentText(info.compilerVersion) << ". Do not edit. */\n"
     << "#ifndef NNMODEL_" << macro << "_H\n"
     << "#define NNMODEL_" << macro << "_H\n\n"
     << (host ? "#include <nnmodel/runtime.h> /* nnm_status, nnm_options */\n" : "")
     << (cuda ? "#include <nnmodel/cuda.h> /* nnm_cuda_options */\n" : "")
     << "#include <stdint.h>\n"
     << "#ifndef __cplusplus\n"
     << "#include <stdbool.h>\n"
     << "#endif\n\n";

  os << "#define " << macro << "_VERSION " << cString(version) << "\n"
     << "#define " << macro << "_VERSION_MAJOR " << info.versionMajor << "\n"
     << "#define " << macro << "_VERSION_MINOR " << info.versionMinor << "\n"
     << "#define " << macro << "_VERSION_PATCH " << info.versionPatch << "\n"
     ;
  if (host)
    os << "#define " << macro << "_ARENA_BYTES " << host->arenaBytes
       << " /* scratch bytes one context needs */\n"
       << "#define " << macro << "_WEIGHT_BYTES " << host->weightBytes
       << " /* constant data inside the library */\n"
       << "#define " << macro << "_LIBRARY_KERNELS " << host->libraryKernels
       << " /* ops run on oneDNN (the program links -ldnnl -lgomp) */\n";
  if (cuda)
    os << "#define " << macro << "_CUDA_ARENA_BYTES " << cuda->arenaBytes
       << " /* device scratch bytes one CUDA context needs */\n"
       << "#define " << macro << "_CUDA_WEIGHT_BYTES " << cuda->weightBytes
       << " /* device weights, uploaded once per device */\n";
  os << "#define " << macro << "_NUM_INPUTS " << info.inputs.size() << "\n"
     << "#define " << macro << "_NUM_OUTPUTS " << info.outputs.size() << "\n\n"
     << "/* Marks the shape arrays so that an unused one draws no warning; #undef'd at\n"
     << "   the end of this header. */\n"
     << "#if defined(__GNUC__) || defined(__clang__)\n"
     << "#define " << macro << "_MAYBE_UNUSED __attribute__((unused))\n"
     << "#else\n"
     << "#define " << macro << "_MAYBE_UNUSED\n"
     << "#endif\n";

  std::vector<std::string> params;
  size_t next = 0;
  auto tensorBlock = [&](const std::vector<TensorSig> &sigs, bool isInput) {
    const char *kind = isInput ? "INPUT" : "OUTPUT";
    const char *lowerKind = isInput ? "input" : "output";
    for (size_t i = 0; i < sigs.size(); ++i) {
      const TensorSig &t = sigs[i];
      const std::string &id = ids[next++];
      const std::string upper = llvm::StringRef(id).upper();
      os << "\n/* " << (isInput ? "Input " : "Output ") << i << " \"" << commentText(t.name)
         << "\": " << dtypeName(t.dtype) << shapeList(t.shape, "[", "]");
      if (t.shape.empty())
        os << ", a scalar: rank 0, size 1, no shape array";
      os << " */\n"
         << "#define " << macro << "_" << kind << "_" << upper << "_RANK " << t.shape.size() << "\n"
         << "#define " << macro << "_" << kind << "_" << upper << "_SIZE " << t.numElements()
         << " /* element count */\n";
      if (!t.shape.empty())
        os << macro << "_MAYBE_UNUSED static const int64_t " << prefix << "_" << lowerKind << "_"
           << id << "_shape[" << t.shape.size() << "] = " << shapeList(t.shape, "{", "}") << ";\n";
      params.push_back(std::string(isInput ? "const " : "") + dtypeCType(t.dtype) + " *" + id);
    }
  };
  tensorBlock(info.inputs, /*isInput=*/true);
  tensorBlock(info.outputs, /*isInput=*/false);

  auto runParams = [&](const std::string &context) {
    std::vector<std::string> p = {context + " *ctx"};
    p.insert(p.end(), params.begin(), params.end());
    return p;
  };
  os << "\n#ifdef __cplusplus\n"
     << "extern \"C\" {\n"
     << "#endif\n\n";
  if (host)
    os << "/* One instance of the model. It owns its scratch arena and serves one thread at a\n"
       << "   time; the weights are read-only and shared by all contexts. */\n"
       << "typedef struct " << prefix << "_context " << prefix << "_context;\n\n"
       << "/* Creates a context. `options` may be NULL; with options.arena set, the caller\n"
       << "   provides at least " << macro << "_ARENA_BYTES bytes, 64-byte aligned. */\n"
       << "nnm_status " << prefix << "_create(const nnm_options *options, " << prefix
       << "_context **out);\n"
       << "/* Runs the model: inputs in graph order, then outputs in graph order, each a\n"
       << "   dense C-order buffer of its _SIZE elements. Allocates nothing. */\n"
       << callSignature("nnm_status " + prefix + "_run", runParams(prefix + "_context"), ";")
       << "\n"
       << "/* The same, with the buffers passed as arrays of pointers (for generic callers). */\n"
       << "nnm_status " << prefix << "_run_packed(" << prefix
       << "_context *ctx, void *const *inputs, void *const *outputs);\n"
       << "void " << prefix << "_destroy(" << prefix << "_context *ctx);\n"
       << (cuda ? "\n" : "");
  if (cuda) {
    const std::vector<std::string> cudaParams = runParams(prefix + "_cuda_context");
    os << "/* Built for CUDA (" << commentText(cuda->deviceArchs)
       << ", plus PTX for newer GPUs); see nnmodel/cuda.h. A context lives on one\n"
       << "   device and enqueues on one stream; it serves one thread at a time. Weights are\n"
       << "   uploaded once per device and shared by the model's contexts there. */\n"
       << "typedef struct " << prefix << "_cuda_context " << prefix << "_cuda_context;\n\n"
       << "/* Creates a context (options may be NULL: device 0, the default stream). Returns\n"
       << "   NNM_NO_DEVICE where the CUDA driver, the device or a fitting image is missing.\n"
       << "   With options.arena set, the caller provides " << macro
       << "_CUDA_ARENA_BYTES of device memory. */\n"
       << "nnm_status " << prefix << "_cuda_create(const nnm_cuda_options *options, " << prefix
       << "_cuda_context **out);\n"
       << "/* Enqueues a run on the context's stream and returns without waiting: every\n"
       << "   buffer is device memory, a dense C-order buffer of its _SIZE elements. Allocates\n"
       << "   nothing and never synchronizes, so it can be captured into a CUDA graph. */\n"
       << callSignature("nnm_status " + prefix + "_cuda_run", cudaParams, ";") << "\n"
       << "/* The same with host buffers: copies the inputs in, runs, copies the outputs\n"
       << "   back and waits for the stream. */\n"
       << callSignature("nnm_status " + prefix + "_cuda_run_host", cudaParams, ";") << "\n"
       << "void " << prefix << "_cuda_destroy(" << prefix << "_cuda_context *ctx);\n";
  }
  os << "/* The metadata JSON document (the same as " << commentText(info.name) << ".json). */\n"
     << "const char *" << prefix << "_metadata_json(void);\n"
     << "/* " << cString(version) << " */\n"
     << "const char *" << prefix << "_version(void);\n\n";
  if (!info.buildId.empty()) {
    const std::string symbol = prefix + "_build_" + info.buildId;
    os << "/* This header and lib" << info.name << ".a come from one compile (build id "
       << info.buildId << "). A header\n"
       << "   beside a library of another compile fails to link, with an undefined reference\n"
       << "   to " << symbol << ", instead of running mismatched. */\n"
       << "extern const char " << symbol << ";\n"
       << "#if defined(__GNUC__) || defined(__clang__)\n"
       << "__attribute__((used)) static const char *const " << prefix << "_build_check_ = &"
       << symbol << ";\n"
       << "#endif\n\n";
  }
  os << "#ifdef __cplusplus\n"
     << "} /* extern \"C\" */\n\n";

  std::vector<std::string> args = {"ctx_"};
  for (size_t i = 0; i < ids.size(); ++i)
    args.push_back(ids[i]);
  // One C++ class per context API: Model (host), CudaModel (cuda).
  auto wrapper = [&](const std::string &cls, const std::string &api) {
    const std::string context = prefix + api + "_context";
    const std::string createFn = prefix + api + "_create";
    const std::string destroyFn = prefix + api + "_destroy";
    const std::string runFn = prefix + api + "_run";
    const std::string optionsType = api.empty() ? "nnm_options" : "nnm" + api + "_options";
    os << "/// Owns one " << context << ". Check ok() after construction; no\n"
       << "/// exceptions. Movable, not copyable; a moved-from " << cls << " is not ok().\n"
       << "class " << cls << " {\n"
       << "public:\n"
       << "  " << cls << "() { status_ = ::" << createFn << "(nullptr, &ctx_); }\n"
       << "  explicit " << cls << "(const " << optionsType << " &options) {\n"
       << "    status_ = ::" << createFn << "(&options, &ctx_);\n"
       << "  }\n"
       << "  ~" << cls << "() { reset(); }\n\n"
       << "  " << cls << "(const " << cls << " &) = delete;\n"
       << "  " << cls << " &operator=(const " << cls << " &) = delete;\n"
       << "  " << cls << "(" << cls
       << " &&other) noexcept : ctx_(other.ctx_), status_(other.status_) {\n"
       << "    other.ctx_ = nullptr;\n"
       << "    other.status_ = NNM_INVALID_ARGUMENT;\n"
       << "  }\n"
       << "  " << cls << " &operator=(" << cls << " &&other) noexcept {\n"
       << "    if (this != &other) {\n"
       << "      reset();\n"
       << "      ctx_ = other.ctx_;\n"
       << "      status_ = other.status_;\n"
       << "      other.ctx_ = nullptr;\n"
       << "      other.status_ = NNM_INVALID_ARGUMENT;\n"
       << "    }\n"
       << "    return *this;\n"
       << "  }\n\n"
       << "  /// True when the context was created.\n"
       << "  bool ok() const { return status_ == NNM_OK && ctx_ != nullptr; }\n"
       << "  /// What creating the context returned.\n"
       << "  nnm_status status() const { return status_; }\n\n"
       << "  /// Same parameters as " << runFn << ". Not const: a run uses the context's arena.\n"
       << callSignature("nnm_status run", params, " {", 2) << "\n"
       << callSignature("return ::" + runFn, args, ";", 4) << "\n"
       << "  }\n\n";
    if (!api.empty())
      os << "  /// Same parameters as " << runFn << "_host (host buffers; waits).\n"
         << callSignature("nnm_status run_host", params, " {", 2) << "\n"
         << callSignature("return ::" + runFn + "_host", args, ";", 4) << "\n"
         << "  }\n\n";
    os << "  static const char *metadata_json() { return ::" << prefix << "_metadata_json(); }\n"
       << "  static const char *version() { return ::" << prefix << "_version(); }\n"
       << "  /// The raw context, still owned by this " << cls << " (null when !ok()).\n"
       << "  " << context << " *get() const { return ctx_; }\n\n"
       << "private:\n"
       << "  void reset() {\n"
       << "    if (ctx_)\n"
       << "      ::" << destroyFn << "(ctx_);\n"
       << "    ctx_ = nullptr;\n"
       << "  }\n\n"
       << "  " << context << " *ctx_ = nullptr;\n"
       << "  nnm_status status_ = NNM_INTERNAL_ERROR;\n"
       << "};\n\n";
  };
  os << "namespace " << info.name << " {\n"
     << "namespace v" << major << " {\n\n";
  if (host)
    wrapper("Model", "");
  if (cuda)
    wrapper("CudaModel", "_cuda");
  os << "} // namespace v" << major << "\n"
     << "} // namespace " << info.name << "\n"
     << "#endif /* __cplusplus */\n\n"
     << "#undef " << macro << "_MAYBE_UNUSED\n\n"
     << "#endif /* NNMODEL_" << macro << "_H */\n";
  return text;
}

std::string nnm::sha256Hex(std::string_view data) {
  std::array<uint8_t, 32> hash = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  return llvm::toHex(hash, /*LowerCase=*/true);
}
