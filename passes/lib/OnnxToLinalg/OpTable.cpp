//===- OpTable.cpp - The versioned ONNX op table and its drivers ----------===//
#include "nnm/Passes/OnnxToLinalg/OpTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include <algorithm>

using namespace mlir;

namespace nnm::onnx_to_linalg {

static int64_t opsetOf(Operation *op) {
  auto a = op->getAttrOfType<IntegerAttr>(kOpsetAttr);
  return a ? a.getInt() : -1;
}

OnnxNode::OnnxNode(Operation *op)
    : op(op), opset(opsetOf(op)), operands(op->getOperands()) {}

OnnxNode::OnnxNode(Operation *op, ValueRange operands)
    : op(op), opset(opsetOf(op)), operands(operands) {}

StringRef OnnxNode::opType() const {
  StringRef name = op->getName().getStringRef();
  name.consume_front("onnx.");
  return name;
}

Value OnnxNode::input(unsigned i) const {
  if (i >= operands.size())
    return {};
  Value v = operands[i];
  return isa<NoneType>(v.getType()) ? Value() : v;
}

Values OnnxNode::presentInputs() const {
  Values out;
  for (unsigned i = 0; i < numInputs(); ++i)
    if (Value v = input(i))
      out.push_back(v);
  return out;
}

static bool isUnsignedTensor(Type t) {
  auto it = dyn_cast<IntegerType>(getElementTypeOrSelf(t));
  return it && it.isUnsigned();
}

bool OnnxNode::isUnsigned(unsigned i) const {
  return i < op->getNumOperands() && isUnsignedTensor(op->getOperand(i).getType());
}

bool OnnxNode::resultIsUnsigned(unsigned i) const {
  return i < op->getNumResults() && isUnsignedTensor(op->getResult(i).getType());
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

int64_t OnnxNode::sourceOpset() const {
  auto a = op->getAttrOfType<IntegerAttr>(kSourceOpsetAttr);
  return a ? a.getInt() : opset;
}

InFlightDiagnostic OnnxNode::error() const {
  return op->emitError() << opType() << " (opset " << sourceOpset() << "): ";
}

void OpTable::add(StringRef op, int64_t since, OpEntry entry) {
  entry.since = since;
  auto &list = entries[op];
  list.push_back(std::move(entry));
  llvm::sort(list, [](const OpEntry &a, const OpEntry &b) { return a.since < b.since; });
}

const OpEntry *OpTable::lookup(StringRef op, int64_t opset) const {
  auto it = entries.find(op);
  if (it == entries.end() || opset > kMaxOpset)
    return nullptr;
  const OpEntry *found = nullptr;
  for (const OpEntry &e : it->second)
    if (e.since <= opset)
      found = &e;
  return found;
}

const OpEntry *OpTable::next(StringRef op, const OpEntry &entry) const {
  auto it = entries.find(op);
  if (it == entries.end())
    return nullptr;
  for (const OpEntry &e : it->second)
    if (e.since > entry.since)
      return &e;
  return nullptr;
}

int64_t OpTable::firstOpset(StringRef op) const {
  auto it = entries.find(op);
  return it == entries.end() || it->second.empty() ? 0 : it->second.front().since;
}

const OpTable &OpTable::get() {
  static const OpTable table = [] {
    OpTable t;
    addElementwiseOps(t);
    addMatMulConvOps(t);
    addPoolingOps(t);
    addReductionOps(t);
    addShapeOps(t);
    addDataMovementOps(t);
    addLayoutOps(t);
    addAttentionOps(t);
    addIndexingOps(t);
    addNormalizationOps(t);
    addLossOps(t);
    addLogicalOps(t);
    addActivationOps(t);
    addQuantizationOps(t);
    addEinsumOps(t);
    addSignalOps(t);
    addRecurrentOps(t);
    addImageOps(t);
    return t;
  }();
  return table;
}

const OpEntry *lookupEntry(Operation *op) {
  StringRef name = op->getName().getStringRef();
  if (!name.consume_front(kOnnxPrefix))
    return nullptr;
  return OpTable::get().lookup(name, opsetOf(op));
}

LogicalResult inferResultTypes(Operation *op) {
  OnnxNode node(op);
  const OpEntry *entry = lookupEntry(op);
  if (!entry || !entry->infer)
    return node.error() << "no shape rule for this op at this opset";
  SmallVector<Type> types;
  if (failed(entry->infer(node, types)))
    return failure();
  if (types.size() != op->getNumResults())
    return node.error() << "the shape rule gives " << types.size() << " types for "
                        << op->getNumResults() << " results";
  for (auto [r, t] : llvm::zip(op->getResults(), types)) {
    // A static declared type is a promise: the rule must agree with it (it may
    // know less while a shape operand is not folded yet).
    auto declared = dyn_cast<RankedTensorType>(r.getType());
    if (declared && declared.hasStaticShape() && declared != t &&
        (getElementTypeOrSelf(t) != declared.getElementType() ||
         failed(verifyCompatibleShape(declared, t))))
      return node.error() << "declared result type " << declared
                          << " differs from its shape rule (" << t << ")";
  }
  for (auto [r, t] : llvm::zip(op->getResults(), types)) {
    auto refined = dyn_cast<RankedTensorType>(t);
    if (!isa<RankedTensorType>(r.getType()) || (refined && refined.hasStaticShape()) ||
        !cast<RankedTensorType>(r.getType()).hasStaticShape())
      r.setType(t);
  }
  return success();
}

FailureOr<Operation *> buildOnnxOp(OpBuilder &b, Location loc, StringRef opType, int64_t opset,
                                   ValueRange operands, ArrayRef<NamedAttribute> attrs,
                                   unsigned numResults) {
  OperationState st(loc, (kOnnxPrefix + opType).str());
  st.addOperands(operands);
  st.addAttributes(attrs);
  st.addAttribute(kOpsetAttr, b.getI64IntegerAttr(opset));
  st.addTypes(SmallVector<Type>(numResults, NoneType::get(b.getContext())));
  Operation *op = b.create(st);
  const OpEntry *entry = lookupEntry(op);
  if (entry && !entry->infer && entry->upgrade)
    return op; // an intermediate form: upgradeToNewestForm goes on with it
  if (failed(inferResultTypes(op))) {
    op->erase();
    return failure();
  }
  return op;
}

FailureOr<Values> createOrFold(OpBuilder &b, Location loc, StringRef opType, int64_t opset,
                               ValueRange operands, ArrayRef<NamedAttribute> attrs,
                               unsigned numResults) {
  auto op = buildOnnxOp(b, loc, opType, opset, operands, attrs, numResults);
  if (failed(op))
    return failure();
  if (auto folded = tryFold(b, *op))
    return *folded;
  return Values((*op)->getResults());
}

FailureOr<Values> upgradeToNewestForm(OpBuilder &b, Operation *op) {
  Values results(op->getResults());
  const OpTable &table = OpTable::get();
  while (true) {
    const OpEntry *entry = lookupEntry(op);
    if (!entry || !entry->upgrade)
      return results; // the newest form (or unknown: validation reports it)
    OnnxNode node(op);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(op);
    auto replaced = entry->upgrade(b, node);
    if (failed(replaced))
      return failure();
    if (replaced->size() != op->getNumResults())
      return node.error() << "internal error: the upgrade gives " << replaced->size()
                          << " values for " << op->getNumResults() << " results";
    const OpEntry *next = table.next(node.opType(), *entry);
    // The name outlives `op` (and `node`, which points at it), erased below.
    std::string name = op->getName().getStringRef().str();
    op->replaceAllUsesWith(*replaced);
    op->erase();
    results = *replaced;
    // Continue with the op of the next form when the upgrade built one.
    Operation *def = results.empty() ? nullptr : results.front().getDefiningOp();
    if (!next || !def || def->getName().getStringRef() != name)
      return results;
    op = def;
  }
}

std::optional<Values> tryFold(OpBuilder &b, Operation *op) {
  const OpEntry *entry = lookupEntry(op);
  if (!entry || !entry->fold)
    return std::nullopt;
  OnnxNode node(op);
  SmallVector<DenseElementsAttr> consts;
  for (Value v : op->getOperands()) {
    DenseElementsAttr c;
    if (!isa<NoneType>(v.getType()))
      matchPattern(v, m_Constant(&c));
    consts.push_back(c);
  }
  SmallVector<DenseElementsAttr> folded;
  if (failed(entry->fold(node, consts, folded)) || folded.size() != op->getNumResults())
    return std::nullopt;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Values replacements;
  for (DenseElementsAttr a : folded)
    replacements.push_back(arith::ConstantOp::create(b, op->getLoc(), a));
  op->replaceAllUsesWith(replacements);
  op->erase();
  return replacements;
}

void syncFunctionType(func::FuncOp fn) {
  auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
  fn.setType(FunctionType::get(fn.getContext(), fn.getArgumentTypes(), ret.getOperandTypes()));
}

} // namespace nnm::onnx_to_linalg
