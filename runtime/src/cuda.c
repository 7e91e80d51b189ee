/*===- cuda.c - CUDA contexts on the driver API, loaded at run time ---------===*/
/* See nnmodel/cuda.h. The runtime must build and link where CUDA is absent,
 * so no CUDA header or library is used: the driver (libcuda.so.1) is opened
 * with dlopen on the first CUDA call, and the few entry points needed are
 * declared below with their documented signatures. A missing library, a
 * missing symbol or a failing cuInit all read as "no device".
 *
 * What the contexts of one model share on one device (the primary context,
 * the loaded module, its functions, the weights in device memory) lives in a
 * list hanging off the model's slot, keyed by device ordinal, under one
 * global lock. A run (begin, launch, copy, synchronize, end) only enqueues
 * work: it never allocates and never waits, so it can be graph-captured.
 * cuBLAS, for models whose matrix products are library calls, is added to a
 * context by cuda_blas.c, and cuDNN, for their convolutions, by cuda_dnn.c
 * (the context's layout: cuda_internal.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv */
#endif
#include "nnmodel/cuda.h"

#include "cuda_driver_types.h"
#include "cuda_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*---- the driver API, as much of it as the runtime calls -------------------*/

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

/* Where the driver exports several versions of a call, the _v2 one is the
 * one its own header maps the plain name to (64-bit sizes and pointers). */
typedef struct driver_api {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease_v2)(CUdevice device);
  CUresult (*cuCtxPushCurrent_v2)(CUcontext ctx);
  CUresult (*cuCtxPopCurrent_v2)(CUcontext *ctx);
  CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module, const char *name);
  CUresult (*cuMemAlloc_v2)(CUdeviceptr *ptr, size_t bytes);
  CUresult (*cuMemFree_v2)(CUdeviceptr ptr);
  CUresult (*cuMemcpyHtoD_v2)(CUdeviceptr dst, const void *src, size_t bytes);
  CUresult (*cuMemcpyHtoDAsync_v2)(CUdeviceptr dst, const void *src, size_t bytes,
                                   CUstream stream);
  CUresult (*cuMemcpyDtoHAsync_v2)(void *dst, CUdeviceptr src, size_t bytes, CUstream stream);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned grid_x, unsigned grid_y,
                             unsigned grid_z, unsigned block_x, unsigned block_y,
                             unsigned block_z, unsigned shared_bytes, CUstream stream,
                             void **params, void **extra);
  CUresult (*cuStreamSynchronize)(CUstream stream);
} driver_api;

static driver_api g_cu;
static int g_driver_ok;
static pthread_once_t g_driver_once = PTHREAD_ONCE_INIT;

/* POSIX lets a dlsym result be converted to a function pointer; going through
 * memcpy keeps -Wpedantic quiet about the object-to-function cast. */
int cuda_resolve(void *library, const char *name, void *fn_slot) {
  void *p = dlsym(library, name);
  if (!p)
    return 0;
  memcpy(fn_slot, &p, sizeof p);
  return 1;
}

static int resolve_all(void *library) {
#define NNM_RESOLVE(name) cuda_resolve(library, #name, &g_cu.name)
  return NNM_RESOLVE(cuInit) && NNM_RESOLVE(cuDeviceGetCount) && NNM_RESOLVE(cuDeviceGet) &&
         NNM_RESOLVE(cuDeviceGetAttribute) && NNM_RESOLVE(cuDevicePrimaryCtxRetain) &&
         NNM_RESOLVE(cuDevicePrimaryCtxRelease_v2) && NNM_RESOLVE(cuCtxPushCurrent_v2) &&
         NNM_RESOLVE(cuCtxPopCurrent_v2) && NNM_RESOLVE(cuModuleLoadData) &&
         NNM_RESOLVE(cuModuleUnload) && NNM_RESOLVE(cuModuleGetFunction) &&
         NNM_RESOLVE(cuMemAlloc_v2) && NNM_RESOLVE(cuMemFree_v2) &&
         NNM_RESOLVE(cuMemcpyHtoD_v2) && NNM_RESOLVE(cuMemcpyHtoDAsync_v2) &&
         NNM_RESOLVE(cuMemcpyDtoHAsync_v2) && NNM_RESOLVE(cuLaunchKernel) &&
         NNM_RESOLVE(cuStreamSynchronize);
#undef NNM_RESOLVE
}

