/* resblock v1 through the generated C API (see resblock_c.c). */
#ifndef NNMODEL_BAZEL_TEST_RESBLOCK_C_H
#define NNMODEL_BAZEL_TEST_RESBLOCK_C_H

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a context, runs it once on x (800 floats) into y (8 floats), destroys
   it; returns the nnm_status as an int (0 is NNM_OK). */
int resblock_c_run(const float *x, float *y);
const char *resblock_c_version(void);
const char *resblock_c_metadata(void);
int resblock_c_input_size(void);
int resblock_c_output_size(void);

#ifdef __cplusplus
}
#endif

#endif
