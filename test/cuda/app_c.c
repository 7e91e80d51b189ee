/*===- app_c.c - A cuda library linked into a C program --------------------===*/
/* A cpu+cuda library: its CPU context runs here; creating its CUDA context on a
 * machine without CUDA must return NNM_NO_DEVICE and leave the output NULL,
 * and with a device it must succeed.
 * Usage: app_c     (exit 0 when the CPU run worked and the CUDA status is one of
 *                   those two outcomes) */
#include "mlp/mlp.h"

#include <stdio.h>

int main(void) {
  float x[MLP_V1_INPUT_X_SIZE], y[MLP_V1_OUTPUT_Y_SIZE];
  for (int i = 0; i < MLP_V1_INPUT_X_SIZE; ++i)
    x[i] = (float)(i % 7) * 0.25f - 0.5f;
  mlp_v1_context *cpu = NULL;
  nnm_status ran = mlp_v1_create(NULL, &cpu);
  if (ran == NNM_OK)
    ran = mlp_v1_run(cpu, x, y);
  mlp_v1_destroy(cpu);
  printf("cpu run: %s\n", nnm_status_string(ran));
  if (ran != NNM_OK)
    return 1;

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