/* NNM_CUDA_DRIVER names another library (tests use a missing file or a fake).
 * secure_getenv ignores it in set-user-ID programs, which must not be made to
 * load a library of the caller's choosing. */
static const char *driver_name(void) {
  const char *name = secure_getenv("NNM_CUDA_DRIVER");
  return name && *name ? name : "libcuda.so.1";
}

/* Runs once per process. A driver that loaded is never closed: contexts may
 * outlive any point where closing would be safe, and the driver's own exit
 * handlers expect to stay mapped. */
static void load_driver(void) {
  void *library = dlopen(driver_name(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return;
  if (!resolve_all(library) || g_cu.cuInit(0) != CUDA_SUCCESS) {
    memset(&g_cu, 0, sizeof g_cu);
    dlclose(library);
    return;
  }
  g_driver_ok = 1;
}

static int driver_loaded(void) {
  pthread_once(&g_driver_once, load_driver);
  return g_driver_ok;
}

nnm_status cuda_status_of(CUresult r) {
  switch (r) {
  case CUDA_SUCCESS: return NNM_OK;
  case CUDA_ERROR_OUT_OF_MEMORY: return NNM_OUT_OF_MEMORY;
  /* The device is gone, or cannot run this model's code (no matching cubin,
   * or PTX newer than the installed driver understands). */
  case CUDA_ERROR_NO_DEVICE:
  case CUDA_ERROR_INVALID_DEVICE:
  case CUDA_ERROR_NO_BINARY_FOR_GPU:
  case CUDA_ERROR_UNSUPPORTED_PTX_VERSION: return NNM_NO_DEVICE;
  default: return NNM_INTERNAL_ERROR;
  }
}

/*---- what a model's contexts share on one device --------------------------*/

#define NNM_CUDA_ALIGNMENT 256 /* what cuMemAlloc guarantees, and the arena's promise */

typedef struct device_entry {
  struct device_entry *next;
  int32_t ordinal;
  int refs;
  CUdevice device;
  CUcontext primary; /* retained primary context: the one the CUDA runtime uses too */
  CUmodule module;
  CUdeviceptr weights; /* 0 when the model has no weights */
  int32_t num_kernels;
  CUfunction functions[];
} device_entry;

static pthread_mutex_t g_cuda_lock = PTHREAD_MUTEX_INITIALIZER;

/* Driver calls that act on "the current context" run between these two, so
 * they never disturb what the calling thread had current. */
static CUresult push(CUcontext ctx) { return g_cu.cuCtxPushCurrent_v2(ctx); }

static void pop(void) {
  CUcontext popped;
  g_cu.cuCtxPopCurrent_v2(&popped);
}

/* A cubin for sm_XY runs on sm_XZ with Z >= Y: the exact one first, then the
 * newest of the same major that the device can run. */
static const nnm_cuda_image *pick_cubin(const nnm_cuda_model *model, int sm) {
  const nnm_cuda_image *best = NULL;
  for (int32_t i = 0; i < model->num_images; ++i) {
    const nnm_cuda_image *im = &model->images[i];
    if (im->is_ptx || !im->data || im->sm / 10 != sm / 10 || im->sm > sm)
      continue;
    if (im->sm == sm)
      return im;
    if (!best || im->sm > best->sm)
      best = im;
  }
  return best;
}

/* PTX for compute_XY is compiled by the driver for any device of sm >= XY;
 * the newest such PTX gives the JIT the most to work with. sm <= 0 means the
 * compiler did not say, and the driver is left to judge. */
static const nnm_cuda_image *pick_ptx(const nnm_cuda_model *model, int sm) {
  const nnm_cuda_image *best = NULL;
  for (int32_t i = 0; i < model->num_images; ++i) {
    const nnm_cuda_image *im = &model->images[i];
    if (!im->is_ptx || !im->data || im->sm > sm)
      continue;
    if (!best || im->sm > best->sm)
      best = im;
  }
  return best;
}

/* With the primary context current: the module (the cubin, else the PTX when
 * the driver refuses the cubin), its functions and the weights. */
static CUresult load_device_code(const nnm_cuda_model *model, int sm, device_entry *e) {
  const nnm_cuda_image *cubin = pick_cubin(model, sm), *ptx = pick_ptx(model, sm);
  if (!cubin && !ptx)
    return CUDA_ERROR_NO_BINARY_FOR_GPU;
  CUresult r = cubin ? g_cu.cuModuleLoadData(&e->module, cubin->data)
                     : CUDA_ERROR_NO_BINARY_FOR_GPU;
  if (r != CUDA_SUCCESS && r != CUDA_ERROR_OUT_OF_MEMORY && ptx)
    r = g_cu.cuModuleLoadData(&e->module, ptx->data);
  if (r != CUDA_SUCCESS) {
    e->module = NULL;
    return r;
  }
  for (int32_t i = 0; i < model->num_kernels; ++i)
    if ((r = g_cu.cuModuleGetFunction(&e->functions[i], e->module, model->kernel_names[i])))
      return r;
  if (model->weights_bytes > 0) {
    if ((r = g_cu.cuMemAlloc_v2(&e->weights, (size_t)model->weights_bytes))) {
      e->weights = 0;
      return r;
    }
    r = g_cu.cuMemcpyHtoD_v2(e->weights, model->weights, (size_t)model->weights_bytes);
  }
  return r;
}

/* Frees whatever part of an entry exists; the entry is already unlinked. */
static void free_entry(device_entry *e) {
  if (e->primary) {
    if (push(e->primary) == CUDA_SUCCESS) {
      if (e->weights)
        g_cu.cuMemFree_v2(e->weights);
      if (e->module)
        g_cu.cuModuleUnload(e->module);
      pop();
    }
    g_cu.cuDevicePrimaryCtxRelease_v2(e->device);
  }
  free(e);
}

static nnm_status create_entry(const nnm_cuda_model *model, int32_t ordinal,
                               device_entry **out) {
  device_entry *e =
      calloc(1, sizeof *e + (size_t)model->num_kernels * sizeof(CUfunction));
  if (!e)
    return NNM_OUT_OF_MEMORY;
  e->ordinal = ordinal;
  e->num_kernels = model->num_kernels;
  int major = 0, minor = 0;
  CUresult r;
  if ((r = g_cu.cuDeviceGet(&e->device, ordinal)) ||
      (r = g_cu.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                     e->device)) ||
      (r = g_cu.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                     e->device)))
    goto fail;
  /* Choose before retaining: a device with no usable image costs nothing. */
  if (!pick_cubin(model, major * 10 + minor) && !pick_ptx(model, major * 10 + minor)) {
    r = CUDA_ERROR_NO_BINARY_FOR_GPU;
    goto fail;
  }
  if ((r = g_cu.cuDevicePrimaryCtxRetain(&e->primary, e->device))) {
    e->primary = NULL;
    goto fail;
  }
  if ((r = push(e->primary)))
    goto fail;
  r = load_device_code(model, major * 10 + minor, e);
  pop();
  if (r)
    goto fail;
  *out = e;
  return NNM_OK;
fail:
  free_entry(e);
  return cuda_status_of(r);
}

