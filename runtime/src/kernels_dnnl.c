/*===- kernels_dnnl.c - Kernel table on oneDNN primitives -------------------===*/
/* See nnmodel/kernels.h. Only oneDNN's C API is used, so a C program links a
 * model without a C++ runtime of its own. Threads: oneDNN here runs on OpenMP
 * (Debian's build, libgomp); each kernel runs with the context's num_threads
 * and leaves the calling thread's OpenMP setting as it found it. */
#include "context_internal.h"
#include "conv_direct.h"
#include "nnmodel/kernels.h"

#include <oneapi/dnnl/dnnl.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgomp's API (omp.h needs -fopenmp, which the runtime does not use). */
extern int omp_get_max_threads(void);
extern void omp_set_num_threads(int n);

/*---- descriptors -> primitive descriptors --------------------------------*/

static float post_param(int64_t bits) {
  double d;
  memcpy(&d, &bits, sizeof d);
  return (float)d;
}

static dnnl_alg_kind_t eltwise_alg(int64_t kind) {
  switch (kind) {
  case NNM_POST_RELU: return dnnl_eltwise_relu;
  case NNM_POST_CLIP: return dnnl_eltwise_clip;
  case NNM_POST_SIGMOID: return dnnl_eltwise_logistic;
  case NNM_POST_TANH: return dnnl_eltwise_tanh;
  case NNM_POST_HARDSWISH: return dnnl_eltwise_hardswish;
  case NNM_POST_ELU: return dnnl_eltwise_elu;
  case NNM_POST_GELU_ERF: return dnnl_eltwise_gelu_erf;
  case NNM_POST_GELU_TANH: return dnnl_eltwise_gelu_tanh;
  default: return dnnl_alg_kind_undef;
  }
}

static void say(char *error, size_t size, const char *what, dnnl_status_t s) {
  if (error && size)
    snprintf(error, size, "%s (oneDNN status %d)", what, (int)s);
}

/* The attributes: user-managed scratchpad and the descriptor's post-ops. */
static dnnl_status_t make_attr(const int64_t *d, dnnl_primitive_attr_t *attr) {
  dnnl_status_t s = dnnl_primitive_attr_create(attr);
  if (s != dnnl_success)
    return s;
  dnnl_post_ops_t po = NULL;
  if ((s = dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user)) ||
      (s = dnnl_post_ops_create(&po)))
    goto fail;
  int64_t n = d[NNM_KW_NUM_POST];
  if (n < 0 || n > NNM_MAX_POST) {
    s = dnnl_invalid_arguments;
    goto fail;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t *p = d + NNM_KW_POST + 3 * i;
    if (p[0] == NNM_POST_SUM) {
      s = dnnl_post_ops_append_sum(po, 1.0f);
    } else {
      dnnl_alg_kind_t alg = eltwise_alg(p[0]);
      s = alg == dnnl_alg_kind_undef
              ? dnnl_invalid_arguments
              : dnnl_post_ops_append_eltwise(po, 1.0f, alg, post_param(p[1]), post_param(p[2]));
    }
    if (s != dnnl_success)
      goto fail;
  }
  s = dnnl_primitive_attr_set_post_ops(*attr, po);
fail:
  if (po)
    dnnl_post_ops_destroy(po);
  if (s != dnnl_success) {
    dnnl_primitive_attr_destroy(*attr);
    *attr = NULL;
  }
  return s;
}

/* The plain memory descriptions of a kernel's operands, as the model holds them. */
typedef struct plain_mds {
  dnnl_memory_desc_t src, weights, bias, dst;
} plain_mds;

