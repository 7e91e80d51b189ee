/*===- conv_direct.h - The runtime's own convolution kernel -----------------===*/
/* Convolutions of a single input channel (the first layer of grayscale image,
 * OCR and spectrogram models), where oneDNN's kernels pad the channel blocks
 * with mostly zeros: lenet's 1->6 5x5 on 28x28 runs at about 20 GMAC/s there.
 * This kernel keeps the output channels of a block in registers and reuses
 * each input vector across them. nnm_kernel_workspace_bytes and the kernel
 * table use it wherever conv_direct_applies says so; it needs no oneDNN. */
#ifndef NNMODEL_CONV_DIRECT_H
#define NNMODEL_CONV_DIRECT_H

#include "nnmodel/runtime.h"

#include <stdint.h>

typedef struct conv_direct conv_direct;

/* Workspace bytes when the kernel of `desc` runs here, else -1: a 2-D f32
 * convolution with one input channel, one group, unit stride and dilation
 * along the width, and post-ops among Relu/LeakyRelu and Clip. */
int64_t conv_direct_workspace_bytes(const int64_t *desc);

/* True when this machine runs the kernel fast (AVX-512); elsewhere oneDNN does. */
int conv_direct_fast_here(void);

/* Packs the weights (O x 1 x KH x KW) and bias (may be NULL) once per model. */
conv_direct *conv_direct_create(const int64_t *desc, const float *weights, const float *bias);
void conv_direct_destroy(conv_direct *k);

/* One run on the context's threads: NHWC src (C = 1) and dst; `workspace` holds
 * at least the bytes conv_direct_workspace_bytes gave, 64-byte aligned. */
void conv_direct_run(nnm_context *ctx, const conv_direct *k, const float *src, float *dst,
                     void *workspace);

#endif /* NNMODEL_CONV_DIRECT_H */
