//===- nnmodel.cpp - nnmodel compile | inspect | run ----------------------===//
#include "Tool.h"

#include "nnm/Compiler/Driver.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

using namespace nnm;

namespace nnm::tool {

int fail(const std::string &msg) {
  std::cerr << "nnmodel: error: " << msg << "\n";
  return 1;
}

int fail(const std::vector<std::string> &msgs) {
  for (const std::string &m : msgs)
    std::cerr << "nnmodel: error: " << m << "\n";
  if (msgs.size() > 1)
    std::cerr << "nnmodel: " << msgs.size() << " errors\n";
  return 1;
}

bool parseDim(const std::string &text, std::string &name, int64_t &value) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return false;
  name = text.substr(0, eq);
  try {
    size_t used;
    value = std::stoll(text.substr(eq + 1), &used);
    return used == text.size() - eq - 1 && value > 0;
  } catch (...) {
    return false;
  }
}

} // namespace nnm::tool

namespace {

const char *kUsage = R"(usage: nnmodel <command> [options]

commands:
  compile   compile an ONNX model into a static library, header and metadata
  run       compile a model and run it once on input files (.npy or .pb)
  inspect   print the metadata embedded in a compiled library

'nnmodel <command> --help' describes each command.
)";

const char *kCompileUsage = R"(usage: nnmodel compile MODEL.onnx --name NAME -o DIR [options]

Writes DIR/libNAME.a, DIR/NAME.h and DIR/NAME.json (atomically).

options:
  --name NAME            C identifier; exported symbols are NAME_v<major>_*
  --version X.Y.Z        model version (default 0.1.0)
  -o, --output DIR       output directory, created if missing (default .)
  --dim SYMBOL=N         pin a symbolic input dimension (repeatable)
  --bind INPUT=FILE      fix a graph input's value at compile time (.npy or .pb); it
                         becomes a constant and leaves the API (repeatable)
  --target NAME          back end (default cpu, list below); repeat it for one
                         library with several (--target cpu --target cuda)
  --target-triple T      default x86_64-unknown-linux-gnu
  --cpu CPU              default: x86-64-v2 on x86-64, generic elsewhere;
                         'native' for this machine's CPU
  --kernels K            who runs convolutions, matrix products and pools:
                         auto: oneDNN where the op is large enough to pay for a
                         library call (default for cpu on x86-64; the program
                         links oneDNN); dnnl: oneDNN wherever it can;
                         codegen: generated loops only (the default elsewhere)
  --cuda-arch LIST       cuda target: comma-separated device architectures, one
                         cubin each, plus PTX of the newest for later GPUs
                         (default sm_80,sm_90; sm_75 or newer)
  --cuda-path DIR        the CUDA toolkit with bin/ptxas and nvvm/libdevice
                         (default $CUDA_PATH, else /usr/local/cuda)
  --emit KIND            onnx-mlir | linalg | llvm | obj | lib (default lib)
  --max-tensor-bytes N   resource limits; a model past one is refused with a
  --max-constant-bytes N message naming the flag. N takes a K, M, G or T suffix
  --max-arena-bytes N    (powers of 1024). Defaults: 16G for any one tensor, 16G
  --max-nodes N          for all constants, 64G for one context's arena, 1000000
                         nodes (control-flow bodies included)
  -q, --quiet            print nothing on success (default: one line with the
                         library's size, arena, weights and compile time, and
                         the files written)
  -v, --verbose          print each stage as it starts, with the time so far
                         (the default when standard error is a terminal)
  --mlir-...             MLIR's pass-manager options, over every stage of the one
                         pipeline: --mlir-print-ir-after-all, --mlir-print-ir-before=PASS,
                         --mlir-timing, --mlir-pass-statistics,
                         --mlir-pass-pipeline-crash-reproducer=FILE, ...
  -h, --help             show this help
)";

const char *kInspectUsage = R"(usage: nnmodel inspect LIB.a [--json]

Prints the metadata embedded in a library built by 'nnmodel compile':
name, version, source SHA-256, producer, opsets, compiler, target, signature,
weight and arena bytes. --json prints the JSON document instead.
)";

bool isHelp(const std::string &a) { return a == "-h" || a == "--help"; }

