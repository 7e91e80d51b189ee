//===- ImportControlFlow.cpp - If, Loop and Scan, expanded at import ------===//
//
// NNModel compiles ahead of time with static shapes, so control flow is
// resolved while the graph is imported:
//   If    the condition must be a compile-time constant (after folding, or an
//         input bound with --bind); the chosen branch is inlined.
//   Loop  the trip count and each iteration's condition must be constants; the
//         body is inlined once per iteration (loop-carried values flow from one
//         copy to the next) and scan outputs are stacked on a new axis 0.
//   Scan  (opset 9+) the body is inlined once per element of the scanned axis,
//         with the slices taken by Gather and the scan outputs stacked.
// A body sees the values of the enclosing graphs by name (captured values);
// names it defines do not leak out. Unrolling is bounded by kMaxIterations.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace nnm::import_detail {

namespace {

/// The most iterations a Loop or Scan is unrolled into.
constexpr int64_t kMaxIterations = 4096;

const onnx::GraphProto *graphAttr(const onnx::NodeProto &node, const std::string &name) {
  for (const auto &a : node.attribute())
    if (a.name() == name && a.type() == onnx::AttributeProto::GRAPH)
      return &a.g();
  return nullptr;
}

const onnx::AttributeProto *attr(const onnx::NodeProto &node, const std::string &name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

std::vector<int64_t> intsAttr(const onnx::NodeProto &node, const std::string &name) {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}

/// The integer or bool scalar behind v when it is a constant.
std::optional<int64_t> constantScalar(Value v) {
  DenseElementsAttr c = onnx_to_linalg::constantOf(v);
  if (!c || c.getNumElements() != 1)
    return std::nullopt;
  Type t = c.getElementType();
  if (t.isInteger(1))
    return int64_t(*c.value_begin<bool>());
  if (isa<IntegerType>(t))
    return (*c.value_begin<APInt>()).getSExtValue();
  return std::nullopt;
}

} // namespace

bool Importer::isControlFlow(const std::string &opType) {
  return opType == "If" || opType == "Loop" || opType == "Scan";
}

bool Importer::validateSubgraphs(const onnx::NodeProto &node, const std::string &label,
                                 int64_t opset) {
  std::vector<std::string> needed =
      node.op_type() == "If" ? std::vector<std::string>{"then_branch", "else_branch"}
                             : std::vector<std::string>{"body"};
  bool ok = true;
  for (const std::string &name : needed)
    if (const onnx::GraphProto *g = graphAttr(node, name)) {
      validateNodes(*g, opset);
    } else {
      fail(label + ": needs the graph attribute '" + name + "'");
      ok = false;
    }
  if (node.op_type() == "Scan" && opset < 9) {
    fail(label + ": the opset 8 form of Scan (batched, sequence_lens) is not supported");
    ok = false;
  }
  return ok;
}

bool Importer::importControlFlow(const onnx::NodeProto &node, const std::string &label,
                                 int64_t opset) {
  if (node.op_type() == "If")
    return importIf(node, label, opset);
  if (node.op_type() == "Loop")
    return importLoop(node, label, opset);
  return importScan(node, label, opset);
}

bool Importer::inlineBody(const onnx::GraphProto &body, ArrayRef<Value> inputs, int64_t opset,
                          const std::string &label, SmallVectorImpl<Value> &outputs) {
  if (body.input_size() != int(inputs.size())) {
    fail(label + ": its body graph '" + body.name() + "' has " +
         std::to_string(body.input_size()) + " inputs, the node gives " +
         std::to_string(inputs.size()));
    return false;
  }
  llvm::StringMap<Value> outer = values;
  for (int i = 0; i < body.input_size(); ++i)
    values[body.input(i).name()] = inputs[i];
  for (const auto &init : body.initializer())
    if (DenseElementsAttr a = tensorAttr(init, label + " body initializer '" + init.name() + "'"))
      values[init.name()] = arith::ConstantOp::create(b, b.getUnknownLoc(), a);
  bool ok = errors.empty() && importNodes(body, opset) && errors.empty();
  if (ok)
    for (const auto &out : body.output()) {
      auto it = values.find(out.name());
      if (it == values.end()) {
        fail(label + ": body output '" + out.name() + "' is not produced by any node");
        ok = false;
        break;
      }
      outputs.push_back(it->second);
    }
  values = std::move(outer);
  return ok;
}

bool Importer::importIf(const onnx::NodeProto &node, const std::string &label, int64_t opset) {
  SmallVector<Value> operands;
  if (!nodeOperands(node, label, operands))
    return true;
  std::optional<int64_t> cond = operands.empty() ? std::nullopt : constantScalar(operands[0]);
  if (!cond) {
    fail(label + ": the condition must be known at compile time (If is resolved while "
                 "importing; bind the input with --bind)");
    return false; // its outputs stay undefined: stop here
  }
  const onnx::GraphProto *branch = graphAttr(node, *cond ? "then_branch" : "else_branch");
  SmallVector<Value> outs;
  if (!inlineBody(*branch, {}, opset, label, outs))
    return false;
  if (int(outs.size()) != node.output_size()) {
    fail(label + ": the branch gives " + std::to_string(outs.size()) + " values for " +
         std::to_string(node.output_size()) + " outputs");
    return false;
  }
  for (int i = 0; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      values[node.output(i)] = outs[i];
  return true;
}

/// Stacks per-iteration values on a new axis `axis` (Unsqueeze + Concat).
static FailureOr<Value> stack(OpBuilder &b, Location loc, ArrayRef<Value> parts,
                              int64_t axis) {
  if (parts.empty())
    return failure();
  auto axes = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(RankedTensorType::get({1}, b.getI64Type()),
                                     ArrayRef<int64_t>{axis}));
  SmallVector<Value> expanded;
  for (Value p : parts) {
    auto u = onnx_to_linalg::createOrFold(b, loc, "Unsqueeze", 13, {p, axes}, {});
    if (failed(u))
      return failure();
    expanded.push_back((*u)[0]);
  }
  if (expanded.size() == 1)
    return expanded[0];
  auto c = onnx_to_linalg::createOrFold(b, loc, "Concat", 13, expanded,
                                        {b.getNamedAttr("axis", b.getI64IntegerAttr(axis))});
  if (failed(c))
    return failure();
  return (*c)[0];
}

bool Importer::importLoop(const onnx::NodeProto &node, const std::string &label,
                          int64_t opset) {
  SmallVector<Value> operands;
  if (!nodeOperands(node, label, operands))
    return true;
  if (operands.size() < 2) {
    fail(label + ": needs the inputs M and cond (either may be empty)");
    return false;
  }
  auto present = [](Value v) { return v && !isa<NoneType>(v.getType()); };
  std::optional<int64_t> tripCount, cond = 1;
  if (present(operands[0]) && !(tripCount = constantScalar(operands[0]))) {
    fail(label + ": the trip count M must be known at compile time (Loop is unrolled while "
                 "importing)");
    return false;
  }
  if (present(operands[1]) && !(cond = constantScalar(operands[1]))) {
    fail(label + ": the initial condition must be known at compile time (Loop is unrolled "
                 "while importing)");
    return false;
  }
  const onnx::GraphProto &body = *graphAttr(node, "body");
  size_t carried = operands.size() - 2;
  int numScan = body.output_size() - 1 - int(carried);
  if (numScan < 0 || node.output_size() != int(carried) + numScan) {
    fail(label + ": the body's outputs do not match the loop-carried values");
    return false;
  }
  SmallVector<Value> state(operands.begin() + 2, operands.end());
  std::vector<SmallVector<Value>> scans(numScan);
  Location loc = NameLoc::get(b.getStringAttr(node.name().empty() ? "Loop" : node.name()));
  auto scalar = [&](Type t, int64_t v) -> Value {
    auto type = RankedTensorType::get({}, t);
    Attribute a = t.isInteger(1) ? Attribute(b.getBoolAttr(v)) : b.getIntegerAttr(t, v);
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, a));
  };
  int64_t i = 0;
  for (; *cond && (!tripCount || i < *tripCount); ++i) {
    if (i >= kMaxIterations) {
      fail(label + ": more than " + std::to_string(kMaxIterations) +
           " iterations (Loop is unrolled while importing)");
      return false;
    }
    SmallVector<Value> ins{scalar(b.getI64Type(), i), scalar(b.getI1Type(), 1)};
    ins.append(state);
    SmallVector<Value> outs;
    if (!inlineBody(body, ins, opset, label, outs))
      return false;
    if (!(cond = constantScalar(outs[0]))) {
      fail(label + ": the body's condition must be known at compile time (Loop is unrolled "
                   "while importing)");
      return false;
    }
    state.assign(outs.begin() + 1, outs.begin() + 1 + carried);
    for (int k = 0; k < numScan; ++k)
      scans[k].push_back(outs[1 + carried + k]);
  }
  for (size_t k = 0; k < carried; ++k)
    if (!node.output(k).empty())
      values[node.output(k)] = state[k];
  for (int k = 0; k < numScan; ++k) {
    auto stacked = stack(b, loc, scans[k], 0);
    if (failed(stacked)) {
      fail(label + ": scan output " + std::to_string(k) +
           (i == 0 ? " is empty (the loop runs no iteration)" : " cannot be stacked"));
      return false;
    }
    if (!node.output(carried + k).empty())
      values[node.output(carried + k)] = *stacked;
  }
  return true;
}

