/*===- conv_direct.c - Single-input-channel convolutions --------------------===*/
/* See conv_direct.h. The image is copied once into a zero-padded plane in the
 * workspace, so the inner loop has no bounds checks; then each task computes
 * output rows: for 16 output columns and a block of 8 output channels, the 8
 * accumulators stay in registers and every input vector feeds all 8. Built
 * for AVX-512 and picked at run time; the baseline build is the fallback of a
 * machine the kernel table did not choose it on (conv_direct_fast_here). */
#include "conv_direct.h"

#include "context_internal.h"
#include "nnmodel/kernels.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

enum { VL = 16, OCB = 8 };
typedef float vf __attribute__((vector_size(VL * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(VL * sizeof(int32_t))));
typedef float v8 __attribute__((vector_size(OCB * sizeof(float))));

/* Past this many multiply-adds per image oneDNN's threading and blocking win. */
#define DIRECT_MAX_MACS (4LL << 20)
/* Below this many multiply-adds per image, waking a second thread costs more
 * than it saves: the rows run on the calling thread. */
#define DIRECT_SERIAL_MACS (1LL << 20)
/* The padded plane lives in the arena; keep it small. */
#define DIRECT_MAX_PLANE_BYTES (1LL << 20)

struct conv_direct {
  int64_t n, h, w, oc, kh, kw, oh, ow, sh, dh, pt, pl;
  int64_t ph, pw, macs;
  int avx512; /* conv_direct_fast_here() when created */
  int npost;
  int64_t post_kind[NNM_MAX_POST];
  float post_a[NNM_MAX_POST], post_b[NNM_MAX_POST];
  float *weights; /* [kh][kw][OCB], zero past oc */
  float *bias;    /* [OCB] */
};

static float post_param(int64_t bits) {
  double d;
  memcpy(&d, &bits, sizeof d);
  return (float)d;
}

/* Padded plane: rows for every output row's window, columns for whole vectors. */
static void plane_dims(const int64_t *d, int64_t *ph, int64_t *pw) {
  const int64_t *w = d + NNM_KW_WEIGHTS, *dst = d + NNM_KW_DST;
  *ph = (dst[2] - 1) * d[NNM_KW_STRIDES] + (w[2] - 1) * d[NNM_KW_DILATIONS] + 1;
  *pw = (dst[3] + VL - 1) / VL * VL + w[3] - 1;
}

int64_t conv_direct_workspace_bytes(const int64_t *d) {
  const int64_t *src = d + NNM_KW_SRC, *w = d + NNM_KW_WEIGHTS, *dst = d + NNM_KW_DST;
  if (d[NNM_KW_KIND] != NNM_KERNEL_CONV2D || d[NNM_KW_GROUPS] != 1 || src[1] != 1 ||
      w[1] != 1 || d[NNM_KW_STRIDES + 1] != 1 || d[NNM_KW_DILATIONS + 1] != 1 ||
      d[NNM_KW_STRIDES] < 1 || d[NNM_KW_DILATIONS] < 1 || d[NNM_KW_NUM_POST] < 0 ||
      d[NNM_KW_NUM_POST] > NNM_MAX_POST)
    return -1;
  for (int i = 0; i < 4; ++i)
    if (src[i] < 1 || w[i] < 1 || dst[i] < 1 || src[i] > (1 << 20) || dst[i] > (1 << 20) ||
        w[i] > (1 << 20) || d[NNM_KW_PADS + i] < 0 || d[NNM_KW_PADS + i] > (1 << 20))
      return -1;
  for (int64_t i = 0; i < d[NNM_KW_NUM_POST]; ++i) {
    int64_t kind = d[NNM_KW_POST + 3 * i];
    if (kind != NNM_POST_RELU && kind != NNM_POST_CLIP)
      return -1;
  }
  /* Output geometry as ONNX defines it, so the plane covers every window. */
  if (dst[0] != src[0] || w[0] != dst[1] || w[0] > OCB ||
      dst[3] != src[3] + d[NNM_KW_PADS + 1] + d[NNM_KW_PADS + 3] - w[3] + 1)
    return -1;
  int64_t macs = dst[1] * dst[2] * dst[3] * w[2] * w[3];
  if (macs > DIRECT_MAX_MACS)
    return -1;
  int64_t ph, pw;
  plane_dims(d, &ph, &pw);
  int64_t bytes = ph * pw * (int64_t)sizeof(float);
  return bytes <= DIRECT_MAX_PLANE_BYTES ? (bytes + 63) / 64 * 64 : -1;
}

conv_direct *conv_direct_create(const int64_t *d, const float *weights, const float *bias) {
  if (conv_direct_workspace_bytes(d) < 0 || !weights)
    return NULL;
  const int64_t *src = d + NNM_KW_SRC, *w = d + NNM_KW_WEIGHTS, *dst = d + NNM_KW_DST;
  conv_direct *k = calloc(1, sizeof *k);
  if (!k)
    return NULL;
  k->n = src[0], k->h = src[2], k->w = src[3];
  k->oc = w[0], k->kh = w[2], k->kw = w[3];
  k->oh = dst[2], k->ow = dst[3];
  k->sh = d[NNM_KW_STRIDES], k->dh = d[NNM_KW_DILATIONS];
  k->pt = d[NNM_KW_PADS], k->pl = d[NNM_KW_PADS + 1];
  plane_dims(d, &k->ph, &k->pw);
  k->macs = k->oc * k->oh * k->ow * k->kh * k->kw;
  k->avx512 = conv_direct_fast_here();
  k->npost = (int)d[NNM_KW_NUM_POST];
  for (int i = 0; i < k->npost; ++i) {
    const int64_t *p = d + NNM_KW_POST + 3 * i;
    k->post_kind[i] = p[0];
    k->post_a[i] = post_param(p[1]);
    k->post_b[i] = post_param(p[2]);
  }
  size_t taps = (size_t)(k->kh * k->kw);
  k->weights = calloc(taps * OCB, sizeof(float));
  k->bias = calloc(OCB, sizeof(float));
  if (!k->weights || !k->bias) {
    conv_direct_destroy(k);
    return NULL;
  }
  for (int64_t o = 0; o < k->oc; ++o) {
    for (size_t t = 0; t < taps; ++t)
      k->weights[t * OCB + (size_t)o] = weights[(size_t)o * taps + t];
    if (bias && (d[NNM_KW_FLAGS] & NNM_KF_BIAS))
      k->bias[o] = bias[o];
  }
  return k;
}

void conv_direct_destroy(conv_direct *k) {
  if (!k)
    return;
  free(k->weights);
  free(k->bias);
  free(k);
}

static inline vf vload(const float *p) {
  vf v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline vf vmax(vf a, vf b) {
  vi m = a > b;
  return (vf)(((vi)a & m) | ((vi)b & ~m));
}

static inline vf vmin(vf a, vf b) {
  vi m = a < b;
  return (vf)(((vi)a & m) | ((vi)b & ~m));
}

static inline vf splat(float x) {
  vf v = {0};
  return v + x;
}

/* Output rows [lo, hi) of image `n` (rows counted over all images). */
typedef struct rows_job {
  const conv_direct *k;
  const float *plane;
  float *dst;
  int64_t image;
} rows_job;

/* Transposes 8 channel vectors of 16 columns into 8 vectors of 2 columns x 8
 * channels each (column-major pairs), in three rounds of two-input shuffles. */
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
static inline __attribute__((always_inline)) void transpose8x16(const vf a[OCB], vf out[OCB]) {
  vf p[8], q[8];
  for (int i = 0; i < 4; ++i) { /* channel pairs, interleaved: cols 0-7 and 8-15 */
    p[2 * i] = SHUF(a[2 * i], a[2 * i + 1], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7,
                    23);
    p[2 * i + 1] = SHUF(a[2 * i], a[2 * i + 1], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29,
                        14, 30, 15, 31);
  }
  for (int h = 0; h < 2; ++h) /* channel quads: 4 columns per vector */
    for (int g = 0; g < 2; ++g) { /* q[4h + 2g + s]: quad g, columns 8h + 4s .. +3 */
      const vf x = p[4 * g + h], y = p[4 * g + 2 + h];
      q[4 * h + 2 * g] = SHUF(x, y, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
      q[4 * h + 2 * g + 1] =
          SHUF(x, y, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    }
  for (int h = 0; h < 2; ++h) /* all 8 channels: 2 columns per vector */
    for (int s = 0; s < 2; ++s) { /* columns 8h + 4s .. +3, from quads 0 and 1 */
      const vf x = q[4 * h + s], y = q[4 * h + 2 + s];
      out[4 * h + 2 * s] = SHUF(x, y, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
      out[4 * h + 2 * s + 1] =
          SHUF(x, y, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    }
}

/* The loop nest for `ocn` output channels, a constant after inlining, so
 * only real channels cost multiply-adds. */
static inline __attribute__((always_inline)) void rows_body(const rows_job *job, int64_t lo,
                                                            int64_t hi, const int ocn) {
  const conv_direct *k = job->k;
  const int64_t kh = k->kh, kw = k->kw, pw = k->pw, oc = k->oc;
  for (int64_t oh = lo; oh < hi; ++oh) {
    float *out = job->dst + (job->image * k->oh + oh) * k->ow * oc;
    for (int64_t ow0 = 0; ow0 < k->ow; ow0 += VL) {
      vf acc[OCB];
      for (int o = 0; o < OCB; ++o)
        acc[o] = splat(k->bias[o]); /* zero past ocn */
      const float *wk = k->weights;
      for (int64_t i = 0; i < kh; ++i) {
        const float *row = job->plane + (oh * k->sh + i * k->dh) * pw + ow0;
        for (int64_t j = 0; j < kw; ++j, wk += OCB) {
          vf v = vload(row + j);
          for (int o = 0; o < ocn; ++o)
            acc[o] += v * wk[o];
        }
      }
      for (int p = 0; p < k->npost; ++p) {
        vf a = splat(k->post_a[p]), zero = splat(0.0f);
        for (int o = 0; o < ocn; ++o)
          acc[o] = k->post_kind[p] == NNM_POST_RELU
                       ? vmax(acc[o], zero) + a * vmin(acc[o], zero)
                       : vmin(vmax(acc[o], a), splat(k->post_b[p]));
      }
      vf pairs[OCB]; /* pairs[i]: columns 2i and 2i+1, 8 channels each */
      transpose8x16(acc, pairs);
      int64_t cols = k->ow - ow0 < VL ? k->ow - ow0 : VL;
      float *o0 = out + ow0 * oc;
      /* Eight channels per column, in column order, straight from registers,
         while they stay inside the block: the part past `oc` lands on later
         columns, written after it. The columns at the end get exactly `oc`. */
#if defined(__clang__)
#pragma clang loop unroll(full)
#endif
      for (int c = 0; c < VL; ++c) { /* unrolled: pairs[] stays in registers */
        if (c >= cols)
          break;
        v8 col = c % 2 ? SHUF(pairs[c / 2], pairs[c / 2], 8, 9, 10, 11, 12, 13, 14, 15)
                       : SHUF(pairs[c / 2], pairs[c / 2], 0, 1, 2, 3, 4, 5, 6, 7);
        if (c * oc + OCB <= cols * oc) {
          memcpy(o0 + c * oc, &col, sizeof col);
        } else {
          float last[OCB];
          memcpy(last, &col, sizeof col);
          memcpy(o0 + c * oc, last, (size_t)oc * sizeof(float));
        }
      }
    }
  }
}

/* One instance of the loop nest per channel count. */
#define ROWS_BY_CHANNELS(job, lo, hi)                                                           \
  switch ((job)->k->oc) {                                                                      \
  case 1: rows_body(job, lo, hi, 1); break;                                                    \
  case 2: rows_body(job, lo, hi, 2); break;                                                    \
  case 3: rows_body(job, lo, hi, 3); break;                                                    \
  case 4: rows_body(job, lo, hi, 4); break;                                                    \
  case 5: rows_body(job, lo, hi, 5); break;                                                    \
  case 6: rows_body(job, lo, hi, 6); break;                                                    \
  case 7: rows_body(job, lo, hi, 7); break;                                                    \
  default: rows_body(job, lo, hi, 8); break;                                                   \
  }

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512vl,fma"))) static void rows_avx512(void *args, int64_t lo,
                                                                         int64_t hi) {
  ROWS_BY_CHANNELS((const rows_job *)args, lo, hi)
}
#endif

static void rows_generic(void *args, int64_t lo, int64_t hi) {
  ROWS_BY_CHANNELS((const rows_job *)args, lo, hi)
}

/* AVX-512F in the CPU and its registers enabled by the OS. CPUID directly:
 * __builtin_cpu_supports needs libgcc's __cpu_model, which a shared object
 * linked without it (nnmodel run's) cannot reach. */
int conv_direct_fast_here(void) {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) ||
      !__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_AVX512F))
    return 0;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & 0xe6) == 0xe6; /* SSE, AVX, opmask, ZMM0-15 and ZMM16-31 state */
#else
  return 0;
#endif
}

static nnm_task pick_rows(const conv_direct *k) {
#if defined(__x86_64__)
  if (k->avx512)
    return rows_avx512;
#endif
  (void)k;
  return rows_generic;
}

void conv_direct_run(nnm_context *ctx, const conv_direct *k, const float *src, float *dst,
                     void *workspace) {
  float *plane = (float *)workspace;
  nnm_task rows = pick_rows(k);
  for (int64_t n = 0; n < k->n; ++n) {
    memset(plane, 0, (size_t)(k->ph * k->pw) * sizeof(float));
    for (int64_t y = 0; y < k->h; ++y) {
      int64_t r = y + k->pt;
      if (r < k->ph)
        memcpy(plane + r * k->pw + k->pl, src + (n * k->h + y) * k->w,
               (size_t)(k->w + k->pl <= k->pw ? k->w : k->pw - k->pl) * sizeof(float));
    }
    rows_job job = {k, plane, dst, n};
    if (k->macs < DIRECT_SERIAL_MACS)
      rows(&job, 0, k->oh);
    else
      nnm_parallel_for(ctx, rows, &job, k->oh);
  }
}