/// "N" with an optional K/M/G/T (1024-based) suffix, N > 0, no overflow.
bool parseSize(const std::string &text, int64_t &out) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0 || digits > 18 || text.size() > digits + 1)
    return false;
  int64_t n = std::stoll(text.substr(0, digits)), scale = 1;
  if (digits < text.size()) {
    const std::string units = "KMGT";
    size_t u = units.find(char(std::toupper(static_cast<unsigned char>(text[digits]))));
    if (u == std::string::npos)
      return false;
    scale = int64_t(1) << (10 * (u + 1));
  }
  return n > 0 && !__builtin_mul_overflow(n, scale, &out);
}

/// Hands --mlir-* options to MLIR's own command-line parser (pass manager
/// instrumentation, timing, IR printing, crash reproducers).
bool parseMlirOptions(const std::vector<std::string> &mlirArgs) {
  if (mlirArgs.empty())
    return true;
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  std::vector<const char *> argv = {"nnmodel compile"};
  for (const std::string &a : mlirArgs)
    argv.push_back(a.c_str());
  return llvm::cl::ParseCommandLineOptions(int(argv.size()), argv.data(), "", &llvm::errs());
}

int compileCommand(const std::vector<std::string> &args) {
  CompileOptions o;
  o.outputDir = ".";
  std::vector<std::string> mlirArgs;
  bool quiet = false, verbose = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto value = [&](std::string &dst) {
      if (i + 1 >= args.size())
        return false;
      dst = args[++i];
      return true;
    };
    std::string v;
    if (isHelp(a)) {
      std::cout << kCompileUsage << "\nback ends (--target):\n";
      for (const TargetBackend *b : allBackends())
        std::cout << "  " << b->name() << std::string(23 - std::string(b->name()).size(), ' ')
                  << b->summary() << "\n";
      return 0;
    } else if (a == "--name") {
      if (!value(o.name)) return tool::fail("--name needs a value");
    } else if (a == "--version") {
      if (!value(o.version)) return tool::fail("--version needs a value");
    } else if (a == "-o" || a == "--output") {
      if (!value(o.outputDir)) return tool::fail("-o needs a directory");
    } else if (a == "--target") {
      if (!value(v)) return tool::fail("--target needs a value");
      o.targets.push_back(v);
    } else if (a == "--target-triple") {
      if (!value(o.targetTriple)) return tool::fail("--target-triple needs a value");
    } else if (a == "--cpu") {
      if (!value(o.cpu)) return tool::fail("--cpu needs a value");
    } else if (a == "--cuda-arch") {
      if (!value(v) || v.empty()) return tool::fail("--cuda-arch needs a list like sm_80,sm_90");
      for (size_t start = 0; start <= v.size();) {
        size_t comma = v.find(',', start);
        if (comma == std::string::npos)
          comma = v.size();
        o.cudaArchs.push_back(v.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (a == "--cuda-path") {
      if (!value(o.cudaPath)) return tool::fail("--cuda-path needs a directory");
    } else if (a == "--kernels") {
      if (!value(o.kernels)) return tool::fail("--kernels needs a value");
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else if (a == "--dim") {
      std::string name;
      int64_t n;
      if (!value(v) || !tool::parseDim(v, name, n))
        return tool::fail("--dim needs SYMBOL=N with N > 0");
      o.import.dims[name] = n;
    } else if (a == "--bind") {
      size_t eq;
      if (!value(v) || (eq = v.rfind('=')) == std::string::npos || eq == 0)
        return tool::fail("--bind needs INPUT=FILE");
      o.import.boundInputs[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "--max-tensor-bytes" || a == "--max-constant-bytes" ||
               a == "--max-arena-bytes" || a == "--max-nodes") {
      ResourceLimits &l = o.import.limits;
      int64_t &dst = a == "--max-tensor-bytes"     ? l.maxTensorBytes
                     : a == "--max-constant-bytes" ? l.maxConstantBytes
                     : a == "--max-arena-bytes"    ? l.maxArenaBytes
                                                   : l.maxNodes;
      if (!value(v) || !parseSize(v, dst))
        return tool::fail(a + " needs a positive count, e.g. 4G");
    } else if (a == "--emit") {
      if (!value(v)) return tool::fail("--emit needs a value");
      if (v == "onnx-mlir") o.emit = EmitKind::OnnxMlir;
      else if (v == "linalg") o.emit = EmitKind::Linalg;
      else if (v == "llvm") o.emit = EmitKind::Llvm;
      else if (v == "obj") o.emit = EmitKind::Obj;
      else if (v == "lib") o.emit = EmitKind::Lib;
      else return tool::fail("--emit must be onnx-mlir, linalg, llvm, obj or lib");
    } else if (a.rfind("--mlir-", 0) == 0) {
      mlirArgs.push_back(a);
    } else if (!a.empty() && a[0] == '-') {
      return tool::fail("unknown option '" + a + "' (see nnmodel compile --help)");
    } else if (o.modelPath.empty()) {
      o.modelPath = a;
    } else {
      return tool::fail("more than one model given ('" + o.modelPath + "', '" + a + "')");
    }
  }
  if (!parseMlirOptions(mlirArgs))
    return tool::fail("invalid --mlir-* option (see nnmodel compile --help)");
  if (o.modelPath.empty())
    return tool::fail("no model given (see nnmodel compile --help)");
  if (o.name.empty())
    return tool::fail("--name is required");
  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (verbose || (!quiet && isatty(fileno(stderr))))
    o.progress = [&](const std::string &stage) {
      std::fprintf(stderr, "nnmodel: [%6.1f s] %s\n", seconds(), stage.c_str());
    };
  CompiledModel model;
  std::vector<std::string> errors, written;
  if (!compileModel(o, model, errors))
    return tool::fail(errors);
  // Created only now: a failed compile leaves no empty directory behind.
  if (auto ec = llvm::sys::fs::create_directories(o.outputDir))
    return tool::fail("cannot create output directory '" + o.outputDir + "': " + ec.message());
  if (!writeArtifacts(o, model, written, errors)) {
    for (const std::string &w : written) // never leave a partial set behind
      llvm::sys::fs::remove(w);
    return tool::fail(errors);
  }
  if (!quiet) {
    uint64_t libBytes = 0;
    for (const std::string &w : written)
      if (llvm::StringRef(w).ends_with(".a"))
        llvm::sys::fs::file_size(w, libBytes);
    char timing[32];
    std::snprintf(timing, sizeof timing, "%.1f s", seconds());
    std::cout << "nnmodel: " << model.info.name << " " << model.info.version << " (";
    for (const nnm::TargetBuild &t : model.info.targets) {
      std::cout << t.target << ": ";
      if (t.libraryKernels)
        std::cout << t.libraryKernels << " ops on " << (t.target == "cuda" ? "cuBLAS/cuDNN" : "oneDNN")
                  << ", ";
      std::cout << "arena " << t.arenaBytes << " bytes, weights " << t.weightBytes
                << " bytes; ";
    }
    std::cout << "library " << libBytes << " bytes, " << timing << ") ->";
    for (const std::string &w : written)
      std::cout << " " << w;
    std::cout << "\n";
  }
  return 0;
}

int inspectCommand(const std::vector<std::string> &args) {
  std::string path;
  bool json = false;
  for (const std::string &a : args) {
    if (isHelp(a)) {
      std::cout << kInspectUsage;
      return 0;
    }
    if (a == "--json")
      json = true;
    else if (!a.empty() && a[0] == '-')
      return tool::fail("unknown option '" + a + "' (see nnmodel inspect --help)");
    else if (path.empty())
      path = a;
    else
      return tool::fail("more than one library given");
  }
  if (path.empty())
    return tool::fail("no library given (see nnmodel inspect --help)");
  std::string text, err;
  if (!readEmbeddedMetadata(path, text, err))
    return tool::fail(err);
  if (json) {
    std::cout << text;
    return 0;
  }
  ModelInfo info;
  if (!fromJson(text, info, err))
    return tool::fail("malformed metadata in '" + path + "': " + err);
  std::cout << toText(info);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || isHelp(args[0])) {
    std::cout << kUsage;
    return args.empty() ? 1 : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "compile")
    return compileCommand(args);
  if (cmd == "inspect")
    return inspectCommand(args);
  if (cmd == "run")
    return tool::runCommand(args);
  if (cmd == "--version") {
    std::cout << "nnmodel " << kCompilerVersion << "\n";
    return 0;
  }
  return tool::fail("unknown command '" + cmd + "'\n" + kUsage);
}
