//===- app.cpp - End-to-end test: four compiled models in one program ------===//
//
// Links four libraries built by `nnmodel compile` (see run_e2e.py):
//   mlp1/     --name mlp      --version 1.0.0   (mlp.onnx)      -> mlp_v1_*
//   mlp2/     --name mlp      --version 2.0.0   (mlp_v2.onnx)   -> mlp_v2_*
//   lenet/    --name lenet    --version 1.0.0   (lenet.onnx)    -> lenet_v1_*
//   resblock/ --name resblock --version 1.0.0   (resblock.onnx) -> resblock_v1_*
// and checks each against the ONNX Runtime outputs that make_models.py wrote.
//
// Usage: app DATA_DIR      (the directory make_models.py wrote)
// Prints one "PASS name" / "FAIL name: why" line per check, then a summary;
// the exit code is 1 if any check failed.
//===----------------------------------------------------------------------===//
#include "mlp1/mlp.h"
#include "mlp2/mlp.h"
#include "lenet/lenet.h"
#include "resblock/resblock.h"

#include <nnmodel/runtime.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <dlfcn.h>
#include <execinfo.h>

// Under a sanitizer, its allocator owns malloc and friends: the heap counter
// below would fight it, so the heap-use checks are left to the plain build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NNM_E2E_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NNM_E2E_SANITIZED 1
#endif
#endif

#ifndef NNM_E2E_SANITIZED
// Heap calls made while g_counting is set. The program defines the allocation
// functions itself (forwarding to glibc's __libc_* entry points), so every heap
// call in the process goes through them: the compiled models and the runtime,
// and the shared libraries too (oneDNN, libgomp, libstdc++), since a symbol the
// executable defines takes precedence over the same symbol in libc.
// oneDNN 2.6's dnnl_primitive_execute builds a std::unordered_map of its
// arguments on every call (a few small allocations, freed before it returns);
// its public API offers no way around that. Those calls are counted apart, by
// whether libdnnl is on the stack, so the test still proves that nothing else
// (the models, the runtime, libgomp) allocates during a run.
std::atomic<bool> g_counting{false};
std::atomic<long> g_heap_calls{0}, g_dnnl_heap_calls{0};
thread_local bool t_in_hook = false;

bool called_from_onednn() {
  void *frames[16];
  int n = backtrace(frames, 16);
  for (int i = 1; i < n; ++i) {
    Dl_info info;
    if (dladdr(frames[i], &info) && info.dli_fname && std::strstr(info.dli_fname, "libdnnl"))
      return true;
  }
  return false;
}

extern "C" {
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
static void count_heap_call() {
  if (!g_counting.load(std::memory_order_relaxed) || t_in_hook)
    return;
  t_in_hook = true;
  (called_from_onednn() ? g_dnnl_heap_calls : g_heap_calls).fetch_add(1);
  t_in_hook = false;
}
void *malloc(size_t n) {
  count_heap_call();
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t size) {
  count_heap_call();
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n) {
  count_heap_call();
  return __libc_realloc(p, n);
}
void *memalign(size_t align, size_t n) {
  count_heap_call();
  return __libc_memalign(align, n);
}
void *aligned_alloc(size_t align, size_t n) {
  count_heap_call();
  return __libc_memalign(align, n);
}
int posix_memalign(void **p, size_t align, size_t n) {
  count_heap_call();
  if (align % sizeof(void *) || (align & (align - 1)))
    return 22; /* EINVAL */
  void *m = __libc_memalign(align, n);
  if (!m && n)
    return 12; /* ENOMEM */
  *p = m;
  return 0;
}
}
#endif // NNM_E2E_SANITIZED