static dnnl_status_t describe(const int64_t *d, plain_mds *m) {
  const int64_t *src = d + NNM_KW_SRC, *w = d + NNM_KW_WEIGHTS, *dst = d + NNM_KW_DST;
  dnnl_status_t s;
  memset(m, 0, sizeof *m);
  switch (d[NNM_KW_KIND]) {
  case NNM_KERNEL_CONV2D: {
    int64_t groups = d[NNM_KW_GROUPS];
    if (groups < 1 || w[0] % groups)
      return dnnl_invalid_arguments;
    if ((s = dnnl_memory_desc_init_by_tag(&m->src, 4, src, dnnl_f32, dnnl_nhwc)) ||
        (s = dnnl_memory_desc_init_by_tag(&m->dst, 4, dst, dnnl_f32, dnnl_nhwc)))
      return s;
    if (groups == 1) {
      s = dnnl_memory_desc_init_by_tag(&m->weights, 4, w, dnnl_f32, dnnl_oihw);
    } else {
      dnnl_dims_t gw = {groups, w[0] / groups, w[1], w[2], w[3]};
      s = dnnl_memory_desc_init_by_tag(&m->weights, 5, gw, dnnl_f32, dnnl_goihw);
    }
    if (s == dnnl_success && (d[NNM_KW_FLAGS] & NNM_KF_BIAS))
      s = dnnl_memory_desc_init_by_tag(&m->bias, 1, dst + 1, dnnl_f32, dnnl_x);
    return s;
  }
  case NNM_KERNEL_MATMUL: {
    dnnl_dims_t bias = {1, dst[1]};
    if ((s = dnnl_memory_desc_init_by_tag(&m->src, 2, src, dnnl_f32, dnnl_ab)) ||
        (s = dnnl_memory_desc_init_by_tag(&m->dst, 2, dst, dnnl_f32, dnnl_ab)) ||
        (s = dnnl_memory_desc_init_by_tag(&m->weights, 2, w, dnnl_f32,
                                          (d[NNM_KW_FLAGS] & NNM_KF_WEIGHTS_TRANSPOSED)
                                              ? dnnl_ba
                                              : dnnl_ab)))
      return s;
    if (d[NNM_KW_FLAGS] & NNM_KF_BIAS)
      s = dnnl_memory_desc_init_by_tag(&m->bias, 2, bias, dnnl_f32, dnnl_ab);
    return s;
  }
  case NNM_KERNEL_POOL2D:
    if ((s = dnnl_memory_desc_init_by_tag(&m->src, 4, src, dnnl_f32, dnnl_nhwc)))
      return s;
    return dnnl_memory_desc_init_by_tag(&m->dst, 4, dst, dnnl_f32, dnnl_nhwc);
  default:
    return dnnl_invalid_arguments;
  }
}

/* Small dense convolutions. oneDNN 2.6 ranks its brgemm convolution first,
 * but below a few million multiply-adds its direct jit kernel is faster on
 * AVX-512, at 1 and 2 threads (oneDNN's own iterator over the implementations,
 * timed one by one, 2026-11-25): lenet's 1->6 5x5 on 28x28 9.3 -> 6.1 us, its
 * 6->16 5x5 5.4 -> 4.4 us, resblock's 8->8 3x3 on 10x10 3.5 -> 2.1 us; from
 * about 2M MACs up the two are within a few percent, and 1x1 convolutions are
 * faster on brgconv_1x1. The choice depends only on the shape (and on what
 * this CPU offers), so every context of a model makes the same one. */
enum { DIRECT_JIT_MAX_MACS = 1 << 22 };

static int prefers_direct_jit(const int64_t *d) {
  const int64_t *w = d + NNM_KW_WEIGHTS, *dst = d + NNM_KW_DST;
  if (d[NNM_KW_GROUPS] != 1 || (w[2] == 1 && w[3] == 1))
    return 0;
  int64_t macs = 1;
  const int64_t factors[] = {dst[0], dst[1], dst[2], dst[3], w[1], w[2], w[3]};
  for (size_t i = 0; i < sizeof factors / sizeof *factors; ++i) {
    if (factors[i] <= 0 || macs > DIRECT_JIT_MAX_MACS / factors[i])
      return 0;
    macs *= factors[i];
  }
  return 1;
}

/* AMD Zen 4 (family 19h with AVX-512) runs 512-bit instructions as two
 * 256-bit halves, so a kernel's vector width buys nothing by itself there. */
static int double_pumped_avx512(void) {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d) || b != 0x68747541 /* "Auth" */ ||
      d != 0x69746e65 /* "enti" */ || c != 0x444d4163 /* "cAMD" */ ||
      !__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  unsigned family = ((a >> 8) & 0xf) + (((a >> 8) & 0xf) == 0xf ? (a >> 20) & 0xff : 0);
  return family == 0x19;
#else
  return 0;
#endif
}

