/*===- FakeCudaDriver.c - A libcuda stand-in for the runtime's tests --------===*/
/* Loaded by runtime/src/cuda.c through NNM_CUDA_DRIVER, so the CUDA context
 * code runs on machines without a GPU. Only what the runtime calls exists.
 * "Device memory" is host memory, so tests can read what was uploaded.
 *
 * Two devices: 0 is compute capability 8.6, 1 is 7.0. An image whose text
 * starts with "refuse" fails to load (as a cubin the driver rejects would);
 * a kernel named "missing" is not in any module; allocations over 1 GiB fail
 * with CUDA_ERROR_OUT_OF_MEMORY; launches need a current context and at most
 * 1024 threads. The fake_* functions let tests inspect the state. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../src/cuda_driver_types.h"


enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, INVALID_DEVICE = 101,
       INVALID_IMAGE = 200, INVALID_CONTEXT = 201, NOT_FOUND = 500 };

static char g_primary[2]; /* the primary contexts are these addresses */
#define PRIMARY(i) ((CUcontext)&g_primary[i])
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_retained[2], g_modules, g_allocations, g_syncs, g_launches;
static const void *g_last_image;
static const char *g_last_kernel;
static unsigned g_last_grid, g_last_block;
static CUstream g_last_stream;
static _Thread_local int t_depth; /* the calling thread's context stack */

static void bump(int *counter, int by) {
  pthread_mutex_lock(&g_lock);
  *counter += by;
  pthread_mutex_unlock(&g_lock);
}

CUresult cuInit(unsigned flags) { return flags ? INVALID_VALUE : OK; }

CUresult cuDeviceGetCount(int *count) {
  *count = 2;
  return OK;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  if (ordinal < 0 || ordinal > 1)
    return INVALID_DEVICE;
  *device = ordinal;
  return OK;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device) {
  static const int cc[2][2] = {{8, 6}, {7, 0}};
  if (device < 0 || device > 1 || (attribute != 75 && attribute != 76))
    return INVALID_VALUE;
  *value = cc[device][attribute - 75];
  return OK;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice device) {
  bump(&g_retained[device], 1);
  *ctx = PRIMARY(device);
  return OK;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  bump(&g_retained[device], -1);
  return OK;
}

CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
  if (ctx != PRIMARY(0) && ctx != PRIMARY(1))
    return INVALID_CONTEXT;
  ++t_depth;
  return OK;
}

CUresult cuCtxPopCurrent_v2(CUcontext *ctx) {
  if (!t_depth)
    return INVALID_CONTEXT;
  --t_depth;
  *ctx = NULL;
  return OK;
}

CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  if (!t_depth)
    return INVALID_CONTEXT;
  if (!strncmp((const char *)image, "refuse", 6))
    return INVALID_IMAGE;
  g_last_image = image;
  bump(&g_modules, 1);
  *module = (CUmodule)image;
  return OK;
}

CUresult cuModuleUnload(CUmodule module) {
  (void)module;
  bump(&g_modules, -1);
  return OK;
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module, const char *name) {
  (void)module;
  if (!strcmp(name, "missing"))
    return NOT_FOUND;
  *function = (CUfunction)name; /* launches report the name */
  return OK;
}

CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  if (!t_depth)
    return INVALID_CONTEXT;
  if (!bytes)
    return INVALID_VALUE;
  if (bytes > ((size_t)1 << 30))
    return OUT_OF_MEMORY;
  void *p = aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!p)
    return OUT_OF_MEMORY;
  bump(&g_allocations, 1);
  *ptr = (CUdeviceptr)(uintptr_t)p;
  return OK;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
  free((void *)(uintptr_t)ptr);
  bump(&g_allocations, -1);
  return OK;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  if (!t_depth)
    return INVALID_CONTEXT;
  memcpy((void *)(uintptr_t)dst, src, bytes);
  return OK;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes, CUstream s) {
  (void)s;
  return cuMemcpyHtoD_v2(dst, src, bytes);
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes, CUstream s) {
  (void)s;
  if (!t_depth)
    return INVALID_CONTEXT;
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return OK;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, CUstream stream,
                        void **params, void **extra) {
  (void)params;
  if (!t_depth)
    return INVALID_CONTEXT;
  if (!gx || gy != 1 || gz != 1 || !bx || bx > 1024 || by != 1 || bz != 1 || shared || extra)
    return INVALID_VALUE;
  pthread_mutex_lock(&g_lock);
  ++g_launches;
  g_last_kernel = (const char *)f;
  g_last_grid = gx;
  g_last_block = bx;
  g_last_stream = stream;
  pthread_mutex_unlock(&g_lock);
  return OK;
}

CUresult cuStreamSynchronize(CUstream stream) {
  (void)stream;
  if (!t_depth)
    return INVALID_CONTEXT;
  bump(&g_syncs, 1);
  return OK;
}

/*---- inspection, for the tests ----------------------------------------------*/

typedef struct fake_cuda_state {
  int retained[2], modules, allocations, syncs, launches, depth;
  const void *last_image;
  const char *last_kernel;
  unsigned last_grid, last_block;
  void *last_stream;
} fake_cuda_state;

/* The calling thread's context depth, for the fake cuBLAS (FakeCublas.c). */
int fake_cuda_depth(void) { return t_depth; }

/* Takes void *: the C++ test spells the struct its own way, and
 * -fsanitize=function compares the types of caller and callee. */
void fake_cuda_state_get(void *out) {
  fake_cuda_state *s = (fake_cuda_state *)out;
  pthread_mutex_lock(&g_lock);
  s->retained[0] = g_retained[0];
  s->retained[1] = g_retained[1];
  s->modules = g_modules;
  s->allocations = g_allocations;
  s->syncs = g_syncs;
  s->launches = g_launches;
  s->depth = t_depth;
  s->last_image = g_last_image;
  s->last_kernel = g_last_kernel;
  s->last_grid = g_last_grid;
  s->last_block = g_last_block;
  s->last_stream = (void *)g_last_stream;
  pthread_mutex_unlock(&g_lock);
}
