/*===- nnmodel/runtime.h - The C runtime every compiled model links --------===*/
/* Status codes, context options and the per-instance context that owns a
 * model's scratch arena. A generated model header includes this file; the
 * model's own functions wrap these with its name and major version. */
#ifndef NNMODEL_RUNTIME_H
#define NNMODEL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NNM_RUNTIME_BUILD)
#define NNM_API __attribute__((visibility("default")))
#else
#define NNM_API
#endif

#define NNM_RUNTIME_VERSION_MAJOR 0
#define NNM_RUNTIME_VERSION_MINOR 1

/** Result of every runtime and model call; no exception ever crosses the C ABI. */
typedef enum nnm_status {
  NNM_OK = 0,
  NNM_INVALID_ARGUMENT = 1,  /**< a null pointer or an inconsistent option */
  NNM_OUT_OF_MEMORY = 2,     /**< the library could not allocate the arena */
  NNM_ARENA_TOO_SMALL = 3,   /**< a caller-provided arena is smaller than needed */
  NNM_ARENA_MISALIGNED = 4,  /**< a caller-provided arena is not 64-byte aligned */
  NNM_NO_DEVICE = 5,         /**< the model targets a device this machine lacks */
  NNM_INTERNAL_ERROR = 6
} nnm_status;

/** Alignment every arena must have, in bytes. */
#define NNM_ARENA_ALIGNMENT 64

/** Options for creating a context. Initialise with nnm_options_init(). */
typedef struct nnm_options {
  uint32_t struct_size;  /**< sizeof(nnm_options), for forward compatibility; 0 = this layout */
  int32_t num_threads;   /**< threads a run may use; 0 = library default (1 today) */
  void *arena;           /**< caller-provided scratch memory, or NULL to allocate */
  size_t arena_bytes;    /**< size of `arena` when it is given */
} nnm_options;

/** A context owns one model instance's scratch memory. One thread at a time. */
typedef struct nnm_context nnm_context;

NNM_API void nnm_options_init(nnm_options *options);
NNM_API const char *nnm_status_string(nnm_status status);

/** Creates a context whose arena holds `arena_bytes`. `options` may be NULL. */
NNM_API nnm_status nnm_context_create(size_t arena_bytes, const nnm_options *options,
                                      nnm_context **out);
NNM_API void nnm_context_destroy(nnm_context *context);
/** The context's arena (64-byte aligned), or NULL for a NULL context. */
NNM_API void *nnm_context_arena(const nnm_context *context);
NNM_API size_t nnm_context_arena_bytes(const nnm_context *context);
NNM_API int32_t nnm_context_num_threads(const nnm_context *context);

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* NNMODEL_RUNTIME_H */
