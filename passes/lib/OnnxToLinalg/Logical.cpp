//===- Logical.cpp - ONNX comparison, logical and bitwise ops to linalg ---===//
//
// Comparisons (bool results), Not/And/Or/Xor on bool, Where, BitShift and the
// Bitwise* ops on integers, IsNaN/IsInf. All broadcast multidirectionally; the
// integer comparisons and shifts ask the node for signedness, since lowerings
// see signless integers.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

Type boolType(const OnnxNode &node) { return IntegerType::get(node.op->getContext(), 1); }

/// The broadcast rule of a binary op with a bool result.
LogicalResult inferBoolBinary(const OnnxNode &node, Types &out) {
  if (failed(broadcastWithArity(2)(node, out)))
    return failure();
  out[0] = tensorOf(cast<RankedTensorType>(out[0]).getShape(), boolType(node));
  return success();
}

/// Both operands present with the same element type; `what` restricts it.
enum class Kinds { Any, Bool, Integer, Float };

LogicalResult checkOperands(const OnnxNode &node, unsigned arity, Kinds kinds) {
  for (unsigned i = 0; i < arity; ++i)
    if (!node.input(i))
      return node.error() << "needs " << arity << " input" << (arity > 1 ? "s" : ""),
             failure();
  Type t = elementTypeOf(node.input(0));
  for (unsigned i = 1; i < arity; ++i)
    if (elementTypeOf(node.input(i)) != t)
      return node.error() << "operands have different element types", failure();
  switch (kinds) {
  case Kinds::Any:
    return success();
  case Kinds::Bool:
    if (!t.isInteger(1))
      return node.error() << "needs bool operands", failure();
    return success();
  case Kinds::Integer:
    if (!isa<IntegerType>(t) || t.isInteger(1))
      return node.error() << "needs integer operands", failure();
    return success();
  case Kinds::Float:
    if (!isFloat(t))
      return node.error() << "needs a floating-point input", failure();
    return success();
  }
  return success();
}

// Folding ------------------------------------------------------------------------

using IntFoldFn = std::function<APInt(ArrayRef<APInt>)>;

/// Folds an op over small integer or bool constants (shape arithmetic such as
/// Where(Equal(shape, 0), ...) before a Reshape): every input must be one;
/// the result, of element type `outElt`, broadcasts them.
LogicalResult foldInts(const OnnxNode &node, Consts consts, Type outElt, const IntFoldFn &fn,
                       Folded &out) {
  if (consts.empty() || consts.size() != node.numInputs())
    return failure();
  SmallVector<SmallVector<APInt>> vals;
  SmallVector<SmallVector<int64_t>> shapes;
  for (DenseElementsAttr c : consts) {
    if (!c || !isa<IntegerType>(c.getElementType()) || c.getNumElements() > 4096)
      return failure();
    vals.push_back(SmallVector<APInt>(c.getValues<APInt>()));
    shapes.push_back(SmallVector<int64_t>(c.getType().getShape()));
  }
  auto shape = broadcastShapes(shapes);
  if (failed(shape) || productOf(*shape) == kDyn)
    return failure();
  int64_t rank = shape->size(), n = productOf(*shape);
  SmallVector<APInt> result, args(vals.size());
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < vals.size(); ++k) {
      int64_t pos = 0, off = rank - int64_t(shapes[k].size());
      for (size_t d = 0; d < shapes[k].size(); ++d)
        pos = pos * shapes[k][d] + (shapes[k][d] == 1 ? 0 : idx[off + d]);
      args[k] = vals[k][pos];
    }
    result.push_back(fn(args));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < (*shape)[d])
        break;
      idx[d] = 0;
    }
  }
  out.push_back(DenseElementsAttr::get(tensorOf(*shape, outElt), result));
  return success();
}

// Comparisons --------------------------------------------------------------------

enum class Cmp { EQ, LT, GT, LE, GE };

