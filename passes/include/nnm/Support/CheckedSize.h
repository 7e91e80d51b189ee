//===- CheckedSize.h - Overflow-checked element counts and byte sizes -*- C++ -*-===//
//
// Every place that multiplies a shape out (the importer, shape rules, header
// generation) goes through these, so an absurd shape is an error, never a
// wrapped-around count. No MLIR header: the runtime-facing code may use it too.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_SUPPORT_CHECKEDSIZE_H
#define NNM_SUPPORT_CHECKEDSIZE_H

#include <cstdint>
#include <optional>

namespace nnm {

/// The element count of `shape`, or nullopt when a dimension is negative
/// (dynamic) or the product passes INT64_MAX.
template <typename Range> std::optional<int64_t> checkedElementCount(const Range &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  }
  return n;
}

/// The byte size of `shape` with `elementBytes` per element, or nullopt as above.
template <typename Range>
std::optional<int64_t> checkedByteSize(const Range &shape, int64_t elementBytes) {
  std::optional<int64_t> n = checkedElementCount(shape);
  int64_t bytes;
  if (!n || __builtin_mul_overflow(*n, elementBytes, &bytes))
    return std::nullopt;
  return bytes;
}

/// a * b for sizes (both >= 0), saturating at INT64_MAX instead of wrapping: shape
/// rules multiply dims from the model, and a saturated size is then refused by the
/// importer's size limit rather than being undefined behaviour.
inline int64_t saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

} // namespace nnm

#endif // NNM_SUPPORT_CHECKEDSIZE_H