namespace {

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

int g_passed = 0;
int g_failed = 0;
std::string g_data;

void check(bool ok, const std::string &what, const std::string &why = "") {
  if (ok) {
    ++g_passed;
    std::printf("PASS %s\n", what.c_str());
  } else {
    ++g_failed;
    std::printf("FAIL %s: %s\n", what.c_str(), why.empty() ? "check failed" : why.c_str());
  }
  std::fflush(stdout);
}

std::string status_text(nnm_status s) {
  return std::string("status ") + std::to_string(static_cast<int>(s)) + " (" +
         nnm_status_string(s) + ")";
}

// Reads DATA_DIR/<stem>.<tensor>.bin (raw little-endian float32) of exactly n floats.
bool load(const std::string &stem, const std::string &tensor, size_t n, std::vector<float> &out,
          std::string &why) {
  std::string path = g_data + "/" + stem + "." + tensor + ".bin";
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    why = "cannot open " + path;
    return false;
  }
  out.assign(n + 1, 0.0f);
  size_t got = std::fread(out.data(), sizeof(float), n + 1, f);
  std::fclose(f);
  out.resize(n);
  if (got != n) {
    why = path + " holds " + std::to_string(got) + " floats, the header says " +
          std::to_string(n);
    return false;
  }
  return true;
}

// Empty when |got - want| <= atol + rtol * |want| everywhere (and nothing is NaN).
std::string compare(const float *got, const std::vector<float> &want) {
  size_t bad = 0, first = 0;
  double worst = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    double g = got[i], w = want[i], err = std::fabs(g - w);
    bool ok = std::isfinite(g) && err <= kAtol + kRtol * std::fabs(w);
    if (!ok && bad++ == 0)
      first = i;
    if (!(err <= worst))
      worst = err;  // also catches NaN
  }
  if (!bad)
    return "";
  char buf[256];
  std::snprintf(buf, sizeof buf, "%zu of %zu elements differ; first [%zu] got %.9g want %.9g; "
                "max abs err %.3g", bad, want.size(), first, static_cast<double>(got[first]),
                static_cast<double>(want[first]), worst);
  return buf;
}

bool same_shape(const int64_t *shape, int rank, std::vector<int64_t> want) {
  if (static_cast<size_t>(rank) != want.size())
    return false;
  for (int i = 0; i < rank; ++i)
    if (shape[i] != want[i])
      return false;
  return true;
}

// Everything the generic checks need to know about one compiled model; the
// function pointers come straight from the generated header.
template <class Ctx> struct Model {
  const char *label;  // used in check names
  const char *stem;   // data file stem
  const char *input, *output;
  size_t in_size, out_size;
  nnm_status (*create)(const nnm_options *, Ctx **);
  nnm_status (*run)(Ctx *, const float *, float *);
  void (*destroy)(Ctx *);
  const char *(*version)();
  const char *(*metadata)();
  const char *want_version;
};

// Creates a context with default options, runs it on the reference input,
// compares with onnxruntime and checks that a second run gives identical bits.
template <class Ctx> void check_model(const Model<Ctx> &m) {
  std::string name = m.label, why;
  check(m.version && std::strcmp(m.version(), m.want_version) == 0, name + ": version()",
        std::string("got \"") + (m.version ? m.version() : "(null)") + "\"");
  const char *meta = m.metadata();
  check(meta && std::strstr(meta, m.want_version) && std::strchr(meta, '{'),
        name + ": metadata_json() names the version",
        meta ? std::string(meta).substr(0, 200) : "null");

  std::vector<float> x, want;
  if (!load(m.stem, m.input, m.in_size, x, why) || !load(m.stem, m.output, m.out_size, want, why)) {
    check(false, name + ": reference data", why);
    return;
  }
  nnm_options opts;
  nnm_options_init(&opts);
  Ctx *ctx = nullptr;
  nnm_status s = m.create(&opts, &ctx);
  check(s == NNM_OK && ctx, name + ": create", status_text(s));
  if (s != NNM_OK || !ctx)
    return;
  std::vector<float> y(m.out_size, NAN), y2(m.out_size, NAN);
  s = m.run(ctx, x.data(), y.data());
  check(s == NNM_OK, name + ": run", status_text(s));
  if (s == NNM_OK) {
    why = compare(y.data(), want);
    check(why.empty(), name + ": output matches onnxruntime", why);
    s = m.run(ctx, x.data(), y2.data());
    check(s == NNM_OK && std::memcmp(y.data(), y2.data(), y.size() * sizeof(float)) == 0,
          name + ": second run on the same context is bit-identical", status_text(s));
  }
  m.destroy(ctx);

  // num_threads = 2: oneDNN kernels and split generated loops use two threads;
  // the result still matches, and two such contexts agree bit for bit.
  opts.num_threads = 2;
  Ctx *a = nullptr, *b = nullptr;
  s = m.create(&opts, &a);
  nnm_status s2 = m.create(&opts, &b);
  check(s == NNM_OK && s2 == NNM_OK, name + ": create with num_threads = 2",
        status_text(s == NNM_OK ? s2 : s));
  if (s == NNM_OK && s2 == NNM_OK) {
    std::vector<float> ya(m.out_size, NAN), yb(m.out_size, NAN);
    s = m.run(a, x.data(), ya.data());
    s2 = m.run(b, x.data(), yb.data());
    why = s == NNM_OK ? compare(ya.data(), want) : status_text(s);
    check(why.empty(), name + ": 2 threads: output matches onnxruntime", why);
    check(s2 == NNM_OK && std::memcmp(ya.data(), yb.data(), ya.size() * sizeof(float)) == 0,
          name + ": 2 threads: two contexts give identical bits", status_text(s2));
  }
  m.destroy(a);
  m.destroy(b);
}

