//===- ImportChecks.cpp - Graph, schema and size checks of the importer ---===//
//
// Run before any IR is built (graph structure, node schemas) or as each value
// gets its type (sizes), so a malformed or hostile model is refused with a
// message naming the node, never lowered into something wrong.
//
// Node schemas are ONNX's own facts (onnx_to_linalg::lookupSchema, generated
// from the onnx package; Debian's libonnx 1.12 registry stops at opset 17), at
// the model's opset: input and output arity, required inputs, attribute names
// and kinds, required attributes. Value constraints that need shapes (positive kernels,
// distinct axes, ranks) are each op's shape rule's, in the op table.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"
#include "nnm/Support/CheckedSize.h"
#include "nnm/Support/ElementType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/STLExtras.h"

#include <climits>
#include <map>
#include <set>

using namespace mlir;

namespace nnm::import_detail {

static std::string attrKindName(int kind) {
  return onnx::AttributeProto::AttributeType_IsValid(kind)
             ? onnx::AttributeProto::AttributeType_Name(
                   static_cast<onnx::AttributeProto::AttributeType>(kind))
             : "kind " + std::to_string(kind);
}

static std::string countRange(int lo, int hi) {
  if (lo == hi)
    return std::to_string(lo);
  if (hi == INT_MAX)
    return "at least " + std::to_string(lo);
  return std::to_string(lo) + " to " + std::to_string(hi);
}

void Importer::checkSchema(const onnx::NodeProto &node, const std::string &label,
                           int64_t opset) {
  std::optional<onnx_to_linalg::OpSchema> schema =
      onnx_to_linalg::lookupSchema(node.op_type(), opset);
  if (!schema)
    return; // not an ONNX op at this opset: the op table's check says so
  int nIn = node.input_size(), nOut = node.output_size();
  if (nIn < schema->minInputs || nIn > schema->maxInputs)
    fail(label + ": takes " + countRange(schema->minInputs, schema->maxInputs) +
         " inputs, got " + std::to_string(nIn));
  for (int i = 0; i < nIn && i < int(schema->inputs.size()); ++i)
    if (node.input(i).empty() && schema->inputs[i].option != onnx_to_linalg::OpSchema::Optional)
      fail(label + ": input " + std::to_string(i) + " ('" + schema->inputs[i].name.str() +
           "') is required but empty");
  if (nOut < schema->minOutputs || nOut > schema->maxOutputs)
    fail(label + ": has " + countRange(schema->minOutputs, schema->maxOutputs) +
         " outputs, got " + std::to_string(nOut));

  std::set<std::string> seen;
  for (const auto &a : node.attribute()) {
    if (!seen.insert(a.name()).second) {
      fail(label + ": attribute '" + a.name() + "' is given twice");
      continue;
    }
    const auto *spec = llvm::find_if(schema->attributes, [&](const auto &s) {
      return s.name == a.name();
    });
    if (spec == schema->attributes.end()) {
      fail(label + ": has no attribute '" + a.name() + "'");
      continue;
    }
    // UNDEFINED: an old writer that did not set the kind; convertAttr refuses
    // what it cannot read.
    if (a.type() != onnx::AttributeProto::UNDEFINED && attrKindName(a.type()) != spec->kind)
      fail(label + ": attribute '" + a.name() + "' must be " + spec->kind.str() + ", got " +
           attrKindName(a.type()));
  }
  for (const auto &spec : schema->attributes)
    if (spec.required && !seen.count(spec.name.str()))
      fail(label + ": attribute '" + spec.name.str() + "' is required");
}

void Importer::checkDefinitions(const onnx::GraphProto &g, int64_t opset) {
  // Every value has one definition: a graph input, an initializer (which may
  // also be listed as an input: its default), or one node output.
  std::map<std::string, std::string> definedBy;
  std::set<std::string> inputs, initializers;
  for (const auto &in : g.input())
    if (!inputs.insert(in.name()).second)
      fail("graph input '" + in.name() + "' is listed twice");
    else
      definedBy[in.name()] = "graph input '" + in.name() + "'";
  for (const auto &init : g.initializer())
    if (!initializers.insert(init.name()).second)
      fail("initializer '" + init.name() + "' is listed twice");
    else
      definedBy.emplace(init.name(), "initializer '" + init.name() + "'");
  int64_t index = 0;
  for (const auto &node : g.node()) {
    std::string label = nodeLabel(node, index, opset);
    std::string self = "node '" + (node.name().empty() ? "#" + std::to_string(index)
                                                        : node.name()) + "'";
    ++index;
    for (const auto &out : node.output()) {
      if (out.empty())
        continue;
      auto [it, fresh] = definedBy.emplace(out, self);
      if (!fresh)
        fail(label + ": output '" + out + "' is already produced by " + it->second);
    }
  }
  nodeCount += g.node_size();
}

static std::string elementName(Type t) {
  DType d;
  if (fromMlirType(t, d))
    return dtypeName(d);
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool Importer::checkTensorSize(const std::string &what, Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape())
    return true;
  int64_t elementBytes = std::max<int64_t>(1, t.getElementTypeBitWidth() / 8);
  std::optional<int64_t> bytes = checkedByteSize(t.getShape(), elementBytes);
  if (!bytes) {
    fail(what + ": shape " + shapeString(t.getShape()) + " is too large");
    return false;
  }
  if (*bytes > limits.maxTensorBytes) {
    fail(what + ": " + elementName(t.getElementType()) + shapeString(t.getShape()) + " is " +
         std::to_string(*bytes) + " bytes, over the limit of " +
         std::to_string(limits.maxTensorBytes) + " for one tensor (--max-tensor-bytes)");
    return false;
  }
  return true;
}

bool Importer::checkConstantBytes(ModuleOp module) {
  int64_t total = 0;
  module.walk([&](arith::ConstantOp c) {
    auto t = dyn_cast<RankedTensorType>(c.getType());
    if (!t || !t.hasStaticShape())
      return;
    int64_t elementBytes = std::max<int64_t>(1, t.getElementTypeBitWidth() / 8);
    std::optional<int64_t> bytes = checkedByteSize(t.getShape(), elementBytes);
    if (!bytes || __builtin_add_overflow(total, *bytes, &total))
      total = INT64_MAX;
  });
  if (total <= limits.maxConstantBytes)
    return true;
  fail("the model's constants (initializers and folded values) hold " + std::to_string(total) +
       " bytes, over the limit of " + std::to_string(limits.maxConstantBytes) +
       " (--max-constant-bytes)");
  return false;
}

} // namespace nnm::import_detail
