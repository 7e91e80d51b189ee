/*===- context_internal.h - The context's layout, inside the runtime -------===*/
#ifndef NNMODEL_CONTEXT_INTERNAL_H
#define NNMODEL_CONTEXT_INTERNAL_H

#include "nnmodel/runtime.h"

struct nnm_context {
  void *arena;
  size_t arena_bytes;
  int owns_arena;
  int32_t num_threads;
  nnm_status status;                   /* first kernel failure since the last take */
  void *kernels;                       /* the kernel library's per-context part */
  void (*release_kernels)(void *kernels);
};

#endif /* NNMODEL_CONTEXT_INTERNAL_H */