/* 1x1 convolutions that move more bytes than they multiply, on Zen 4: oneDNN
 * ranks brgconv_1x1 (AVX-512) first, but its AVX2 1x1 kernel, with 8-wide
 * channel blocks, is faster where the outputs are an odd number of 8s (no
 * half-empty 16-wide block) or the inputs have at most 32 channels. Timed one
 * by one through oneDNN's iterator (2026-11-25, EPYC family 19h, MobileNetV2's
 * shapes at batch 4, 1 thread, ms): 144->24 on 56x56 1.02 -> 0.78, 96->24
 * 0.69 -> 0.52, 16->96 on 112x112 1.87 -> 1.58, 24->144 0.88 -> 0.82, 32->192
 * on 28x28 0.36 -> 0.35; at 2 threads alike. Wider inputs keep brgconv_1x1
 * (384->64 0.33 against 0.46, 960->160 0.52 against 0.60). */
static int prefers_avx2_1x1(const int64_t *d) {
  const int64_t *w = d + NNM_KW_WEIGHTS;
  if (d[NNM_KW_GROUPS] != 1 || w[2] != 1 || w[3] != 1 || d[NNM_KW_STRIDES] != 1 ||
      d[NNM_KW_STRIDES + 1] != 1)
    return 0;
  if (!(w[0] % 16 == 8 || w[1] <= 32))
    return 0;
  static int zen4 = -1; /* benign race: every thread computes the same answer */
  if (__atomic_load_n(&zen4, __ATOMIC_RELAXED) < 0)
    __atomic_store_n(&zen4, double_pumped_avx512(), __ATOMIC_RELAXED);
  return __atomic_load_n(&zen4, __ATOMIC_RELAXED);
}

/* The first implementation oneDNN lists whose name starts with `prefix`, or its
 * first choice when there is none. */
static dnnl_status_t create_preferred_pd(dnnl_primitive_desc_t *pd,
                                         const dnnl_convolution_desc_t *cd,
                                         const_dnnl_primitive_attr_t attr,
                                         dnnl_engine_t engine, const char *prefix) {
  dnnl_primitive_desc_iterator_t it = NULL;
  dnnl_status_t s = dnnl_primitive_desc_iterator_create(&it, cd, attr, engine, NULL);
  if (s != dnnl_success)
    return s;
  *pd = NULL;
  do {
    dnnl_primitive_desc_t candidate = dnnl_primitive_desc_iterator_fetch(it);
    if (!candidate)
      break;
    const char *impl = NULL;
    dnnl_primitive_desc_query(candidate, dnnl_query_impl_info_str, 0, &impl);
    if (impl && strncmp(impl, prefix, strlen(prefix)) == 0) {
      if (*pd)
        dnnl_primitive_desc_destroy(*pd);
      *pd = candidate;
      break;
    }
    if (*pd)
      dnnl_primitive_desc_destroy(candidate);
    else
      *pd = candidate; /* oneDNN's first choice, kept as the fallback */
  } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
  dnnl_primitive_desc_iterator_destroy(it);
  return *pd ? dnnl_success : dnnl_unimplemented;
}