/* Finds or creates the model's entry for `ordinal` and takes a reference. */
static nnm_status acquire_entry(const nnm_cuda_model *model, void **slot, int32_t ordinal,
                                device_entry **out) {
  nnm_status status = NNM_OK;
  pthread_mutex_lock(&g_cuda_lock);
  device_entry *e = (device_entry *)*slot;
  while (e && e->ordinal != ordinal)
    e = e->next;
  if (!e) {
    status = create_entry(model, ordinal, &e);
    if (status == NNM_OK) {
      e->next = (device_entry *)*slot;
      *slot = e;
    }
  }
  if (status == NNM_OK) {
    ++e->refs;
    *out = e;
  }
  pthread_mutex_unlock(&g_cuda_lock);
  return status;
}

static void release_entry(void **slot, device_entry *e) {
  pthread_mutex_lock(&g_cuda_lock);
  if (--e->refs == 0) {
    device_entry **link = (device_entry **)slot;
    while (*link != e)
      link = &(*link)->next;
    *link = e->next; /* the last entry leaves *slot NULL */
    free_entry(e);
  }
  pthread_mutex_unlock(&g_cuda_lock);
}

/*---- contexts (struct nnm_cuda_context: cuda_internal.h) --------------------*/

CUresult cuda_context_push(const nnm_cuda_context *context) {
  return push(context->entry->primary);
}

