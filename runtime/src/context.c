/*===- context.c - Per-instance model context ------------------------------===*/
#include "context_internal.h"
#include "nnmodel/kernels.h"

#include <stdlib.h>
#include <string.h>

void nnm_options_init(nnm_options *options) {
  if (!options)
    return;
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

nnm_status nnm_context_create(size_t arena_bytes, const nnm_options *options,
                              nnm_context **out) {
  if (!out)
    return NNM_INVALID_ARGUMENT;
  *out = NULL;
  nnm_options defaults;
  nnm_options_init(&defaults);
  if (!options)
    options = &defaults;
  /* struct_size 0: a zero-initialised struct (nnm_options o = {0}) of this
   * header's layout; nnm_options_init() sets it, which stays the recommended way. */
  if ((options->struct_size != 0 && options->struct_size < sizeof(nnm_options)) ||
      options->num_threads < 0)
    return NNM_INVALID_ARGUMENT;
  /* Rounding up to the alignment must not wrap around. */
  if (arena_bytes > SIZE_MAX - NNM_ARENA_ALIGNMENT)
    return NNM_OUT_OF_MEMORY;
  if (options->arena) {
    if (options->arena_bytes < arena_bytes)
      return NNM_ARENA_TOO_SMALL;
    if ((uintptr_t)options->arena % NNM_ARENA_ALIGNMENT)
      return NNM_ARENA_MISALIGNED;
  }

  nnm_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return NNM_OUT_OF_MEMORY;
  ctx->num_threads = options->num_threads ? options->num_threads : 1;
  ctx->arena_bytes = arena_bytes;
  if (options->arena) {
    ctx->arena = options->arena;
  } else if (arena_bytes) {
    size_t rounded = (arena_bytes + NNM_ARENA_ALIGNMENT - 1) / NNM_ARENA_ALIGNMENT *
                     NNM_ARENA_ALIGNMENT;
    ctx->arena = aligned_alloc(NNM_ARENA_ALIGNMENT, rounded);
    if (!ctx->arena) {
      free(ctx);
      return NNM_OUT_OF_MEMORY;
    }
    ctx->owns_arena = 1;
  }
  *out = ctx;
  return NNM_OK;
}

void nnm_context_destroy(nnm_context *context) {
  if (!context)
    return;
  if (context->release_kernels)
    context->release_kernels(context->kernels);
  if (context->owns_arena)
    free(context->arena);
  free(context);
}

void *nnm_context_arena(const nnm_context *context) {
  return context ? context->arena : NULL;
}

size_t nnm_context_arena_bytes(const nnm_context *context) {
  return context ? context->arena_bytes : 0;
}

int32_t nnm_context_num_threads(const nnm_context *context) {
  return context ? context->num_threads : 0;
}

nnm_status nnm_context_take_status(nnm_context *context) {
  if (!context)
    return NNM_INVALID_ARGUMENT;
  nnm_status s = context->status;
  context->status = NNM_OK;
  return s;
}
