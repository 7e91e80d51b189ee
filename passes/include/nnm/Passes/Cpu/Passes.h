//===- Passes.h - Passes of the CPU back end --------------------*- C++ -*-===//
#ifndef NNM_PASSES_CPU_PASSES_H
#define NNM_PASSES_CPU_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace nnm::cpu {

/// Module attribute listing the oneDNN kernels (nnm-cpu-dnnl-calls): one
/// dictionary {desc, weights, bias, workspace} per kernel index.
constexpr const char *kKernelTableAttr = "nnm.kernels";
/// Name prefix of the functions nnm-cpu-parallel-outline makes; serialization
/// turns calls of them into nnm_parallel_for.
constexpr const char *kParallelPrefix = "__nnm_par";

#define GEN_PASS_DECL
#include "nnm/Passes/Cpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnm/Passes/Cpu/Passes.h.inc"

} // namespace nnm::cpu

#endif // NNM_PASSES_CPU_PASSES_H