/* The primitive descriptor of `d`; weights in whatever layout oneDNN prefers. */
static dnnl_status_t make_pd(dnnl_engine_t engine, const int64_t *d, const plain_mds *m,
                             dnnl_primitive_desc_t *pd) {
  dnnl_primitive_attr_t attr = NULL;
  dnnl_status_t s = make_attr(d, &attr);
  if (s != dnnl_success)
    return s;
  const int64_t *w = d + NNM_KW_WEIGHTS;
  dnnl_dims_t strides = {d[NNM_KW_STRIDES], d[NNM_KW_STRIDES + 1]};
  dnnl_dims_t dil = {d[NNM_KW_DILATIONS] - 1, d[NNM_KW_DILATIONS + 1] - 1};
  dnnl_dims_t pad_l = {d[NNM_KW_PADS], d[NNM_KW_PADS + 1]};
  dnnl_dims_t pad_r = {d[NNM_KW_PADS + 2], d[NNM_KW_PADS + 3]};
  dnnl_memory_desc_t any_weights;
  switch (d[NNM_KW_KIND]) {
  case NNM_KERNEL_CONV2D: {
    dnnl_convolution_desc_t cd;
    if ((s = dnnl_memory_desc_init_by_tag(&any_weights, m->weights.ndims, m->weights.dims,
                                          dnnl_f32, dnnl_format_tag_any)) ||
        (s = dnnl_dilated_convolution_forward_desc_init(
             &cd, dnnl_forward_inference, dnnl_convolution_direct, &m->src, &any_weights,
             (d[NNM_KW_FLAGS] & NNM_KF_BIAS) ? &m->bias : NULL, &m->dst, strides, dil, pad_l,
             pad_r)))
      break;
    s = prefers_direct_jit(d)  ? create_preferred_pd(pd, &cd, attr, engine, "jit:")
        : prefers_avx2_1x1(d) ? create_preferred_pd(pd, &cd, attr, engine, "jit_1x1:avx2")
                              : dnnl_primitive_desc_create(pd, &cd, attr, engine, NULL);
    break;
  }
  case NNM_KERNEL_MATMUL: {
    dnnl_matmul_desc_t md;
    if ((s = dnnl_memory_desc_init_by_tag(&any_weights, 2, m->weights.dims, dnnl_f32,
                                          dnnl_format_tag_any)) ||
        (s = dnnl_matmul_desc_init(&md, &m->src, &any_weights,
                                   (d[NNM_KW_FLAGS] & NNM_KF_BIAS) ? &m->bias : NULL,
                                   &m->dst)))
      break;
    s = dnnl_primitive_desc_create(pd, &md, attr, engine, NULL);
    break;
  }
  case NNM_KERNEL_POOL2D: {
    dnnl_alg_kind_t alg = d[NNM_KW_GROUPS] == NNM_POOL_MAX ? dnnl_pooling_max
                          : d[NNM_KW_GROUPS] == NNM_POOL_AVG_INCLUDE_PAD
                              ? dnnl_pooling_avg_include_padding
                              : dnnl_pooling_avg_exclude_padding;
    dnnl_dims_t kernel = {w[0], w[1]};
    dnnl_pooling_v2_desc_t pdsc;
    if ((s = dnnl_pooling_v2_forward_desc_init(&pdsc, dnnl_forward_inference, alg, &m->src,
                                               &m->dst, strides, kernel, dil, pad_l, pad_r)))
      break;
    s = dnnl_primitive_desc_create(pd, &pdsc, attr, engine, NULL);
    break;
  }
  default:
    s = dnnl_invalid_arguments;
  }
  dnnl_primitive_attr_destroy(attr);
  return s;
}

static int64_t scratch_bytes(const_dnnl_primitive_desc_t pd) {
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  return md ? (int64_t)dnnl_memory_desc_get_size(md) : 0;
}

/* The compiler asks once per candidate op: one engine serves every query of
 * the process (created once, never destroyed; queries only read it). */
static dnnl_engine_t g_query_engine;
static dnnl_status_t g_query_engine_status;
static pthread_once_t g_query_engine_once = PTHREAD_ONCE_INIT;

static void create_query_engine(void) {
  g_query_engine_status = dnnl_engine_create(&g_query_engine, dnnl_cpu, 0);
}

int nnm_kernel_workspace_bytes(const int64_t *desc, int64_t *bytes, char *error,
                               size_t error_size) {
  dnnl_primitive_desc_t pd = NULL;
  plain_mds m;
  pthread_once(&g_query_engine_once, create_query_engine);
  dnnl_status_t s = g_query_engine_status;
  if (s != dnnl_success)
    return say(error, error_size, "cannot create a oneDNN CPU engine", s), -1;
  if ((s = describe(desc, &m)) || (s = make_pd(g_query_engine, desc, &m, &pd))) {
    say(error, error_size, "oneDNN has no primitive for this kernel", s);
    return -1;
  }
  *bytes = scratch_bytes(pd);
  dnnl_primitive_desc_destroy(pd);
  /* Room for either: the machine that runs the model picks (create_kernel). */
  int64_t direct = conv_direct_workspace_bytes(desc);
  if (direct > *bytes)
    *bytes = direct;
  return 0;
}

/*---- the model's shared part ----------------------------------------------*/

/* oneDNN fixes a primitive's thread count when it creates the primitive (the
 * calling thread's OpenMP maximum), so the model keeps one set of primitives
 * per thread count its contexts ask for. Reordered weights are shared between
 * the sets whenever their layouts agree (they normally do). */
typedef struct shared_kernel {
  int64_t kind, sum_bytes;
  conv_direct *direct; /* the runtime's own kernel instead of a primitive */
  dnnl_primitive_t primitive;
  dnnl_memory_desc_t src_md, dst_md, scratch_md;
  dnnl_memory_t weights, bias; /* weights reordered once; bias wraps the constant */
  int owns_weights;
  int64_t scratch_bytes;
} shared_kernel;

