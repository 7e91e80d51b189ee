//===- Schema.cpp - ONNX's arity and attribute facts per operator form ----===//
//
// The rows come from OnnxSchemas.inc, generated from the onnx package's schema
// registry by scripts/gen_onnx_schemas.py (one row per op and since-version).
// The importer checks each node against the row in force at the model's opset
// before anything is built.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/OnnxToLinalg/OpTable.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"

namespace nnm::onnx_to_linalg {
namespace {

struct Row {
  const char *op;
  int since, minInputs, maxInputs, minOutputs, maxOutputs;
  const char *inputs, *attributes;
};

const Row kRows[] = {
#include "OnnxSchemas.inc"
};

llvm::StringRef kindName(llvm::StringRef code) {
  bool list = code.ends_with("*");
  llvm::StringRef one = llvm::StringSwitch<llvm::StringRef>(code.take_front(1))
                            .Case("I", "INT")
                            .Case("F", "FLOAT")
                            .Case("S", "STRING")
                            .Case("T", "TENSOR")
                            .Case("G", "GRAPH")
                            .Case("P", "SPARSE_TENSOR")
                            .Case("Y", "TYPE_PROTO")
                            .Default("");
  if (!list)
    return one;
  return llvm::StringSwitch<llvm::StringRef>(one)
      .Case("INT", "INTS")
      .Case("FLOAT", "FLOATS")
      .Case("STRING", "STRINGS")
      .Case("TENSOR", "TENSORS")
      .Case("GRAPH", "GRAPHS")
      .Case("SPARSE_TENSOR", "SPARSE_TENSORS")
      .Case("TYPE_PROTO", "TYPE_PROTOS")
      .Default("");
}

} // namespace

std::optional<OpSchema> lookupSchema(llvm::StringRef op, int64_t opset) {
  // Rows are sorted by (op, since): the last row of `op` with since <= opset.
  auto first = llvm::partition_point(kRows, [&](const Row &r) { return r.op < op; });
  const Row *found = nullptr;
  for (const Row *r = first; r != std::end(kRows) && r->op == op && r->since <= opset; ++r)
    found = r;
  if (!found)
    return std::nullopt;
  OpSchema s;
  s.since = found->since;
  s.minInputs = found->minInputs;
  s.maxInputs = found->maxInputs;
  s.minOutputs = found->minOutputs;
  s.maxOutputs = found->maxOutputs;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(found->inputs).split(parts, '|', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef p : parts) {
    OpSchema::Option option = OpSchema::Single;
    if (p.consume_back("?"))
      option = OpSchema::Optional;
    else if (p.consume_back("*"))
      option = OpSchema::Variadic;
    s.inputs.push_back({p, option});
  }
  parts.clear();
  llvm::StringRef(found->attributes).split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef p : parts) {
    auto [name, code] = p.split(':');
    bool required = code.consume_back("!");
    s.attributes.push_back({name, kindName(code), required});
  }
  return s;
}

} // namespace nnm::onnx_to_linalg
