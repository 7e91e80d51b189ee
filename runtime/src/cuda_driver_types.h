/*===- cuda_driver_types.h - The CUDA driver API's handle types ------------===*/
/* The runtime declares no CUDA header at build time: these are the driver's
 * types as cuda.h spells them (struct tags included, so that indirect calls
 * agree under -fsanitize=function). Shared by cuda.c and the test's fake
 * driver. */
#ifndef NNMODEL_CUDA_DRIVER_TYPES_H
#define NNMODEL_CUDA_DRIVER_TYPES_H

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

#endif /* NNMODEL_CUDA_DRIVER_TYPES_H */
