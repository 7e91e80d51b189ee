/*===- app_c.c - A cuda library linked into a C program --------------------===*/
/* Creating a context of a cuda model on a machine without CUDA must return
 * NNM_NO_DEVICE and leave the output NULL; with a device it must succeed.
 * Usage: app_c     (exit 0 when the status is one of those two outcomes) */
#include "mlp/mlp.h"

#include <stdio.h>

int main(void) {
  int32_t devices = -1;
  nnm_status counted = nnm_cuda_device_count(&devices);
  mlp_v1_cuda_context *ctx = NULL;
  nnm_cuda_options options;
  nnm_cuda_options_init(&options);
  nnm_status created = mlp_v1_cuda_create(&options, &ctx);
  printf("devices %d (%s); create: %s\n", (int)devices, nnm_status_string(counted),
         nnm_status_string(created));
  if (counted == NNM_NO_DEVICE)
    return created == NNM_NO_DEVICE && ctx == NULL ? 0 : 1;
  mlp_v1_cuda_destroy(ctx);
  return created == NNM_OK ? 0 : 1;
}
