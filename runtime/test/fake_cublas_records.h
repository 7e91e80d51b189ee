/*===- fake_cublas_records.h - What the fake cuBLAS records ------------------===*/
/* FakeCublas.c fills these; the runtime's tests and test/cuda's program that
 * runs a generated library on the fakes read them with fake_cublas_state_get. */
#ifndef NNMODEL_FAKE_CUBLAS_RECORDS_H
#define NNMODEL_FAKE_CUBLAS_RECORDS_H

#include <stddef.h>

/* The last cublasSgemmStridedBatched that ran, as cuBLAS saw it (column-major). */
typedef struct fake_gemm {
  void *handle;
  void *stream, *workspace; /* the handle's, at the call */
  int math;
  int transa, transb, m, n, k;
  float alpha, beta;
  const void *a;
  int lda;
  long long stride_a;
  const void *b;
  int ldb;
  long long stride_b;
  void *c;
  int ldc;
  long long stride_c;
  int batch;
} fake_gemm;

typedef struct fake_cublas_state {
  int creates, destroys, live, gemms;
  int depth_at_create;           /* the driver's context depth in the last create */
  void *handle;                  /* the last one created */
  void *stream_handle, *stream;  /* the last cublasSetStream_v2 */
  void *workspace_handle, *workspace;
  size_t workspace_bytes;        /* the last cublasSetWorkspace_v2 */
  void *math_handle;
  int math;                      /* the last cublasSetMathMode */
  fake_gemm gemm;                /* the last cublasSgemmStridedBatched that ran */
} fake_cublas_state;

#endif /* NNMODEL_FAKE_CUBLAS_RECORDS_H */
