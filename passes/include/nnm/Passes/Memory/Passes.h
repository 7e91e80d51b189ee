//===- Passes.h - Calling convention and memory planning --------*- C++ -*-===//
#ifndef NNM_PASSES_MEMORY_PASSES_H
#define NNM_PASSES_MEMORY_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace nnm::memory {

/// Function attribute carrying the arena size in bytes (set by nnm-arena-plan).
constexpr const char *kArenaBytesAttr = "nnm.arena_bytes";
/// Function attribute recording the graph's result types (tensor types) before
/// nnm-memref-abi turns results into output arguments: the signature the
/// packager publishes. nnm-onnx-to-linalg sets it first, with the ONNX-level
/// types (unsigned integers are signless below that level).
constexpr const char *kResultTypesAttr = "nnm.result_types";

#define GEN_PASS_DECL
#include "nnm/Passes/Memory/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnm/Passes/Memory/Passes.h.inc"

} // namespace nnm::memory

#endif // NNM_PASSES_MEMORY_PASSES_H