void cuda_context_pop(void) { pop(); }

CUresult cuda_mem_alloc(CUdeviceptr *ptr, size_t bytes) { return g_cu.cuMemAlloc_v2(ptr, bytes); }

CUresult cuda_mem_free(CUdeviceptr ptr) { return g_cu.cuMemFree_v2(ptr); }

/* The options as the caller's layout has them: a caller built against an
 * older nnm_cuda_options (struct_size without allow_tf32) still works, and
 * fields it does not have keep their defaults. Other sizes are refused. */
#define NNM_CUDA_OPTIONS_V1_SIZE offsetof(nnm_cuda_options, allow_tf32)

static int read_options(const nnm_cuda_options *options, nnm_cuda_options *out) {
  nnm_cuda_options_init(out);
  if (!options)
    return 1;
  size_t size = options->struct_size ? options->struct_size : sizeof *out;
  if (size != sizeof *out && size != NNM_CUDA_OPTIONS_V1_SIZE)
    return 0;
  memcpy(out, options, size);
  out->struct_size = sizeof *out;
  return 1;
}

static size_t round_up(size_t n) {
  return (n + NNM_CUDA_ALIGNMENT - 1) / NNM_CUDA_ALIGNMENT * NNM_CUDA_ALIGNMENT;
}

static int model_is_valid(const nnm_cuda_model *m) {
  return m->num_images >= 0 && (m->num_images == 0 || m->images) && m->num_kernels >= 0 &&
         (m->num_kernels == 0 || m->kernel_names) && m->weights_bytes >= 0 &&
         (m->weights_bytes == 0 || m->weights) && m->arena_bytes >= 0 &&
         m->staging_bytes >= 0;
}

