//===- Compile.cpp - The compile flow: import, pipeline, codegen ----------===//
#include "nnm/Compiler/Backend.h"
#include "nnm/Compiler/Driver.h"
#include "nnm/Passes/Cpu/Passes.h"
#include "nnm/Passes/Gpu/Passes.h"
#include "nnm/Passes/Memory/Passes.h"
#include "nnm/Passes/Pipelines.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Signals.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir;

namespace nnm {
namespace {

/// Collects MLIR diagnostics as "location: message" lines.
struct DiagnosticCollector {
  DiagnosticCollector(MLIRContext &ctx, std::vector<std::string> &errors)
      : handler(&ctx, [&errors](Diagnostic &d) {
          if (d.getSeverity() != DiagnosticSeverity::Error)
            return success();
          std::string s;
          llvm::raw_string_ostream os(s);
          if (auto name = dyn_cast<NameLoc>(d.getLocation()))
            os << "node '" << name.getName().getValue() << "': ";
          os << d.str();
          errors.push_back(s);
          return success();
        }) {}
  ScopedDiagnosticHandler handler;
};

std::string printOp(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->print(os, OpPrintingFlags().elideLargeElementsAttrs(64));
  os << "\n";
  return s;
}

/// The target description as the module attribute every stage can read.
DictionaryAttr targetAttr(MLIRContext &ctx, const TargetDescription &t) {
  Builder b(&ctx);
  return b.getDictionaryAttr({
      b.getNamedAttr("backend", b.getStringAttr(t.backend)),
      b.getNamedAttr("triple", b.getStringAttr(t.triple)),
      b.getNamedAttr("cpu", b.getStringAttr(t.cpu)),
      b.getNamedAttr("features", b.getStringAttr(t.features)),
      b.getNamedAttr("vector_bits", b.getI64IntegerAttr(t.vectorBits)),
      b.getNamedAttr("kernels", b.getStringAttr(t.kernels)),
  });
}

/// Reads what the pipeline decided back into the ABI description: output
/// types (recorded by nnm-memref-abi), and into `build` the arena bytes
/// (nnm-arena-plan), library kernels and the bytes of constant data left in
/// the module.
bool readSignature(ModuleOp module, ModelInfo &info, TargetBuild &build,
                   std::vector<std::string> &errors) {
  Operation *graph = module.lookupSymbol(kGraphFunction);
  auto types = graph ? graph->getAttrOfType<ArrayAttr>(memory::kResultTypesAttr) : ArrayAttr();
  if (!types || types.size() != info.outputs.size()) {
    errors.push_back("internal error: the graph function lost its signature");
    return false;
  }
  for (size_t i = 0; i < info.outputs.size(); ++i) {
    auto t = cast<RankedTensorType>(cast<TypeAttr>(types[i]).getValue());
    if (!fromMlirType(t.getElementType(), info.outputs[i].dtype) ||
        !elementType(info.outputs[i].dtype).supported) {
      errors.push_back("output '" + info.outputs[i].name + "' has unsupported element type");
      return false;
    }
    info.outputs[i].shape.assign(t.getShape().begin(), t.getShape().end());
  }
  if (auto a = graph->getAttrOfType<IntegerAttr>(memory::kArenaBytesAttr))
    build.arenaBytes = a.getInt();
  if (auto table = module->getAttrOfType<ArrayAttr>(cpu::kKernelTableAttr))
    build.libraryKernels = table.size();
  if (auto calls = module->getAttrOfType<IntegerAttr>(gpu::kBlasAttr))
    build.libraryKernels = calls.getInt();
  if (auto convs = module->getAttrOfType<ArrayAttr>(gpu::kDnnAttr))
    build.libraryKernels += convs.size();
  module.walk([&](LLVM::GlobalOp g) {
    if (g.getConstant())
      if (auto v = dyn_cast_or_null<ElementsAttr>(g.getValueOrNull())) {
        auto t = cast<ShapedType>(v.getType());
        build.weightBytes += t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
      }
  });
  return true;
}

/// One target of a compile: its back end and resolved description.
struct TargetJob {
  const TargetBackend *backend = nullptr;
  TargetDescription target;
};

/// Checks the --target list and resolves each target. Several targets share a
/// library when their exported APIs differ (cpu with cuda); the first defines
/// the library's identity, the others are tagged (TargetDescription::libraryTag).
bool resolveTargets(const CompileOptions &o, std::vector<TargetJob> &jobs,
                    std::vector<std::string> &errors) {
  std::vector<std::string> names;
  for (const std::string &t : o.targets)
    if (std::find(names.begin(), names.end(), t) == names.end())
      names.push_back(t);
  if (names.empty())
    names.push_back("cpu");
  std::string available;
  for (const TargetBackend *b : allBackends())
    available += (available.empty() ? "" : ", ") + std::string(b->name());
  for (const std::string &t : names) {
    const TargetBackend *backend = lookupBackend(t);
    if (!backend) {
      errors.push_back("--target '" + t + "' is not available (targets: " + available + ")");
      continue;
    }
    for (const TargetJob &other : jobs)
      if (std::string(other.backend->apiName()) == backend->apiName())
        errors.push_back("--target " + other.target.backend + " and --target " + t +
                         " cannot share a library: both define the " +
                         (*backend->apiName() ? std::string(backend->apiName()) : "host") +
                         " API (" + o.name + "_vN_" +
                         (*backend->apiName() ? std::string(backend->apiName()) + "_" : "") +
                         "create, ...); compile them into two libraries");
    TargetJob job;
    job.backend = backend;
    job.target.backend = backend->name();
    jobs.push_back(std::move(job));
  }
  bool cuda = std::any_of(jobs.begin(), jobs.end(),
                          [](const TargetJob &j) { return j.target.backend == "cuda"; });
  if (!cuda && !o.cudaArchs.empty())
    errors.push_back("--cuda-arch applies to --target cuda, which was not asked for");
  if (!cuda && !o.cudaPath.empty())
    errors.push_back("--cuda-path applies to --target cuda, which was not asked for");
  if (errors.empty() && jobs.size() > 1 && o.emit != EmitKind::Lib && o.emit != EmitKind::Obj)
    errors.push_back("--emit onnx-mlir, linalg and llvm show one target's code: pass one "
                     "--target");
  if (!errors.empty())
    return false;
  for (size_t i = 0; i < jobs.size(); ++i) {
    TargetDescription &t = jobs[i].target;
    t.triple = o.targetTriple;
    t.cpu = o.cpu;
    t.kernels = o.kernels;
    if (t.backend == "cuda") { // the device options of --cuda-arch and --cuda-path
      t.deviceArchs = o.cudaArchs;
      t.cudaPath = o.cudaPath;
    }
    t.libraryTag = i == 0 ? "" : t.backend;
    std::string error;
    if (!jobs[i].backend->resolveTarget(t, error)) {
      errors.push_back(jobs.size() > 1 ? "--target " + t.backend + ": " + error : error);
      return false;
    }
  }
  return true;
}

/// Import, the pipeline of `job`'s back end, and (for obj and lib) its
/// serialization into `serialized`, in a context of its own that is gone on
/// return. Fills `info`'s signature and `info.targets[index]`; the first target
/// of a library runs last, when every build is known, because it embeds the
/// metadata and build id.
bool compileTarget(const CompileOptions &o, const TargetJob &job, size_t index,
                   ModelInfo &info, std::string &text, SerializedTarget &serialized,
                   std::vector<std::string> &errors) {
  const TargetBackend *backend = job.backend;
  const TargetDescription &target = job.target;
  TargetBuild &build = info.targets[index];
  DialectRegistry registry;
  registerDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // Held by pointer: serialization releases the MLIR side (whose attributes hold
  // a copy of every weight) once it has LLVM IR, before code generation peaks.
  auto ctx = std::make_unique<MLIRContext>(registry, MLIRContext::Threading::DISABLED);
  auto diags = std::make_unique<DiagnosticCollector>(*ctx, errors);

  auto stage = [&](const std::string &what) {
    if (o.progress)
      o.progress(info.targets.size() > 1 ? what + " (" + target.backend + ")" : what);
  };
  stage("importing and checking the graph");
  ImportOptions importOptions = o.import;
  importOptions.keepSymbolicDims = o.emit == EmitKind::OnnxMlir; // printing needs no static shape
  info.opsets.clear(); // the import fills these again, the same for every target
  info.inputs.clear();
  info.outputs.clear();
  OwningOpRef<ModuleOp> module = importOnnxFile(*ctx, o.modelPath, importOptions, info, errors);
  if (!module)
    return false;
  (*module)->setAttr(kTargetAttr, targetAttr(*ctx, target));
  if (o.emit == EmitKind::OnnxMlir) {
    text = printOp(*module);
    return true;
  }

  // One PassManager for every stage, so MLIR's instrumentation options see all.
  auto pmOwner = std::make_unique<PassManager>(ctx.get());
  PassManager &pm = *pmOwner;
  if (llvm::cl::getRegisteredOptions().count("mlir-print-ir-after-all")) {
    // The tool registered MLIR's options (registerPassManagerCLOptions & co).
    if (failed(applyPassManagerCLOptions(pm))) {
      errors.push_back("invalid --mlir-* pass manager options");
      return false;
    }
    applyDefaultTimingPassManagerCLOptions(pm);
  }
  stage("optimizing and lowering");
  buildOnnxPreparePipeline(pm);
  backend->buildGraphTransforms(pm);
  buildLowerToLinalgPipeline(pm);
  if (o.emit != EmitKind::Linalg) {
    backend->buildConfigure(pm);
    backend->buildTensorTransforms(pm);
    backend->buildBufferizeAndLower(pm, target);
  }
  if (failed(pm.run(*module)))
    return false;
  if (o.emit == EmitKind::Linalg) {
    text = printOp(*module);
    return true;
  }
  if (!readSignature(*module, info, build, errors))
    return false;
  if (int64_t(build.arenaBytes) > o.import.limits.maxArenaBytes || int64_t(build.arenaBytes) < 0) {
    errors.push_back("one context needs an arena of " + std::to_string(build.arenaBytes) +
                     " bytes, over the limit of " +
                     std::to_string(o.import.limits.maxArenaBytes) + " (--max-arena-bytes)" +
                     (info.targets.size() > 1 ? " for --target " + target.backend : ""));
    return false;
  }
  ReleaseModuleFn release = [&] {
    pmOwner.reset(); // prints --mlir-timing's report, if asked for
    module = nullptr;
    diags.reset();
    ctx.reset();
  };
  stage("generating code");
  if (index == 0)
    info.buildId = buildIdOf(info);
  std::string error;
  if (!backend->serialize(*module, target, info, index == 0 ? toJson(info) : std::string(),
                          o.emit == EmitKind::Llvm, release, serialized, error)) {
    errors.push_back(error);
    return false;
  }
  if (o.emit == EmitKind::Llvm)
    text = std::move(serialized.llvmText);
  return true;
}

} // namespace

bool compileModel(const CompileOptions &o, CompiledModel &out, std::vector<std::string> &errors) {
  ModelInfo &info = out.info;
  info.name = o.name;
  std::string verr;
  if (!isCIdentifier(o.name))
    errors.push_back("--name '" + o.name + "' must be a C identifier (not a keyword, and not "
                     "reserved like _Name or __name)");
  if (!parseVersion(o.version, info, verr))
    errors.push_back("--version: " + verr);
  std::vector<TargetJob> jobs;
  if (!resolveTargets(o, jobs, errors) || !errors.empty())
    return false;
  info.compilerVersion = kCompilerVersion;
  info.targetTriple = jobs[0].target.triple;
  info.cpu = jobs[0].target.cpu;
  for (const TargetJob &job : jobs) {
    TargetBuild build;
    build.target = job.target.backend;
    build.kernels = job.target.kernels;
    for (const std::string &arch : job.target.deviceArchs)
      build.deviceArchs += (build.deviceArchs.empty() ? "" : ",") + arch;
    info.targets.push_back(std::move(build));
  }
  // The others first, then the first target, which embeds the finished metadata.
  std::vector<SerializedTarget> parts(jobs.size());
  for (size_t n = 0; n < jobs.size(); ++n) {
    size_t i = (n + 1) % jobs.size();
    if (!compileTarget(o, jobs[i], i, info, out.text, parts[i], errors))
      return false;
  }
  for (SerializedTarget &part : parts) {
    for (Blob &b : part.objects)
      out.serialized.objects.push_back(std::move(b));
    for (Blob &b : part.payloads)
      out.serialized.payloads.push_back(std::move(b));
  }
  return true;
}

/// True when `path` is a regular file holding exactly `data`.
static bool sameFileContent(const std::string &path, const std::string &data) {
  uint64_t size = 0;
  if (llvm::sys::fs::file_size(path, size) || size != data.size())
    return false;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  return buffer && (*buffer)->getBuffer() == data;
}

bool writeArtifacts(const CompileOptions &o, const CompiledModel &model,
                    std::vector<std::string> &written, std::vector<std::string> &errors) {
  std::string dir = o.outputDir.empty() ? "." : o.outputDir;
  std::vector<std::pair<std::string, std::string>> files;
  const std::string &n = model.info.name;
  switch (o.emit) {
  case EmitKind::OnnxMlir: files = {{n + ".onnx.mlir", model.text}}; break;
  case EmitKind::Linalg: files = {{n + ".linalg.mlir", model.text}}; break;
  case EmitKind::Llvm: files = {{n + ".ll", model.text}}; break;
  case EmitKind::Obj:
    for (const Blob &b : model.serialized.objects)
      files.push_back({b.name, b.bytes});
    for (const Blob &b : model.serialized.payloads)
      files.push_back({b.name, b.bytes});
    break;
  case EmitKind::Lib: {
    std::string archive, err;
    if (!makeArchive(model.serialized.objects, archive, err)) {
      errors.push_back("cannot write the archive: " + err);
      return false;
    }
    files.push_back({"lib" + n + ".a", std::move(archive)});
    files.push_back({n + ".h", generateHeader(model.info)});
    files.push_back({n + ".json", toJson(model.info)});
    break;
  }
  }
  // The set is replaced together: every file is written to a temporary and
  // flushed first, then all are renamed, so an interrupted compile leaves the
  // previous set (and, on the next run, no temporaries) rather than a mix.
  std::vector<std::pair<std::string, std::string>> staged; // (temporary, final)
  std::vector<std::string> unchanged;
  std::string err;
  for (auto &[name, data] : files) {
    std::string path = dir + "/" + name, tmp;
    removeStaleTemporaries(path);
    // A header or JSON whose content is already there is left untouched (same
    // mtime), so build systems recompile nothing that includes it. The library is
    // always written: it is what the build rule names as its output.
    if (o.emit == EmitKind::Lib && !llvm::StringRef(name).ends_with(".a") &&
        sameFileContent(path, data)) {
      unchanged.push_back(path);
      continue;
    }
    if (!writeTemporary(path, data, tmp, err)) {
      for (auto &s : staged) {
        llvm::sys::fs::remove(s.first);
        llvm::sys::DontRemoveFileOnSignal(s.first);
      }
      errors.push_back(err);
      return false;
    }
    data.clear();
    data.shrink_to_fit();
    staged.push_back({tmp, path});
  }
  for (size_t i = 0; i < staged.size(); ++i) {
    if (!commitTemporary(staged[i].first, staged[i].second, err)) {
      for (size_t j = i + 1; j < staged.size(); ++j) {
        llvm::sys::fs::remove(staged[j].first);
        llvm::sys::DontRemoveFileOnSignal(staged[j].first);
      }
      errors.push_back(err);
      return false;
    }
    written.push_back(staged[i].second);
  }
  written.insert(written.end(), unchanged.begin(), unchanged.end());
  syncDirectory(dir);
  return true;
}

} // namespace nnm
