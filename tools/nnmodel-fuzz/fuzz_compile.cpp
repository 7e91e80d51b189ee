//===- fuzz_compile.cpp - libFuzzer target over import + compile ----------===//
//
// Each input is taken as the bytes of an .onnx file and goes through the same
// library call as `nnmodel compile --emit llvm`: parse, validate, import, the
// ONNX-level passes, lowering, bufferization and translation to LLVM IR (the
// object-code step is left out: it only sees IR our own passes produced, and it
// would cut the executions per second tenfold).
//
// The contract being fuzzed is the one `nnmodel compile` promises: any input
// either compiles or is refused with messages; never a crash, a sanitizer
// report, a hang or memory past the limits (libFuzzer's -timeout and
// -rss_limit_mb enforce the last two). A refusal must say something.
//
// External data is resolved relative to the model's directory, so each input is
// written to a private scratch directory that holds nothing else.
//===----------------------------------------------------------------------===//
#include "nnm/Compiler/Driver.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

std::string scratchModelPath() {
  static std::string path = [] {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/nnmodel-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      std::perror("nnmodel-fuzz: mkdtemp");
      std::abort();
    }
    return tmpl + "/model.onnx";
  }();
  return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = scratchModelPath();
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror("nnmodel-fuzz: fopen");
    std::abort();
  }
  if (size && std::fwrite(data, 1, size, f) != size) {
    std::perror("nnmodel-fuzz: fwrite");
    std::abort();
  }
  std::fclose(f);

  nnm::CompileOptions options;
  options.modelPath = path;
  options.name = "fuzz";
  options.emit = nnm::EmitKind::Llvm;
  // Limits of a small machine: an input past them must be refused with the
  // limit's message, and one within them must stay within libFuzzer's
  // -rss_limit_mb (the run's memory check).
  nnm::ResourceLimits &limits = options.import.limits;
  limits.maxTensorBytes = int64_t(64) << 20;
  limits.maxConstantBytes = int64_t(256) << 20;
  limits.maxArenaBytes = int64_t(1) << 30;
  limits.maxNodes = 20000;
  nnm::CompiledModel model;
  std::vector<std::string> errors;
  if (!nnm::compileModel(options, model, errors)) {
    // A refusal without a message is a bug of its own: the user would see a bare
    // failure. Make it a finding.
    if (errors.empty()) {
      std::fprintf(stderr, "nnmodel-fuzz: compile failed without a message\n");
      std::abort();
    }
  }
  return 0;
}