typedef struct kernel_set {
  struct kernel_set *next;
  int threads;
  shared_kernel k[];
} kernel_set;

typedef struct shared_model {
  int refs;
  dnnl_engine_t engine;
  int32_t count;
  kernel_set *sets;
} shared_model;

static pthread_mutex_t g_models_lock = PTHREAD_MUTEX_INITIALIZER;

static void free_set(kernel_set *set, int32_t count) {
  for (int32_t i = 0; i < count; ++i) {
    shared_kernel *k = &set->k[i];
    conv_direct_destroy(k->direct);
    if (k->primitive)
      dnnl_primitive_destroy(k->primitive);
    if (k->weights && k->owns_weights)
      dnnl_memory_destroy(k->weights);
    if (k->bias)
      dnnl_memory_destroy(k->bias);
  }
  free(set);
}

static void free_model(shared_model *sm) {
  while (sm->sets) {
    kernel_set *next = sm->sets->next;
    free_set(sm->sets, sm->count);
    sm->sets = next;
  }
  if (sm->engine)
    dnnl_engine_destroy(sm->engine);
  free(sm);
}

/* Weights in the primitive's layout `want`: the constant itself when that is
 * already the layout, otherwise one reorder into memory the model owns. */
static dnnl_status_t prepare_weights(dnnl_engine_t engine, const plain_mds *m,
                                     const dnnl_memory_desc_t *want, const void *data,
                                     dnnl_memory_t *out) {
  if (dnnl_memory_desc_equal(want, &m->weights))
    return dnnl_memory_create(out, &m->weights, engine, (void *)data);
  dnnl_memory_t plain = NULL;
  dnnl_primitive_desc_t rpd = NULL;
  dnnl_primitive_t reorder = NULL;
  dnnl_stream_t stream = NULL;
  dnnl_status_t s;
  if ((s = dnnl_memory_create(&plain, &m->weights, engine, (void *)data)) ||
      (s = dnnl_memory_create(out, want, engine, DNNL_MEMORY_ALLOCATE)) ||
      (s = dnnl_reorder_primitive_desc_create(&rpd, &m->weights, engine, want, engine, NULL)) ||
      (s = dnnl_primitive_create(&reorder, rpd)) ||
      (s = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags)))
    goto done;
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, *out}};
  if (!(s = dnnl_primitive_execute(reorder, stream, 2, args)))
    s = dnnl_stream_wait(stream);
done:
  if (stream)
    dnnl_stream_destroy(stream);
  if (reorder)
    dnnl_primitive_destroy(reorder);
  if (rpd)
    dnnl_primitive_desc_destroy(rpd);
  if (plain)
    dnnl_memory_destroy(plain);
  if (s != dnnl_success && *out) {
    dnnl_memory_destroy(*out);
    *out = NULL;
  }
  return s;
}

/* `shared` is kernel i of another thread count's set (or NULL): its weights
 * are taken when the layout matches. */
static dnnl_status_t create_kernel(dnnl_engine_t engine, const nnm_kernel_entry *e,
                                   const shared_kernel *shared, shared_kernel *k) {
  plain_mds m;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_status_t s;
  k->kind = e->desc[NNM_KW_KIND];
  int64_t direct = conv_direct_workspace_bytes(e->desc);
  if (direct >= 0 && direct <= e->workspace_bytes && conv_direct_fast_here()) {
    k->direct = conv_direct_create(e->desc, (const float *)e->weights, (const float *)e->bias);
    return k->direct ? dnnl_success : dnnl_out_of_memory;
  }
  if ((s = describe(e->desc, &m)) || (s = make_pd(engine, e->desc, &m, &pd)))
    return s;
  k->src_md = m.src;
  k->dst_md = m.dst;
  k->scratch_bytes = scratch_bytes(pd);
  k->scratch_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  for (int64_t i = 0; i < e->desc[NNM_KW_NUM_POST]; ++i)
    if (e->desc[NNM_KW_POST + 3 * i] == NNM_POST_SUM)
      k->sum_bytes = (int64_t)dnnl_memory_desc_get_size(&m.dst);
  if (k->kind != NNM_KERNEL_POOL2D && !e->weights)
    s = dnnl_invalid_arguments;
  if (s == dnnl_success && e->weights) {
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *have = NULL;
    if (shared && shared->weights)
      dnnl_memory_get_memory_desc(shared->weights, &have);
    if (have && dnnl_memory_desc_equal(want, have)) {
      k->weights = shared->weights;
    } else {
      s = prepare_weights(engine, &m, want, e->weights, &k->weights);
      k->owns_weights = 1;
    }
  }
  if (s == dnnl_success && (e->desc[NNM_KW_FLAGS] & NNM_KF_BIAS))
    s = e->bias ? dnnl_memory_create(&k->bias, &m.bias, engine, (void *)e->bias)
                : dnnl_invalid_arguments;
  if (s == dnnl_success)
    s = dnnl_primitive_create(&k->primitive, pd);
  dnnl_primitive_desc_destroy(pd);
  return s;
}

