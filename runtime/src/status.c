/*===- status.c - Status code names ----------------------------------------===*/
#include "nnmodel/runtime.h"

const char *nnm_status_string(nnm_status status) {
  switch (status) {
  case NNM_OK: return "ok";
  case NNM_INVALID_ARGUMENT: return "invalid argument";
  case NNM_OUT_OF_MEMORY: return "out of memory";
  case NNM_ARENA_TOO_SMALL: return "caller-provided arena is too small";
  case NNM_ARENA_MISALIGNED: return "caller-provided arena is not 64-byte aligned";
  case NNM_NO_DEVICE: return "no device for this model's target";
  case NNM_INTERNAL_ERROR: return "internal error";
  }
  return "unknown status";
}