void nnm_cuda_options_init(nnm_cuda_options *options) {
  if (!options)
    return;
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

nnm_status nnm_cuda_device_count(int32_t *count) {
  if (!count)
    return NNM_INVALID_ARGUMENT;
  *count = 0;
  int n = 0;
  if (!driver_loaded() || g_cu.cuDeviceGetCount(&n) != CUDA_SUCCESS || n <= 0)
    return NNM_NO_DEVICE;
  *count = n;
  return NNM_OK;
}

nnm_status nnm_cuda_context_create(const nnm_cuda_model *model, void **slot,
                                   const nnm_cuda_options *options,
                                   nnm_cuda_context **out) {
  if (!out)
    return NNM_INVALID_ARGUMENT;
  *out = NULL;
  nnm_cuda_options given;
  if (!model || !slot || !model_is_valid(model) || !read_options(options, &given) ||
      given.device < 0)
    return NNM_INVALID_ARGUMENT;
  options = &given;

  /* The staging area starts at the next 256-byte boundary after the arena;
   * without one, the arena alone is needed. Sizes come from the compiler but
   * must still not wrap around when added and rounded. */
  const size_t max = SIZE_MAX / 4;
  if ((uint64_t)model->arena_bytes > max || (uint64_t)model->staging_bytes > max)
    return NNM_OUT_OF_MEMORY;
  size_t staging_offset = round_up((size_t)model->arena_bytes);
  size_t needed = model->staging_bytes ? staging_offset + (size_t)model->staging_bytes
                                       : (size_t)model->arena_bytes;
  if (options->arena) {
    if ((uintptr_t)options->arena % NNM_CUDA_ALIGNMENT)
      return NNM_ARENA_MISALIGNED;
    if (options->arena_bytes < needed)
      return NNM_ARENA_TOO_SMALL;
  }

  int32_t count = 0;
  if (nnm_cuda_device_count(&count) != NNM_OK || options->device >= count)
    return NNM_NO_DEVICE;

  nnm_cuda_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return NNM_OUT_OF_MEMORY;
  ctx->slot = slot;
  ctx->stream = (CUstream)options->stream;
  ctx->allow_tf32 = options->allow_tf32 != 0;
  ctx->staging_offset = staging_offset;
  nnm_status status = acquire_entry(model, slot, options->device, &ctx->entry);
  if (status != NNM_OK) {
    free(ctx);
    return status;
  }
  if (options->arena) {
    ctx->arena = (CUdeviceptr)(uintptr_t)options->arena;
  } else if (needed) {
    CUresult r = push(ctx->entry->primary);
    if (r == CUDA_SUCCESS) {
      r = g_cu.cuMemAlloc_v2(&ctx->arena, round_up(needed));
      pop();
    }
    if (r != CUDA_SUCCESS) {
      release_entry(slot, ctx->entry);
      free(ctx);
      return cuda_status_of(r);
    }
    ctx->owns_arena = 1;
  }
  *out = ctx;
  return NNM_OK;
}

void nnm_cuda_context_destroy(nnm_cuda_context *context) {
  if (!context)
    return;
  cuda_blas_release(context);
  cuda_dnn_release(context);
  /* cuMemFree waits for work still using the arena, so destroying right after
   * an unsynchronised run is safe. */
  if (context->owns_arena && push(context->entry->primary) == CUDA_SUCCESS) {
    g_cu.cuMemFree_v2(context->arena);
    pop();
  }
  release_entry(context->slot, context->entry);
  free(context);
}

void *nnm_cuda_context_arena(const nnm_cuda_context *context) {
  return context ? (void *)(uintptr_t)context->arena : NULL;
}

void *nnm_cuda_context_staging(const nnm_cuda_context *context) {
  if (!context || !context->arena)
    return NULL;
  return (void *)(uintptr_t)(context->arena + context->staging_offset);
}

void *nnm_cuda_context_weights(const nnm_cuda_context *context) {
  return context ? (void *)(uintptr_t)context->entry->weights : NULL;
}

/*---- a run: enqueue only ----------------------------------------------------*/

/* Keeps the first failure; later work of the same run is skipped, since it
 * would only read what the failed step did not write. */
void cuda_context_fail(nnm_cuda_context *context, nnm_status status) {
  if (status != NNM_OK && context->status == NNM_OK)
    context->status = status;
}

static void record(nnm_cuda_context *context, CUresult r) {
  if (r != CUDA_SUCCESS)
    cuda_context_fail(context, cuda_status_of(r));
}

/* A run starts clean, even when the previous one's caller returned early on
 * a failed begin and never called end. */
nnm_status nnm_cuda_begin(nnm_cuda_context *context) {
  if (!context)
    return NNM_INVALID_ARGUMENT;
  context->status = NNM_OK;
  CUresult r = push(context->entry->primary);
  context->pushed = r == CUDA_SUCCESS;
  record(context, r);
  return context->status;
}

void nnm_cuda_launch(nnm_cuda_context *context, int32_t kernel, uint32_t blocks,
                     uint32_t threads, void **params) {
  if (!context || context->status != NNM_OK)
    return;
  if (kernel < 0 || kernel >= context->entry->num_kernels) {
    context->status = NNM_INTERNAL_ERROR;
    return;
  }
  if (blocks == 0) /* an empty tensor: nothing to compute */
    return;
  record(context, g_cu.cuLaunchKernel(context->entry->functions[kernel], blocks, 1, 1,
                                      threads, 1, 1, 0, context->stream, params, NULL));
}

void nnm_cuda_copy_to_device(nnm_cuda_context *context, void *device, const void *host,
                             size_t bytes) {
  if (!context || context->status != NNM_OK || !bytes)
    return;
  record(context, g_cu.cuMemcpyHtoDAsync_v2((CUdeviceptr)(uintptr_t)device, host, bytes,
                                            context->stream));
}

void nnm_cuda_copy_to_host(nnm_cuda_context *context, void *host, const void *device,
                           size_t bytes) {
  if (!context || context->status != NNM_OK || !bytes)
    return;
  record(context, g_cu.cuMemcpyDtoHAsync_v2(host, (CUdeviceptr)(uintptr_t)device, bytes,
                                            context->stream));
}

void nnm_cuda_synchronize(nnm_cuda_context *context) {
  if (!context || context->status != NNM_OK)
    return;
  record(context, g_cu.cuStreamSynchronize(context->stream));
}

nnm_status nnm_cuda_end(nnm_cuda_context *context) {
  if (!context)
    return NNM_INVALID_ARGUMENT;
  if (context->pushed)
    pop();
  context->pushed = 0;
  nnm_status s = context->status;
  context->status = NNM_OK;
  return s;
}