static nnm_status status_of(dnnl_status_t s) {
  return s == dnnl_out_of_memory ? NNM_OUT_OF_MEMORY : NNM_INTERNAL_ERROR;
}

/* The set of primitives for `threads`, created now when the model has none. */
static dnnl_status_t find_set(shared_model *sm, const nnm_kernel_entry *table, int threads,
                              kernel_set **out) {
  for (kernel_set *set = sm->sets; set; set = set->next)
    if (set->threads == threads)
      return *out = set, dnnl_success;
  kernel_set *set = calloc(1, sizeof *set + (size_t)sm->count * sizeof(shared_kernel));
  if (!set)
    return dnnl_out_of_memory;
  set->threads = threads;
  int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  dnnl_status_t s = dnnl_success;
  for (int32_t i = 0; s == dnnl_success && i < sm->count; ++i)
    s = create_kernel(sm->engine, &table[i], sm->sets ? &sm->sets->k[i] : NULL, &set->k[i]);
  omp_set_num_threads(before);
  if (s != dnnl_success) {
    free_set(set, sm->count);
    return s;
  }
  set->next = sm->sets;
  sm->sets = set;
  *out = set;
  return dnnl_success;
}

static nnm_status acquire_model(void **slot, const nnm_kernel_entry *table, int32_t count,
                                int threads, shared_model **model, kernel_set **set) {
  nnm_status status = NNM_OK;
  pthread_mutex_lock(&g_models_lock);
  shared_model *sm = (shared_model *)*slot;
  int fresh = !sm;
  if (fresh) {
    sm = calloc(1, sizeof *sm);
    dnnl_status_t s = sm ? dnnl_engine_create(&sm->engine, dnnl_cpu, 0) : dnnl_out_of_memory;
    if (s != dnnl_success) {
      free(sm);
      status = status_of(s);
      goto done;
    }
    sm->count = count;
  }
  dnnl_status_t s = find_set(sm, table, threads, set);
  if (s != dnnl_success) {
    if (fresh)
      free_model(sm);
    status = status_of(s);
    goto done;
  }
  *slot = sm;
  ++sm->refs;
  *model = sm;
done:
  pthread_mutex_unlock(&g_models_lock);
  return status;
}

/*---- the context's part ------------------------------------------------------*/

enum { ARG_SRC, ARG_WEIGHTS, ARG_BIAS, ARG_DST, ARG_SCRATCH, MAX_ARGS };

typedef struct context_kernel {
  dnnl_memory_t src, dst, scratch;
  dnnl_exec_arg_t args[MAX_ARGS];
  int nargs;
  void *own_scratch; /* when the arena's share is too small on this machine */
} context_kernel;

typedef struct context_kernels {
  shared_model *model;
  kernel_set *set;
  void **slot;
  dnnl_stream_t stream;
  int32_t count;
  context_kernel k[];
} context_kernels;

static void release(void *p) {
  context_kernels *ck = (context_kernels *)p;
  if (!ck)
    return;
  for (int32_t i = 0; i < ck->count; ++i) {
    context_kernel *k = &ck->k[i];
    if (k->src)
      dnnl_memory_destroy(k->src);
    if (k->dst)
      dnnl_memory_destroy(k->dst);
    if (k->scratch)
      dnnl_memory_destroy(k->scratch);
    free(k->own_scratch);
  }
  if (ck->stream)
    dnnl_stream_destroy(ck->stream);
  if (ck->model) {
    pthread_mutex_lock(&g_models_lock);
    if (--ck->model->refs == 0) {
      *ck->slot = NULL;
      free_model(ck->model);
    }
    pthread_mutex_unlock(&g_models_lock);
  }
  free(ck);
}