Value compare(OpBuilder &b, Location l, Cmp c, Value x, Value y, bool isUnsigned) {
  if (isFloat(x.getType())) {
    // Ordered predicates: any comparison with NaN is false, as in numpy.
    arith::CmpFPredicate p = c == Cmp::EQ   ? arith::CmpFPredicate::OEQ
                             : c == Cmp::LT ? arith::CmpFPredicate::OLT
                             : c == Cmp::GT ? arith::CmpFPredicate::OGT
                             : c == Cmp::LE ? arith::CmpFPredicate::OLE
                                            : arith::CmpFPredicate::OGE;
    return arith::CmpFOp::create(b, l, p, x, y);
  }
  // bool orders false < true, i.e. unsigned.
  bool u = isUnsigned || x.getType().isInteger(1);
  arith::CmpIPredicate p;
  switch (c) {
  case Cmp::EQ: p = arith::CmpIPredicate::eq; break;
  case Cmp::LT: p = u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt; break;
  case Cmp::GT: p = u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt; break;
  case Cmp::LE: p = u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle; break;
  case Cmp::GE: p = u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge; break;
  }
  return arith::CmpIOp::create(b, l, p, x, y);
}

FoldFn foldCompare(Cmp c) {
  return [c](const OnnxNode &node, Consts consts, Folded &out) -> LogicalResult {
    if (consts.size() != 2 || !consts[0] || !consts[1] ||
        consts[0].getElementType() != consts[1].getElementType())
      return failure();
    bool u = node.isUnsigned(0) || consts[0].getElementType().isInteger(1);
    return foldInts(node, consts, boolType(node), [&](ArrayRef<APInt> a) {
      bool r = false;
      switch (c) {
      case Cmp::EQ: r = a[0] == a[1]; break;
      case Cmp::LT: r = u ? a[0].ult(a[1]) : a[0].slt(a[1]); break;
      case Cmp::GT: r = u ? a[0].ugt(a[1]) : a[0].sgt(a[1]); break;
      case Cmp::LE: r = u ? a[0].ule(a[1]) : a[0].sle(a[1]); break;
      case Cmp::GE: r = u ? a[0].uge(a[1]) : a[0].sge(a[1]); break;
      }
      return APInt(1, r);
    }, out);
  };
}

LowerFn lowerCompare(Cmp c) {
  return [c](OpBuilder &b, const OnnxNode &node) -> Result {
    if (failed(checkOperands(node, 2, Kinds::Any)))
      return failure();
    bool u = node.isUnsigned(0);
    return broadcastElementwise(
        b, node, {node.input(0), node.input(1)},
        [&](OpBuilder &nb, Location l, ValueRange a) { return compare(nb, l, c, a[0], a[1], u); },
        boolType(node));
  };
}

// Logical and bitwise -------------------------------------------------------------

enum class Bit { And, Or, Xor };

Value bitOp(OpBuilder &b, Location l, Bit k, Value x, Value y) {
  switch (k) {
  case Bit::And: return arith::AndIOp::create(b, l, x, y);
  case Bit::Or: return arith::OrIOp::create(b, l, x, y);
  case Bit::Xor: return arith::XOrIOp::create(b, l, x, y);
  }
  return {};
}

LowerFn lowerBitBinary(Bit k, Kinds kinds) {
  return [k, kinds](OpBuilder &b, const OnnxNode &node) -> Result {
    if (failed(checkOperands(node, 2, kinds)))
      return failure();
    return broadcastElementwise(
        b, node, {node.input(0), node.input(1)},
        [&](OpBuilder &nb, Location l, ValueRange a) { return bitOp(nb, l, k, a[0], a[1]); });
  };
}

FoldFn foldBitBinary(Bit k) {
  return [k](const OnnxNode &node, Consts consts, Folded &out) -> LogicalResult {
    if (consts.size() != 2 || !consts[0] || !consts[1] ||
        consts[0].getElementType() != consts[1].getElementType())
      return failure();
    return foldInts(node, consts, consts[0].getElementType(), [&](ArrayRef<APInt> a) {
      return k == Bit::And ? a[0] & a[1] : k == Bit::Or ? a[0] | a[1] : a[0] ^ a[1];
    }, out);
  };
}

