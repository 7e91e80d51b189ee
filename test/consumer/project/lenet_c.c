/* The model headers work from C: lenet through its C API. */
#include "lenet.h"

int consumer_run_lenet_c(const float *image, float *probs) {
  lenet_v1_context *ctx = 0;
  nnm_options opts;
  nnm_options_init(&opts);
  nnm_status s = lenet_v1_create(&opts, &ctx);
  if (s != NNM_OK)
    return (int)s;
  s = lenet_v1_run(ctx, image, probs);
  lenet_v1_destroy(ctx);
  return (int)s;
}