// Two contexts of mlp v1 on two threads at once, each on its own input set.
void check_mlp_v1_threads() {
  const size_t n_in = MLP_V1_INPUT_X_SIZE, n_out = MLP_V1_OUTPUT_Y_SIZE;
  std::vector<float> x[2], want[2];
  std::string why;
  if (!load("mlp", "x", n_in, x[0], why) || !load("mlp", "y", n_out, want[0], why) ||
      !load("mlp", "x.1", n_in, x[1], why) || !load("mlp", "y.1", n_out, want[1], why)) {
    check(false, "mlp v1: two threads, two contexts", why);
    return;
  }
  mlp_v1_context *ctx[2] = {nullptr, nullptr};
  for (int t = 0; t < 2; ++t) {
    nnm_options opts;
    nnm_options_init(&opts);
    nnm_status s = mlp_v1_create(&opts, &ctx[t]);
    if (s != NNM_OK || !ctx[t]) {
      check(false, "mlp v1: two threads, two contexts", "create: " + status_text(s));
      if (ctx[0])
        mlp_v1_destroy(ctx[0]);
      return;
    }
  }
  const int iterations = 2000;
  std::atomic<int> ready{0};
  std::string result[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> y(n_out);
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      for (int i = 0; i < iterations && result[t].empty(); ++i) {
        std::fill(y.begin(), y.end(), NAN);
        nnm_status s = mlp_v1_run(ctx[t], x[t].data(), y.data());
        if (s != NNM_OK)
          result[t] = "run: " + status_text(s);
        else if (!(result[t] = compare(y.data(), want[t])).empty())
          result[t] = "iteration " + std::to_string(i) + ": " + result[t];
      }
    });
  }
  for (auto &th : threads)
    th.join();
  for (int t = 0; t < 2; ++t) {
    check(result[t].empty(),
          "mlp v1: thread " + std::to_string(t) + " of 2 (own context, " +
              std::to_string(iterations) + " runs) matches onnxruntime",
          result[t]);
    mlp_v1_destroy(ctx[t]);
  }
}

