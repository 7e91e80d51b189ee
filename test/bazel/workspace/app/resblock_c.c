/* The generated header included from C, by its short name (the target's directory). */
#include "resblock.h"
#include "resblock_c.h"

#include <nnmodel/runtime.h>

int resblock_c_run(const float *x, float *y) {
  nnm_options opts;
  resblock_v1_context *ctx = 0;
  nnm_status s;
  nnm_options_init(&opts);
  s = resblock_v1_create(&opts, &ctx);
  if (s != NNM_OK)
    return (int)s;
  s = resblock_v1_run(ctx, x, y);
  resblock_v1_destroy(ctx);
  return (int)s;
}

const char *resblock_c_version(void) { return resblock_v1_version(); }
const char *resblock_c_metadata(void) { return resblock_v1_metadata_json(); }
int resblock_c_input_size(void) { return RESBLOCK_V1_INPUT_X_SIZE; }
int resblock_c_output_size(void) { return RESBLOCK_V1_OUTPUT_FEATURES_SIZE; }
