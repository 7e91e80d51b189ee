/*===- fake_cudnn_records.h - What the fake cuDNN records --------------------===*/
/* FakeCudnn.c fills these; the runtime's tests read them with
 * fake_cudnn_state_get. */
#ifndef NNMODEL_FAKE_CUDNN_RECORDS_H
#define NNMODEL_FAKE_CUDNN_RECORDS_H

#include <stddef.h>

/* The last cudnnConvolutionForward that ran, as cuDNN saw it. */
typedef struct fake_conv {
  void *handle;
  void *stream;                /* the handle's, at the call */
  void *x_desc, *w_desc, *conv_desc, *y_desc;
  int algo;
  void *workspace;
  size_t workspace_bytes;
  float alpha, beta;
  const void *x, *w;
  void *y;
  /* from the descriptors */
  int n, c, h, w_, k, filter_c, kh, kw, oh, ow;
  int pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w, mode, groups, math;
} fake_conv;

typedef struct fake_cudnn_state {
  int creates, destroys, live;   /* handles */
  int live_descriptors;          /* tensor, filter and convolution ones */
  int depth_at_create;           /* the driver's context depth in the last create */
  void *handle;                  /* the last one created */
  void *stream_handle, *stream;  /* the last cudnnSetStream */
  int math;                      /* the last cudnnSetConvolutionMathType */
  int algo_queries;              /* cudnnGetConvolutionForwardAlgorithm_v7 calls */
  size_t max_workspace_bytes;    /* the largest cudnnGetConvolutionForwardWorkspaceSize */
  int forwards;
  fake_conv conv;                /* the last cudnnConvolutionForward that ran */
} fake_cudnn_state;

#endif /* NNMODEL_FAKE_CUDNN_RECORDS_H */
