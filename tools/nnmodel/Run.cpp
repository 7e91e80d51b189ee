//===- Run.cpp - nnmodel run: compile, link, load, run once ---------------===//
//
// Runs a model through the same ahead-of-time path as `compile`: the object
// is linked with the runtime into a temporary shared object, loaded with
// dlopen, and called through the generated `_run_packed` entry point.
//
//===----------------------------------------------------------------------===//
#include "Tool.h"

#include "nnm/Compiler/Driver.h"
#include "nnm/Compiler/TensorIO.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <dlfcn.h>

#include <iostream>
#include <map>
#include <set>

namespace nnm::tool {
namespace {

const char *kRunUsage = R"(usage: nnmodel run MODEL.onnx -i INPUT=FILE... -o DIR [--dim SYMBOL=N]... [--bind INPUT=FILE]...
                   [--kernels auto|dnnl|codegen]

Compiles MODEL.onnx for this machine, runs it once and writes DIR/<output>.npy
for every graph output. Inputs are .npy or ONNX TensorProto (.pb) files, matched
to graph inputs by name; every graph input needs one, except inputs fixed at
compile time with --bind (see nnmodel compile --help). --kernels is compile's.

environment:
  NNMODEL_LINKER        linker for the temporary shared object (default ld.lld)
  NNMODEL_RUNTIME_LIB   path of libnnmodel_runtime.a
)";

std::string findRuntimeLib() {
  if (const char *env = std::getenv("NNMODEL_RUNTIME_LIB"))
    return env;
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  llvm::SmallString<256> installed(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(installed, "lib", "libnnmodel_runtime.a");
  if (llvm::sys::fs::exists(installed))
    return installed.str().str();
#ifdef NNM_RUNTIME_LIB_BUILD
  if (llvm::sys::fs::exists(NNM_RUNTIME_LIB_BUILD))
    return NNM_RUNTIME_LIB_BUILD;
#endif
  return {};
}

std::string findLinker() {
  if (const char *env = std::getenv("NNMODEL_LINKER"))
    return env;
  for (const char *name : {"ld.lld", "ld.lld-22"})
    if (auto p = llvm::sys::findProgramByName(name))
      return *p;
  if (llvm::sys::fs::exists("/usr/lib/llvm-22/bin/ld.lld"))
    return "/usr/lib/llvm-22/bin/ld.lld";
  return {};
}

/// File name for an output: characters outside [A-Za-z0-9._-] become '_'.
std::string safeFileName(const std::string &name) {
  std::string s = name;
  for (char &c : s)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      c = '_';
  if (s.empty() || s == "." || s == "..")
    s = "_" + s;
  return s;
}

struct TempDir {
  llvm::SmallString<128> path;
  ~TempDir() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
};

} // namespace

int runCommand(const std::vector<std::string> &args) {
  CompileOptions o;
  o.name = "model";
  o.cpu = "native";
  o.emit = EmitKind::Obj;
  std::map<std::string, std::string> inputs;
  std::string outDir;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << kRunUsage;
      return 0;
    }
    bool hasValue = i + 1 < args.size();
    if (a == "-i" || a == "--input") {
      if (!hasValue)
        return fail("-i needs INPUT=FILE");
      std::string v = args[++i];
      size_t eq = v.rfind('=');
      if (eq == std::string::npos || eq == 0)
        return fail("-i needs INPUT=FILE, got '" + v + "'");
      inputs[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "-o" || a == "--output") {
      if (!hasValue)
        return fail("-o needs a directory");
      outDir = args[++i];
    } else if (a == "--bind") {
      std::string v = hasValue ? args[++i] : "";
      size_t eq = v.rfind('=');
      if (eq == std::string::npos || eq == 0)
        return fail("--bind needs INPUT=FILE");
      o.import.boundInputs[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "--dim") {
      std::string name;
      int64_t n;
      if (!hasValue || !parseDim(args[++i], name, n))
        return fail("--dim needs SYMBOL=N with N > 0");
      o.import.dims[name] = n;
    } else if (a == "--kernels") {
      if (!hasValue)
        return fail("--kernels needs auto, dnnl or codegen");
      o.kernels = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown option '" + a + "' (see nnmodel run --help)");
    } else if (o.modelPath.empty()) {
      o.modelPath = a;
    } else {
      return fail("more than one model given");
    }
  }
  if (o.modelPath.empty() || outDir.empty())
    return fail("a model and -o DIR are required (see nnmodel run --help)");
  if (auto ec = llvm::sys::fs::create_directories(outDir))
    return fail("cannot create '" + outDir + "': " + ec.message());

  CompiledModel model;
  std::vector<std::string> errors;
  if (!compileModel(o, model, errors))
    return fail(errors);
  const ModelInfo &info = model.info;

  // Inputs first: a wrong file should not cost a link. A name that matches no
  // graph input is a typo, not something to ignore.
  for (const auto &kv : inputs)
    if (llvm::none_of(info.inputs, [&](const TensorSig &s) { return s.name == kv.first; })) {
      std::string names;
      for (const TensorSig &s : info.inputs)
        names += (names.empty() ? "" : ", ") + s.name;
      return fail("-i " + kv.first + ": the graph has no input named '" + kv.first +
                  "' (its inputs: " + (names.empty() ? std::string("none") : names) + ")");
    }
  std::vector<HostTensor> ins(info.inputs.size());
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    const TensorSig &sig = info.inputs[i];
    auto it = inputs.find(sig.name);
    if (it == inputs.end())
      return fail("no file for graph input '" + sig.name + "' (-i " + sig.name + "=FILE)");
    std::string err;
    if (!readTensorFile(it->second, ins[i], err))
      return fail(err);
    if (ins[i].dtype != sig.dtype || ins[i].shape != sig.shape) {
      auto describe = [](DType t, const std::vector<int64_t> &shape) {
        return std::string(dtypeName(t)) + shapeText(shape);
      };
      return fail("input '" + sig.name + "' from '" + it->second + "' is " +
                  describe(ins[i].dtype, ins[i].shape) + "; the graph expects " +
                  describe(sig.dtype, sig.shape));
    }
    inputs.erase(it);
  }
  if (!inputs.empty())
    return fail("the graph has no input named '" + inputs.begin()->first + "'");

