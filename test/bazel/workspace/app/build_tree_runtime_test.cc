// Links @nnmodel_build_tree//:runtime (libnnmodel_runtime.a of a CMake build tree,
// header from its source tree) and calls it.
#include <nnmodel/runtime.h>

#include <cstdio>
#include <cstring>

int main() {
  const char *ok = nnm_status_string(NNM_OK);
  nnm_options opts;
  nnm_options_init(&opts);
  if (!ok || !*ok) {
    std::printf("FAIL nnm_status_string(NNM_OK) is empty\n");
    return 1;
  }
  std::printf("PASS runtime from the build tree: NNM_OK is \"%s\"\n", ok);
  return 0;
}