LogicalResult foldNot(const OnnxNode &node, Consts consts, Folded &out) {
  if (consts.size() != 1 || !consts[0])
    return failure();
  return foldInts(node, consts, consts[0].getElementType(),
                  [](ArrayRef<APInt> a) { return ~a[0]; }, out);
}

/// Not on bool and BitwiseNot on integers: xor with all ones.
LowerFn lowerBitNot(Kinds kinds) {
  return [kinds](OpBuilder &b, const OnnxNode &node) -> Result {
    if (failed(checkOperands(node, 1, kinds)))
      return failure();
    return broadcastElementwise(b, node, {node.input(0)},
                                [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                  Type t = a[0].getType();
                                  Value ones = arith::ConstantOp::create(
                                      nb, l, nb.getIntegerAttr(
                                                 t, APInt::getAllOnes(t.getIntOrFloatBitWidth())));
                                  return arith::XOrIOp::create(nb, l, a[0], ones);
                                });
  };
}

// BitShift -----------------------------------------------------------------------

/// Shifts by an amount outside [0, width) give 0, except a right shift of a
/// negative signed value, which gives -1 (the sign fills every bit), as the
/// ONNX reference does. As unsigned, a negative amount is also >= width.
Result lowerBitShift(OpBuilder &b, const OnnxNode &node) {
  std::string dir = node.getString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return node.error() << "direction must be LEFT or RIGHT, got '" << dir << "'", failure();
  if (failed(checkOperands(node, 2, Kinds::Integer)))
    return failure();
  bool left = dir == "LEFT", u = node.isUnsigned(0);
  return broadcastElementwise(
      b, node, {node.input(0), node.input(1)},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Type t = a[0].getType();
        unsigned width = t.getIntOrFloatBitWidth();
        Value w = scalarConst(nb, l, t, width);
        Value inRange = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, a[1], w);
        if (!left && !u) {
          Value amount = arith::SelectOp::create(nb, l, inRange, a[1],
                                                 scalarConst(nb, l, t, width - 1));
          return arith::ShRSIOp::create(nb, l, a[0], amount);
        }
        Value zero = scalarConst(nb, l, t, 0);
        Value amount = arith::SelectOp::create(nb, l, inRange, a[1], zero);
        Value shifted = left ? Value(arith::ShLIOp::create(nb, l, a[0], amount))
                             : Value(arith::ShRUIOp::create(nb, l, a[0], amount));
        return arith::SelectOp::create(nb, l, inRange, shifted, zero);
      });
}

// Where ----------------------------------------------------------------------------

LogicalResult inferWhere(const OnnxNode &node, Types &out) {
  if (failed(broadcastWithArity(3)(node, out)))
    return failure();
  out[0] = tensorOf(cast<RankedTensorType>(out[0]).getShape(), elementTypeOf(node.input(1)));
  return success();
}

LogicalResult foldWhere(const OnnxNode &node, Consts consts, Folded &out) {
  if (consts.size() != 3 || !consts[0] || !consts[1] || !consts[2] ||
      !consts[0].getElementType().isInteger(1) ||
      consts[1].getElementType() != consts[2].getElementType())
    return failure();
  return foldInts(node, consts, consts[1].getElementType(),
                  [](ArrayRef<APInt> a) { return a[0].getBoolValue() ? a[1] : a[2]; }, out);
}

Result lowerWhere(OpBuilder &b, const OnnxNode &node) {
  Value c = node.input(0), x = node.input(1), y = node.input(2);
  if (!c || !x || !y)
    return node.error() << "needs 3 inputs", failure();
  if (!elementTypeOf(c).isInteger(1))
    return node.error() << "condition must be bool", failure();
  if (elementTypeOf(x) != elementTypeOf(y))
    return node.error() << "X and Y have different element types", failure();
  return broadcastElementwise(
      b, node, {c, x, y},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::SelectOp::create(nb, l, a[0], a[1], a[2]);
      },
      elementTypeOf(x));
}

// IsNaN / IsInf ----------------------------------------------------------------------

LogicalResult inferBoolUnary(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs input 0";
  out.push_back(tensorOf(shapeOf(node.input(0)), boolType(node)));
  return success();
}