  TempDir tmp;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("nnmodel-run", tmp.path))
    return fail("cannot create a temporary directory: " + ec.message());
  std::string so = (tmp.path + "/model.so").str(), err;
  std::vector<std::string> objs;
  for (const Blob &b : model.serialized.objects) {
    objs.push_back((tmp.path + "/" + b.name).str());
    if (!writeFileAtomically(objs.back(), b.bytes, err))
      return fail(err);
  }
  std::string linker = findLinker(), runtime = findRuntimeLib();
  if (linker.empty())
    return fail("no ld.lld found; set NNMODEL_LINKER");
  if (runtime.empty())
    return fail("libnnmodel_runtime.a not found; set NNMODEL_RUNTIME_LIB");
  std::vector<llvm::StringRef> cmd = {linker, "-shared", "-o", so};
  cmd.insert(cmd.end(), objs.begin(), objs.end());
  cmd.push_back(runtime);
  std::string linkErr;
  if (llvm::sys::ExecuteAndWait(linker, cmd, std::nullopt, {}, 0, 0, &linkErr) != 0)
    return fail("linking the temporary shared object failed" +
                (linkErr.empty() ? std::string() : ": " + linkErr));

  void *lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return fail(std::string("cannot load the compiled model: ") + dlerror());
  std::string p = info.symbolPrefix();
  using CreateFn = int (*)(const void *, void **);
  using RunFn = int (*)(void *, void *const *, void *const *);
  using DestroyFn = void (*)(void *);
  auto create = reinterpret_cast<CreateFn>(dlsym(lib, (p + "_create").c_str()));
  auto run = reinterpret_cast<RunFn>(dlsym(lib, (p + "_run_packed").c_str()));
  auto destroy = reinterpret_cast<DestroyFn>(dlsym(lib, (p + "_destroy").c_str()));
  if (!create || !run || !destroy)
    return dlclose(lib), fail("the compiled model lacks its entry points");

  std::vector<HostTensor> outs(info.outputs.size());
  std::vector<void *> inPtrs, outPtrs;
  // A zero-element tensor still needs a non-null pointer.
  char dummy = 0;
  auto pointer = [&](HostTensor &t) -> void * { return t.data.empty() ? &dummy : t.data.data(); };
  for (HostTensor &t : ins)
    inPtrs.push_back(pointer(t));
  for (size_t i = 0; i < outs.size(); ++i) {
    outs[i].dtype = info.outputs[i].dtype;
    outs[i].shape = info.outputs[i].shape;
    outs[i].data.assign(info.outputs[i].numElements() * dtypeBytes(outs[i].dtype), 0);
    outPtrs.push_back(pointer(outs[i]));
  }
  void *ctx = nullptr;
  int status = create(nullptr, &ctx);
  if (status == 0)
    status = run(ctx, inPtrs.data(), outPtrs.data());
  destroy(ctx);
  dlclose(lib);
  if (status != 0)
    return fail("the model returned status " + std::to_string(status));
  // Names that map to the same file ("o/1" and "o_1") get the output's index.
  std::set<std::string> used;
  for (size_t i = 0; i < outs.size(); ++i) {
    std::string file = safeFileName(info.outputs[i].name);
    if (!used.insert(file).second) {
      file += "." + std::to_string(i);
      used.insert(file);
    }
    std::string path = outDir + "/" + file + ".npy";
    if (!writeNpy(path, outs[i], err))
      return fail(err);
  }
  return 0;
}

} // namespace nnm::tool