// lenet v1 with an arena the caller owns: exactly LENET_V1_ARENA_BYTES,
// 64-byte aligned, pre-filled with NaN bytes, followed by a guard zone.
void check_lenet_caller_arena() {
  const size_t need = LENET_V1_ARENA_BYTES, guard = 256;
  const size_t total = (need + guard + 63) / 64 * 64;
  unsigned char *mem = static_cast<unsigned char *>(std::aligned_alloc(64, total));
  if (!mem) {
    check(false, "lenet v1: caller arena", "aligned_alloc failed");
    return;
  }
  std::memset(mem, 0xFF, total);  // 0xFFFFFFFF is a NaN: reading unwritten scratch shows up
  std::vector<float> x, want;
  std::string why;
  if (!load("lenet", "image", LENET_V1_INPUT_IMAGE_SIZE, x, why) ||
      !load("lenet", "probs", LENET_V1_OUTPUT_PROBS_SIZE, want, why)) {
    check(false, "lenet v1: caller arena", why);
    std::free(mem);
    return;
  }
  nnm_options opts;
  nnm_options_init(&opts);
  lenet_v1_context *ctx = nullptr;

  // Refusals first: the create must check what the caller hands it.
  opts.arena = mem + 16;
  opts.arena_bytes = need;
  nnm_status s = lenet_v1_create(&opts, &ctx);
  check(s == NNM_ARENA_MISALIGNED, "lenet v1: a misaligned caller arena is refused",
        status_text(s));
  if (s == NNM_OK && ctx)
    lenet_v1_destroy(ctx);
  ctx = nullptr;
  if (need > 0) {
    opts.arena = mem;
    opts.arena_bytes = need - 1;
    s = lenet_v1_create(&opts, &ctx);
    check(s == NNM_ARENA_TOO_SMALL, "lenet v1: a caller arena one byte short is refused",
          status_text(s));
    if (s == NNM_OK && ctx)
      lenet_v1_destroy(ctx);
    ctx = nullptr;
  }

  opts.arena = mem;
  opts.arena_bytes = need;
  s = lenet_v1_create(&opts, &ctx);
  check(s == NNM_OK && ctx, "lenet v1: create with a caller arena", status_text(s));
  if (s == NNM_OK && ctx) {
    std::vector<float> y(LENET_V1_OUTPUT_PROBS_SIZE, NAN);
    s = lenet_v1_run(ctx, x.data(), y.data());
    check(s == NNM_OK, "lenet v1: run with a caller arena", status_text(s));
    if (s == NNM_OK) {
      why = compare(y.data(), want);
      check(why.empty(), "lenet v1: output with a caller arena matches onnxruntime", why);
    }
    size_t touched = 0;
    for (size_t i = need; i < total; ++i)
      touched += mem[i] != 0xFF;
    check(touched == 0, "lenet v1: nothing written past LENET_V1_ARENA_BYTES",
          std::to_string(touched) + " guard bytes changed");
    lenet_v1_destroy(ctx);
  }
  std::free(mem);
}

/// A run allocates nothing: every model runs once with the heap wrappers counting.
void check_runs_allocate_nothing() {
#ifdef NNM_E2E_SANITIZED
  std::printf("SKIP runs allocate nothing: a sanitizer's allocator owns malloc here\n");
  return;
#else
  std::vector<float> in(LENET_V1_INPUT_IMAGE_SIZE, 0.5f), out(LENET_V1_OUTPUT_PROBS_SIZE);
  std::vector<float> rin(RESBLOCK_V1_INPUT_X_SIZE, 0.25f), rout(RESBLOCK_V1_OUTPUT_FEATURES_SIZE);
  std::vector<float> min(MLP_V1_INPUT_X_SIZE, 0.1f), mout(MLP_V1_OUTPUT_Y_SIZE);
  lenet_v1_context *lenet = nullptr;
  resblock_v1_context *resblock = nullptr;
  mlp_v1_context *mlp = nullptr;
  if (lenet_v1_create(nullptr, &lenet) != NNM_OK || resblock_v1_create(nullptr, &resblock) != NNM_OK ||
      mlp_v1_create(nullptr, &mlp) != NNM_OK) {
    check(false, "runs allocate nothing", "create failed");
  } else {
    g_heap_calls = 0;
    g_dnnl_heap_calls = 0;
    g_counting = true;
    nnm_status c = mlp_v1_run(mlp, min.data(), mout.data());
    g_counting = false;
    check(c == NNM_OK && g_heap_calls == 0 && g_dnnl_heap_calls == 0,
          "a run of generated code allocates nothing (mlp)",
          std::to_string(g_heap_calls + g_dnnl_heap_calls) + " heap calls during the run");
    g_counting = true;
    nnm_status a = lenet_v1_run(lenet, in.data(), out.data());
    nnm_status b = resblock_v1_run(resblock, rin.data(), rout.data());
    g_counting = false;
    check(a == NNM_OK && b == NNM_OK && g_heap_calls == 0,
          "runs allocate nothing outside oneDNN's execute (lenet, resblock; " +
              std::to_string(g_dnnl_heap_calls.load()) + " argument-map allocations in oneDNN)",
          std::to_string(g_heap_calls.load()) + " heap calls outside oneDNN during the runs");
  }
  lenet_v1_destroy(lenet);
  resblock_v1_destroy(resblock);
  mlp_v1_destroy(mlp);
  // Two threads: the first run may start OpenMP's worker thread (its stack and
  // thread state are the pool's, made once per process); later runs allocate
  // nothing.
  nnm_options two;
  nnm_options_init(&two);
  two.num_threads = 2;
  lenet = nullptr;
  resblock = nullptr;
  if (lenet_v1_create(&two, &lenet) != NNM_OK || resblock_v1_create(&two, &resblock) != NNM_OK) {
    check(false, "2-thread runs allocate nothing", "create failed");
  } else {
    lenet_v1_run(lenet, in.data(), out.data());
    resblock_v1_run(resblock, rin.data(), rout.data());
    g_heap_calls = 0;
    g_counting = true;
    nnm_status a = lenet_v1_run(lenet, in.data(), out.data());
    nnm_status b = resblock_v1_run(resblock, rin.data(), rout.data());
    g_counting = false;
    check(a == NNM_OK && b == NNM_OK && g_heap_calls == 0,
          "2-thread runs allocate nothing outside oneDNN's execute after the first (lenet, "
          "resblock; libgomp's pool included)",
          std::to_string(g_heap_calls.load()) + " heap calls outside oneDNN during the runs");
  }
  lenet_v1_destroy(lenet);
  resblock_v1_destroy(resblock);
  // The counter itself works: an allocation while counting is seen.
  called_from_onednn(); // backtrace() loads its unwinder once, outside the counted part
  g_heap_calls = 0;
  g_counting = true;
  void *volatile probe = std::malloc(64);
  g_counting = false;
  std::free(probe);
  check(g_heap_calls == 1, "the heap-call counter sees a malloc",
        std::to_string(g_heap_calls.load()) + " calls counted");
#endif
}

