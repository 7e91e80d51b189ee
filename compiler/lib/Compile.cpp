//===- Compile.cpp - The compile flow: import, pipeline, codegen ----------===//
#include "nnm/Compiler/Backend.h"
#include "nnm/Compiler/Driver.h"
#include "nnm/Passes/Cpu/Passes.h"
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
/// types (recorded by nnm-memref-abi), arena bytes (nnm-arena-plan) and the
/// bytes of constant data left in the module.
bool readSignature(ModuleOp module, ModelInfo &info, std::vector<std::string> &errors) {
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
    info.arenaBytes = a.getInt();
  if (auto table = module->getAttrOfType<ArrayAttr>(cpu::kKernelTableAttr))
    info.libraryKernels = table.size();
  module.walk([&](LLVM::GlobalOp g) {
    if (g.getConstant())
      if (auto v = dyn_cast_or_null<ElementsAttr>(g.getValueOrNull())) {
        auto t = cast<ShapedType>(v.getType());
        info.weightBytes += t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
      }
  });
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
  std::vector<std::string> targets;
  for (const std::string &t : o.targets)
    if (std::find(targets.begin(), targets.end(), t) == targets.end())
      targets.push_back(t);
  if (targets.empty())
    targets.push_back("cpu");
  const TargetBackend *backend = lookupBackend(targets[0]);
  std::string names;
  for (const TargetBackend *b : allBackends())
    names += (names.empty() ? "" : ", ") + std::string(b->name());
  for (const std::string &t : targets)
    if (!lookupBackend(t))
      errors.push_back("--target '" + t + "' is not available (targets: " + names + ")");
  if (targets.size() > 1) {
    std::string list;
    for (const std::string &t : targets)
      list += (list.empty() ? "" : ", ") + t;
    errors.push_back("several targets asked for (" + list +
                     "): one library holds code for one target; compile once per target "
                     "(e.g. one nnmodel_add_model or nn_model per target)");
  }
  if (!errors.empty())
    return false;
  TargetDescription target;
  target.backend = backend->name();
  target.triple = o.targetTriple;
  target.cpu = o.cpu;
  target.kernels = o.kernels;
  target.deviceArchs = o.cudaArchs;
  target.cudaPath = o.cudaPath;
  if (!backend->resolveTarget(target, verr)) {
    errors.push_back(verr);
    return false;
  }
  info.compilerVersion = kCompilerVersion;
  info.target = target.backend;
  info.targetTriple = target.triple;
  info.cpu = target.cpu;
  info.kernels = target.kernels;
  for (const std::string &arch : target.deviceArchs)
    info.deviceArchs += (info.deviceArchs.empty() ? "" : ",") + arch;

  DialectRegistry registry;
  registerDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // Held by pointer: serialization releases the MLIR side (whose attributes hold
  // a copy of every weight) once it has LLVM IR, before code generation peaks.
  auto ctx = std::make_unique<MLIRContext>(registry, MLIRContext::Threading::DISABLED);
  auto diags = std::make_unique<DiagnosticCollector>(*ctx, errors);

  auto stage = [&](const char *what) {
    if (o.progress)
      o.progress(what);
  };
  stage("importing and checking the graph");
  ImportOptions importOptions = o.import;
  importOptions.keepSymbolicDims = o.emit == EmitKind::OnnxMlir; // printing needs no static shape
  OwningOpRef<ModuleOp> module = importOnnxFile(*ctx, o.modelPath, importOptions, info, errors);
  if (!module)
    return false;
  (*module)->setAttr(kTargetAttr, targetAttr(*ctx, target));
  if (o.emit == EmitKind::OnnxMlir) {
    out.text = printOp(*module);
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
    out.text = printOp(*module);
    return true;
  }
  if (!readSignature(*module, info, errors))
    return false;
  if (int64_t(info.arenaBytes) > o.import.limits.maxArenaBytes || int64_t(info.arenaBytes) < 0) {
    errors.push_back("one context needs an arena of " + std::to_string(info.arenaBytes) +
                     " bytes, over the limit of " +
                     std::to_string(o.import.limits.maxArenaBytes) + " (--max-arena-bytes)");
    return false;
  }
  ReleaseModuleFn release = [&] {
    pmOwner.reset(); // prints --mlir-timing's report, if asked for
    module = nullptr;
    diags.reset();
    ctx.reset();
  };
  stage("generating code");
  info.buildId = buildIdOf(info);
  if (!backend->serialize(*module, target, info, toJson(info), o.emit == EmitKind::Llvm,
                          release, out.serialized, verr)) {
    errors.push_back(verr);
    return false;
  }
  if (o.emit == EmitKind::Llvm)
    out.text = std::move(out.serialized.llvmText);
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
