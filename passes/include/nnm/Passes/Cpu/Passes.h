//===- Passes.h - Passes of the CPU back end --------------------*- C++ -*-===//
#ifndef NNM_PASSES_CPU_PASSES_H
#define NNM_PASSES_CPU_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace nnm::cpu {

#define GEN_PASS_DECL
#include "nnm/Passes/Cpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnm/Passes/Cpu/Passes.h.inc"

} // namespace nnm::cpu

#endif // NNM_PASSES_CPU_PASSES_H
