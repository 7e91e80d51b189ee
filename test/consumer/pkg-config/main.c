/* Built and linked with nothing but `pkg-config --cflags --libs nnmodel`: the
 * installed runtime, including its oneDNN part (the workspace query pulls it in). */
#include <nnmodel/kernels.h>
#include <nnmodel/runtime.h>

#include <stdio.h>

int main(void) {
  nnm_context *ctx = NULL;
  nnm_status s = nnm_context_create(64, NULL, &ctx);
  int64_t desc[NNM_KW_COUNT] = {0}, bytes = 0;
  desc[NNM_KW_KIND] = 0; /* no such kind: the query must say so */
  int q = nnm_kernel_workspace_bytes(desc, &bytes, NULL, 0);
  printf("context: %s, unknown kernel refused: %s\n", nnm_status_string(s), q ? "yes" : "no");
  nnm_context_destroy(ctx);
  return s == NNM_OK && q != 0 ? 0 : 1;
}
