//===- LoweringTable.cpp - Versioned ONNX op table and node access --------===//
#include "nnm/Passes/OnnxToLinalg/LoweringTable.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include <algorithm>

using namespace mlir;

namespace nnm::onnx_to_linalg {

StringRef OnnxNode::opType() const {
  StringRef name = op->getName().getStringRef();
  name.consume_front("onnx.");
  return name;
}

Value OnnxNode::input(unsigned i) const {
  if (i >= op->getNumOperands())
    return {};
  Value v = op->getOperand(i);
  return isa<NoneType>(v.getType()) ? Value() : v;
}

RankedTensorType OnnxNode::inputType(unsigned i) const {
  Value v = input(i);
  return v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

int64_t OnnxNode::getInt(StringRef name, int64_t dflt) const {
  if (auto a = op->getAttrOfType<IntegerAttr>(name))
    return a.getValue().getSExtValue();
  return dflt;
}

double OnnxNode::getFloat(StringRef name, double dflt) const {
  if (auto a = op->getAttrOfType<FloatAttr>(name))
    return a.getValueAsDouble();
  if (auto a = op->getAttrOfType<IntegerAttr>(name))
    return double(a.getValue().getSExtValue());
  return dflt;
}

std::string OnnxNode::getString(StringRef name, StringRef dflt) const {
  if (auto a = op->getAttrOfType<StringAttr>(name))
    return a.str();
  return dflt.str();
}

std::optional<SmallVector<int64_t>> OnnxNode::getInts(StringRef name) const {
  if (auto a = op->getAttrOfType<DenseI64ArrayAttr>(name))
    return SmallVector<int64_t>(a.asArrayRef());
  return std::nullopt;
}

std::optional<SmallVector<double>> OnnxNode::getFloats(StringRef name) const {
  if (auto a = op->getAttrOfType<DenseF32ArrayAttr>(name)) {
    SmallVector<double> out;
    for (float f : a.asArrayRef())
      out.push_back(f);
    return out;
  }
  return std::nullopt;
}

DenseElementsAttr OnnxNode::getTensor(StringRef name) const {
  return op->getAttrOfType<DenseElementsAttr>(name);
}

InFlightDiagnostic OnnxNode::error() const {
  return op->emitError() << opType() << " (opset " << opset << "): ";
}

void LoweringTable::add(StringRef op, int64_t sinceOpset, LowerFn fn) {
  auto &list = entries[op];
  list.push_back({sinceOpset, std::move(fn)});
  llvm::sort(list, [](const Entry &a, const Entry &b) { return a.since < b.since; });
}

const LowerFn *LoweringTable::lookup(StringRef op, int64_t opset) const {
  auto it = entries.find(op);
  if (it == entries.end() || opset > kMaxOpset)
    return nullptr;
  const LowerFn *found = nullptr;
  for (const Entry &e : it->second)
    if (e.since <= opset)
      found = &e.fn;
  return found;
}

std::vector<std::string> LoweringTable::ops() const {
  std::vector<std::string> out;
  for (const auto &e : entries)
    out.push_back(e.getKey().str());
  std::sort(out.begin(), out.end());
  return out;
}

int64_t LoweringTable::firstOpset(StringRef op) const {
  auto it = entries.find(op);
  return it == entries.end() || it->second.empty() ? 0 : it->second.front().since;
}

const LoweringTable &LoweringTable::get() {
  static const LoweringTable table = [] {
    LoweringTable t;
    addElementwiseLowerings(t);
    addMatMulConvLowerings(t);
    addPoolingLowerings(t);
    addReductionLowerings(t);
    addShapeLowerings(t);
    return t;
  }();
  return table;
}

} // namespace nnm::onnx_to_linalg