Result lowerIsNaN(OpBuilder &b, const OnnxNode &node) {
  if (failed(checkOperands(node, 1, Kinds::Float)))
    return failure();
  return broadcastElementwise(
      b, node, {node.input(0)},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNO, a[0], a[0]);
      },
      boolType(node));
}

Result lowerIsInf(OpBuilder &b, const OnnxNode &node) {
  if (failed(checkOperands(node, 1, Kinds::Float)))
    return failure();
  bool pos = node.getInt("detect_positive", 1) != 0, neg = node.getInt("detect_negative", 1) != 0;
  return broadcastElementwise(
      b, node, {node.input(0)},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Type t = a[0].getType();
        auto equals = [&](double v) -> Value {
          return arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a[0],
                                       scalarConst(nb, l, t, v));
        };
        Value r;
        if (pos)
          r = equals(INFINITY);
        if (neg)
          r = r ? Value(arith::OrIOp::create(nb, l, r, equals(-INFINITY))) : equals(-INFINITY);
        if (!r)
          r = scalarConst(nb, l, nb.getI1Type(), 0);
        return r;
      },
      boolType(node));
}

} // namespace

void addLogicalOps(OpTable &t) {
  // Before opset 7: broadcast/axis attributes.
  for (StringRef op : {"Equal", "Less", "Greater", "And", "Or", "Xor"})
    t.add(op, 1, OpEntry::upgradedBy(upgradeLegacyBroadcast));
  t.add("Equal", 7, OpEntry::form(inferBoolBinary, lowerCompare(Cmp::EQ),
                                             foldCompare(Cmp::EQ)));
  t.add("Less", 7, OpEntry::form(inferBoolBinary, lowerCompare(Cmp::LT),
                                             foldCompare(Cmp::LT)));
  t.add("Greater", 7, OpEntry::form(inferBoolBinary, lowerCompare(Cmp::GT),
                                             foldCompare(Cmp::GT)));
  t.add("LessOrEqual", 12, OpEntry::form(inferBoolBinary, lowerCompare(Cmp::LE),
                                             foldCompare(Cmp::LE)));
  t.add("GreaterOrEqual", 12, OpEntry::form(inferBoolBinary, lowerCompare(Cmp::GE),
                                             foldCompare(Cmp::GE)));
  t.add("And", 7, OpEntry::form(broadcastWithArity(2), lowerBitBinary(Bit::And, Kinds::Bool),
                                     foldBitBinary(Bit::And)));
  t.add("Or", 7, OpEntry::form(broadcastWithArity(2), lowerBitBinary(Bit::Or, Kinds::Bool),
                                     foldBitBinary(Bit::Or)));
  t.add("Xor", 7, OpEntry::form(broadcastWithArity(2), lowerBitBinary(Bit::Xor, Kinds::Bool),
                                     foldBitBinary(Bit::Xor)));
  t.add("Not", 1, OpEntry::form(inferLikeInput0, lowerBitNot(Kinds::Bool), foldNot));
  t.add("BitwiseAnd", 18,
        OpEntry::form(broadcastWithArity(2), lowerBitBinary(Bit::And, Kinds::Integer),
                              foldBitBinary(Bit::And)));
  t.add("BitwiseOr", 18,
        OpEntry::form(broadcastWithArity(2), lowerBitBinary(Bit::Or, Kinds::Integer),
                              foldBitBinary(Bit::Or)));
  t.add("BitwiseXor", 18,
        OpEntry::form(broadcastWithArity(2), lowerBitBinary(Bit::Xor, Kinds::Integer),
                              foldBitBinary(Bit::Xor)));
  t.add("BitwiseNot", 18, OpEntry::form(inferLikeInput0, lowerBitNot(Kinds::Integer), foldNot));
  t.add("BitShift", 11, OpEntry::form(broadcastWithArity(2), lowerBitShift));
  t.add("Where", 9, OpEntry::form(inferWhere, lowerWhere, foldWhere));
  t.add("IsNaN", 9, OpEntry::form(inferBoolUnary, lowerIsNaN));
  t.add("IsInf", 10, OpEntry::form(inferBoolUnary, lowerIsInf));
}

} // namespace nnm::onnx_to_linalg
