/*===- parallel.c - Generated kernels split across a context's threads -----===*/
/* nnm_parallel_for runs on libgomp's thread pool, the one oneDNN uses here, so
 * generated loops and library kernels share one set of threads. GOMP_parallel
 * is libgomp's stable entry point (what GCC emits for `omp parallel`); calling
 * it directly keeps the runtime free of -fopenmp. */
#include "context_internal.h"
#include "nnmodel/kernels.h"

extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads,
                          unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);

/* libgomp is not built with ThreadSanitizer, so the hand-off it makes (the job
 * written before GOMP_parallel, read by the workers; their results read after it
 * returns) is invisible to TSan. Under TSan the same ordering is stated with its
 * annotations; elsewhere they compile to nothing. */
#if defined(__SANITIZE_THREAD__)
#define NNM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NNM_TSAN 1
#endif
#endif
#ifdef NNM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define NNM_HANDOFF_RELEASE(p) __tsan_release(p)
#define NNM_HANDOFF_ACQUIRE(p) __tsan_acquire(p)
#else
#define NNM_HANDOFF_RELEASE(p) ((void)(p))
#define NNM_HANDOFF_ACQUIRE(p) ((void)(p))
#endif

typedef struct job {
  nnm_task task;
  void *args;
  int64_t n;
} job;

/* Thread t of nt takes [n*t/nt, n*(t+1)/nt): contiguous, balanced, disjoint. */
static void worker(void *p) {
  const job *j = (const job *)p;
  NNM_HANDOFF_ACQUIRE(p);
  int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
  int64_t lo = j->n / nt * t + (t < j->n % nt ? t : j->n % nt);
  int64_t hi = lo + j->n / nt + (t < j->n % nt ? 1 : 0);
  if (lo < hi)
    j->task(j->args, lo, hi);
  NNM_HANDOFF_RELEASE(p);
}

void nnm_parallel_for(nnm_context *ctx, nnm_task task, void *args, int64_t n) {
  if (n <= 0)
    return;
  int64_t threads = ctx && ctx->num_threads > 1 ? ctx->num_threads : 1;
  if (threads > n)
    threads = n;
  if (threads <= 1) {
    task(args, 0, n);
    return;
  }
  job j = {task, args, n};
  NNM_HANDOFF_RELEASE(&j);
  GOMP_parallel(worker, &j, (unsigned)threads, 0);
  NNM_HANDOFF_ACQUIRE(&j);
}