/// run_packed refuses null pointer arrays instead of reading through them.
void check_run_packed_null_arrays() {
  mlp_v1_context *ctx = nullptr;
  if (mlp_v1_create(nullptr, &ctx) != NNM_OK) {
    check(false, "mlp v1: run_packed with null arrays", "create failed");
    return;
  }
  std::vector<float> x(MLP_V1_INPUT_X_SIZE, 0.5f), y(MLP_V1_OUTPUT_Y_SIZE);
  void *ins[] = {x.data()};
  void *outs[] = {y.data()};
  nnm_status a = mlp_v1_run_packed(ctx, nullptr, outs);
  nnm_status b = mlp_v1_run_packed(ctx, ins, nullptr);
  nnm_status c = mlp_v1_run_packed(ctx, ins, outs);
  check(a == NNM_INVALID_ARGUMENT && b == NNM_INVALID_ARGUMENT && c == NNM_OK,
        "mlp v1: run_packed refuses null pointer arrays",
        status_text(a) + ", " + status_text(b) + ", " + status_text(c));
  mlp_v1_destroy(ctx);
}

void check_resblock_cpp_wrapper() {
  std::vector<float> x, want;
  std::string why;
  if (!load("resblock", "x", RESBLOCK_V1_INPUT_X_SIZE, x, why) ||
      !load("resblock", "features", RESBLOCK_V1_OUTPUT_FEATURES_SIZE, want, why)) {
    check(false, "resblock v1 (C++): reference data", why);
    return;
  }
  resblock::v1::Model model;
  check(model.ok(), "resblock v1 (C++): Model() is ok()", status_text(model.status()));
  if (model.ok()) {
    std::vector<float> y(RESBLOCK_V1_OUTPUT_FEATURES_SIZE, NAN);
    nnm_status s = model.run(x.data(), y.data());
    check(s == NNM_OK, "resblock v1 (C++): run", status_text(s));
    if (s == NNM_OK) {
      why = compare(y.data(), want);
      check(why.empty(), "resblock v1 (C++): output matches onnxruntime", why);
    }
  }
  nnm_options opts;
  nnm_options_init(&opts);
  opts.num_threads = 1;
  resblock::v1::Model with_options(opts);
  check(with_options.ok(), "resblock v1 (C++): Model(const nnm_options &) is ok()",
        status_text(with_options.status()));
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: %s DATA_DIR   (the directory make_models.py wrote)\n", argv[0]);
    return 2;
  }
  g_data = argv[1];

  // What the headers promise, at compile time and at run time.
  static_assert(MLP_V1_VERSION_MAJOR == 1 && MLP_V2_VERSION_MAJOR == 2, "major versions");
  static_assert(MLP_V1_NUM_INPUTS == 1 && MLP_V1_NUM_OUTPUTS == 1, "mlp v1 signature");
  static_assert(MLP_V2_NUM_INPUTS == 1 && MLP_V2_NUM_OUTPUTS == 1, "mlp v2 signature");
  static_assert(LENET_V1_NUM_INPUTS == 1 && LENET_V1_NUM_OUTPUTS == 1, "lenet signature");
  static_assert(RESBLOCK_V1_NUM_INPUTS == 1 && RESBLOCK_V1_NUM_OUTPUTS == 1, "resblock");
  static_assert(MLP_V1_INPUT_X_SIZE == 32 && MLP_V1_OUTPUT_Y_SIZE == 16, "mlp v1 sizes");
  static_assert(MLP_V2_INPUT_X_SIZE == 32 && MLP_V2_OUTPUT_Y_SIZE == 16, "mlp v2 sizes");
  static_assert(LENET_V1_INPUT_IMAGE_SIZE == 784 && LENET_V1_OUTPUT_PROBS_SIZE == 10, "lenet");
  static_assert(RESBLOCK_V1_INPUT_X_SIZE == 800 && RESBLOCK_V1_OUTPUT_FEATURES_SIZE == 8, "rb");
  check(std::strcmp(MLP_V1_VERSION, "1.0.0") == 0 && std::strcmp(MLP_V2_VERSION, "2.0.0") == 0,
        "header version macros", std::string(MLP_V1_VERSION) + " / " + MLP_V2_VERSION);
  check(same_shape(mlp_v1_input_x_shape, MLP_V1_INPUT_X_RANK, {2, 16}) &&
            same_shape(mlp_v1_output_y_shape, MLP_V1_OUTPUT_Y_RANK, {2, 8}) &&
            same_shape(mlp_v2_input_x_shape, MLP_V2_INPUT_X_RANK, {2, 16}) &&
            same_shape(mlp_v2_output_y_shape, MLP_V2_OUTPUT_Y_RANK, {2, 8}) &&
            same_shape(lenet_v1_input_image_shape, LENET_V1_INPUT_IMAGE_RANK, {1, 1, 28, 28}) &&
            same_shape(lenet_v1_output_probs_shape, LENET_V1_OUTPUT_PROBS_RANK, {1, 10}) &&
            same_shape(resblock_v1_input_x_shape, RESBLOCK_V1_INPUT_X_RANK, {1, 8, 10, 10}) &&
            same_shape(resblock_v1_output_features_shape, RESBLOCK_V1_OUTPUT_FEATURES_RANK,
                       {1, 8}),
        "header shape arrays");

  check_model(Model<mlp_v1_context>{"mlp v1", "mlp", "x", "y", MLP_V1_INPUT_X_SIZE,
                                    MLP_V1_OUTPUT_Y_SIZE, mlp_v1_create,
                                    mlp_v1_run, mlp_v1_destroy, mlp_v1_version,
                                    mlp_v1_metadata_json, "1.0.0"});
  check_model(Model<mlp_v2_context>{"mlp v2", "mlp_v2", "x", "y", MLP_V2_INPUT_X_SIZE,
                                    MLP_V2_OUTPUT_Y_SIZE, mlp_v2_create,
                                    mlp_v2_run, mlp_v2_destroy, mlp_v2_version,
                                    mlp_v2_metadata_json, "2.0.0"});
  check_model(Model<lenet_v1_context>{"lenet v1", "lenet", "image", "probs",
                                      LENET_V1_INPUT_IMAGE_SIZE, LENET_V1_OUTPUT_PROBS_SIZE,
                                      lenet_v1_create, lenet_v1_run,
                                      lenet_v1_destroy, lenet_v1_version,
                                      lenet_v1_metadata_json, "1.0.0"});
  check_model(Model<resblock_v1_context>{"resblock v1", "resblock", "x", "features",
                                         RESBLOCK_V1_INPUT_X_SIZE,
                                         RESBLOCK_V1_OUTPUT_FEATURES_SIZE,
                                         resblock_v1_create,
                                         resblock_v1_run, resblock_v1_destroy,
                                         resblock_v1_version, resblock_v1_metadata_json,
                                         "1.0.0"});
  check_mlp_v1_threads();
  check_lenet_caller_arena();
  check_runs_allocate_nothing();
  check_run_packed_null_arrays();
  check_resblock_cpp_wrapper();

  std::printf("app: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