static dnnl_status_t bind_kernel(dnnl_engine_t engine, const shared_kernel *sk,
                                 int64_t reserved, context_kernel *k) {
  dnnl_status_t s;
  if (sk->direct)
    return dnnl_success; /* runs on the arena alone */
  if ((s = dnnl_memory_create(&k->src, &sk->src_md, engine, DNNL_MEMORY_NONE)) ||
      (s = dnnl_memory_create(&k->dst, &sk->dst_md, engine, DNNL_MEMORY_NONE)))
    return s;
  int n = 0;
  k->args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, k->src};
  if (sk->weights)
    k->args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, sk->weights};
  if (sk->bias)
    k->args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, sk->bias};
  k->args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST, k->dst};
  if (sk->scratch_bytes > 0) {
    if (sk->scratch_bytes > reserved) {
      size_t rounded = ((size_t)sk->scratch_bytes + 63) / 64 * 64;
      k->own_scratch = aligned_alloc(64, rounded);
      if (!k->own_scratch)
        return dnnl_out_of_memory;
    }
    if ((s = dnnl_memory_create(&k->scratch, &sk->scratch_md, engine,
                                k->own_scratch ? k->own_scratch : DNNL_MEMORY_NONE)))
      return s;
    k->args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, k->scratch};
  }
  k->nargs = n;
  return dnnl_success;
}

nnm_status nnm_kernels_attach(nnm_context *ctx, void **slot, const nnm_kernel_entry *table,
                              int32_t count) {
  if (!ctx || !slot || (count && !table) || count < 0 || ctx->kernels)
    return NNM_INVALID_ARGUMENT;
  context_kernels *ck = calloc(1, sizeof *ck + (size_t)count * sizeof(context_kernel));
  if (!ck)
    return NNM_OUT_OF_MEMORY;
  ck->count = count;
  ck->slot = slot;
  int threads = ctx->num_threads > 0 ? ctx->num_threads : 1;
  nnm_status status = acquire_model(slot, table, count, threads, &ck->model, &ck->set);
  if (status != NNM_OK) {
    free(ck);
    return status;
  }
  dnnl_status_t s = dnnl_stream_create(&ck->stream, ck->model->engine, dnnl_stream_default_flags);
  for (int32_t i = 0; s == dnnl_success && i < count; ++i)
    s = bind_kernel(ck->model->engine, &ck->set->k[i], table[i].workspace_bytes, &ck->k[i]);
  if (s != dnnl_success) {
    release(ck);
    return status_of(s);
  }
  ctx->kernels = ck;
  ctx->release_kernels = release;
  return NNM_OK;
}

void nnm_kernel_run(nnm_context *ctx, int32_t index, const void *src, const void *sum,
                    void *dst, void *workspace) {
  context_kernels *ck = ctx ? (context_kernels *)ctx->kernels : NULL;
  if (!ck || index < 0 || index >= ck->count) {
    if (ctx && ctx->status == NNM_OK)
      ctx->status = NNM_INTERNAL_ERROR;
    return;
  }
  const shared_kernel *sk = &ck->set->k[index];
  context_kernel *k = &ck->k[index];
  if (sk->direct) {
    conv_direct_run(ctx, sk->direct, (const float *)src, (float *)dst, workspace);
    return;
  }
  if (sk->sum_bytes && sum != dst)
    memcpy(dst, sum, (size_t)sk->sum_bytes); /* the sum post-op adds what dst holds */
  dnnl_status_t s = dnnl_memory_set_data_handle_v2(k->src, (void *)src, ck->stream);
  if (s == dnnl_success)
    s = dnnl_memory_set_data_handle_v2(k->dst, dst, ck->stream);
  if (s == dnnl_success && k->scratch && !k->own_scratch)
    s = dnnl_memory_set_data_handle_v2(k->scratch, workspace, ck->stream);
  int before = omp_get_max_threads(), want = ctx->num_threads > 0 ? ctx->num_threads : 1;
  if (before != want)
    omp_set_num_threads(want);
  if (s == dnnl_success)
    s = dnnl_primitive_execute(sk->primitive, ck->stream, k->nargs, k->args);
  if (s == dnnl_success)
    s = dnnl_stream_wait(ck->stream);
  if (before != want)
    omp_set_num_threads(before);
  if (s != dnnl_success && ctx->status == NNM_OK)
    ctx->status = NNM_INTERNAL_ERROR;
}