bool Importer::importScan(const onnx::NodeProto &node, const std::string &label,
                          int64_t opset) {
  SmallVector<Value> operands;
  if (!nodeOperands(node, label, operands))
    return true;
  const onnx::AttributeProto *n = attr(node, "num_scan_inputs");
  int64_t numScanIn = n ? n->i() : -1;
  if (numScanIn <= 0 || numScanIn > int64_t(operands.size())) {
    fail(label + ": num_scan_inputs must be between 1 and the number of inputs");
    return false;
  }
  size_t numState = operands.size() - numScanIn;
  const onnx::GraphProto &body = *graphAttr(node, "body");
  int numScanOut = body.output_size() - int(numState);
  if (numScanOut < 0 || node.output_size() != body.output_size()) {
    fail(label + ": the body's outputs do not match the node's");
    return false;
  }
  auto orDefault = [](std::vector<int64_t> v, size_t count) {
    v.resize(count, 0);
    return v;
  };
  std::vector<int64_t> inAxes = orDefault(intsAttr(node, "scan_input_axes"), numScanIn);
  std::vector<int64_t> inDirs = orDefault(intsAttr(node, "scan_input_directions"), numScanIn);
  std::vector<int64_t> outAxes = orDefault(intsAttr(node, "scan_output_axes"), numScanOut);
  std::vector<int64_t> outDirs = orDefault(intsAttr(node, "scan_output_directions"), numScanOut);

  Location loc = NameLoc::get(b.getStringAttr(node.name().empty() ? "Scan" : node.name()));
  int64_t length = -1;
  for (int64_t j = 0; j < numScanIn; ++j) {
    auto t = dyn_cast<RankedTensorType>(operands[numState + j].getType());
    int64_t rank = t ? t.getRank() : 0;
    int64_t axis = inAxes[j] < 0 ? inAxes[j] + rank : inAxes[j];
    if (!t || axis < 0 || axis >= rank || t.isDynamicDim(axis)) {
      fail(label + ": scan input " + std::to_string(j) +
           " needs a static dimension on its scan axis");
      return false;
    }
    inAxes[j] = axis;
    if (length >= 0 && length != t.getDimSize(axis)) {
      fail(label + ": the scan inputs have different sequence lengths");
      return false;
    }
    length = t.getDimSize(axis);
  }
  if (length > kMaxIterations) {
    fail(label + ": a sequence of " + std::to_string(length) + " is longer than " +
         std::to_string(kMaxIterations) + " (Scan is unrolled while importing)");
    return false;
  }
  SmallVector<Value> state(operands.begin(), operands.begin() + numState);
  std::vector<SmallVector<Value>> scans(numScanOut);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<Value> ins(state);
    for (int64_t j = 0; j < numScanIn; ++j) {
      int64_t at = inDirs[j] ? length - 1 - t : t;
      Value idx = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                         ArrayRef<int64_t>{at}));
      auto slice = onnx_to_linalg::createOrFold(
          b, loc, "Gather", 13, {operands[numState + j], idx},
          {b.getNamedAttr("axis", b.getI64IntegerAttr(inAxes[j]))});
      if (failed(slice))
        return false;
      ins.push_back((*slice)[0]);
    }
    SmallVector<Value> outs;
    if (!inlineBody(body, ins, opset, label, outs))
      return false;
    state.assign(outs.begin(), outs.begin() + numState);
    for (int k = 0; k < numScanOut; ++k)
      scans[k].push_back(outs[numState + k]);
  }
  for (size_t k = 0; k < numState; ++k)
    if (!node.output(k).empty())
      values[node.output(k)] = state[k];
  for (int k = 0; k < numScanOut; ++k) {
    if (outDirs[k])
      std::reverse(scans[k].begin(), scans[k].end());
    int64_t axis = outAxes[k];
    if (axis < 0 && !scans[k].empty())
      axis += cast<RankedTensorType>(scans[k][0].getType()).getRank() + 1;
    auto stacked = stack(b, loc, scans[k], axis);
    if (failed(stacked)) {
      fail(label + ": scan output " + std::to_string(k) + " cannot be stacked");
      return false;
    }
    if (!node.output(numState + k).empty())
      values[node.output(numState + k)] = *stacked;
  }
  return true;
}

} // namespace nnm::import_detail
