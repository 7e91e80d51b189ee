//===- Compile.cpp - The compile flow: import, pipeline, codegen ----------===//
#include "nnm/Compiler/Backend.h"
#include "nnm/Compiler/Driver.h"
#include "nnm/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

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

std::string defaultCpu(const std::string &triple) {
  llvm::StringRef arch = llvm::StringRef(triple).split('-').first;
  return arch == "x86_64" || arch == "amd64" ? "x86-64-v2" : "generic";
}

bool dtypeOf(Type t, DType &out) {
  if (t.isF32())
    out = DType::F32;
  else if (t.isF64())
    out = DType::F64;
  else if (t.isInteger(32))
    out = DType::I32;
  else if (t.isInteger(64))
    out = DType::I64;
  else if (t.isInteger(1))
    out = DType::Bool;
  else
    return false;
  return true;
}

std::string printOp(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->print(os, OpPrintingFlags().elideLargeElementsAttrs(64));
  os << "\n";
  return s;
}

bool runPipeline(ModuleOp module, void (*build)(OpPassManager &)) {
  PassManager pm(module->getContext());
  build(pm);
  return succeeded(pm.run(module));
}

/// The exported C ABI around the internal graph function (docs/generated-api.md).
void emitApi(llvm::Module &m, llvm::Function *graph, const ModelInfo &info,
             const std::string &json) {
  llvm::LLVMContext &c = m.getContext();
  llvm::IRBuilder<> b(c);
  auto *ptr = llvm::PointerType::getUnqual(c);
  auto *i32 = b.getInt32Ty();
  auto *i64 = b.getInt64Ty();
  std::string p = info.symbolPrefix();
  auto declare = [&](const char *name, llvm::Type *ret, llvm::ArrayRef<llvm::Type *> args) {
    return m.getOrInsertFunction(name, llvm::FunctionType::get(ret, args, false));
  };
  auto define = [&](const std::string &name, llvm::Type *ret,
                    llvm::ArrayRef<llvm::Type *> args) {
    auto *f = llvm::Function::Create(llvm::FunctionType::get(ret, args, false),
                                     llvm::GlobalValue::ExternalLinkage, name, m);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    b.SetInsertPoint(llvm::BasicBlock::Create(c, "entry", f));
    return f;
  };
  auto ctxCreate = declare("nnm_context_create", i32, {i64, ptr, ptr});
  auto ctxDestroy = declare("nnm_context_destroy", b.getVoidTy(), {ptr});
  auto ctxArena = declare("nnm_context_arena", ptr, {ptr});

  auto constString = [&](const std::string &name, const std::string &text) {
    auto *init = llvm::ConstantDataArray::getString(c, text, /*AddNull=*/true);
    return new llvm::GlobalVariable(m, init->getType(), true,
                                    llvm::GlobalValue::InternalLinkage, init, name);
  };
  auto *meta = constString(p + "_metadata", json);
  meta->setSection(".nnmodel.meta");
  meta->setAlignment(llvm::Align(1));
  auto *version = constString(p + "_version_string", info.version);

  llvm::Function *f = define(p + "_create", i32, {ptr, ptr});
  b.CreateRet(b.CreateCall(ctxCreate, {b.getInt64(info.arenaBytes), f->getArg(0), f->getArg(1)}));

  f = define(p + "_destroy", b.getVoidTy(), {ptr});
  b.CreateCall(ctxDestroy, {f->getArg(0)});
  b.CreateRetVoid();

  f = define(p + "_metadata_json", ptr, {});
  b.CreateRet(meta);
  f = define(p + "_version", ptr, {});
  b.CreateRet(version);

  size_t nArgs = info.inputs.size() + info.outputs.size();
  llvm::SmallVector<llvm::Type *> runArgs(nArgs + 1, ptr);
  llvm::Function *run = define(p + "_run", i32, runArgs);
  {
    // Any null pointer is NNM_INVALID_ARGUMENT (1); otherwise run and return NNM_OK.
    llvm::Value *bad = b.getFalse();
    for (llvm::Argument &a : run->args())
      bad = b.CreateOr(bad, b.CreateIsNull(&a));
    auto *fail = llvm::BasicBlock::Create(c, "invalid", run);
    auto *go = llvm::BasicBlock::Create(c, "run", run);
    b.CreateCondBr(bad, fail, go);
    b.SetInsertPoint(fail);
    b.CreateRet(b.getInt32(1));
    b.SetInsertPoint(go);
    llvm::SmallVector<llvm::Value *> args;
    for (size_t i = 1; i <= nArgs; ++i)
      args.push_back(run->getArg(i));
    args.push_back(b.CreateCall(ctxArena, {run->getArg(0)}));
    b.CreateCall(graph, args);
    b.CreateRet(b.getInt32(0));
  }

  // Packed form for generic callers: arrays of input and output pointers.
  f = define(p + "_run_packed", i32, {ptr, ptr, ptr});
  {
    llvm::SmallVector<llvm::Value *> args = {f->getArg(0)};
    for (size_t i = 0; i < info.inputs.size(); ++i)
      args.push_back(b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, f->getArg(1), i)));
    for (size_t i = 0; i < info.outputs.size(); ++i)
      args.push_back(b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, f->getArg(2), i)));
    b.CreateRet(b.CreateCall(run, args));
  }
}

} // namespace

bool compileModel(const CompileOptions &o, CompiledModel &out, std::vector<std::string> &errors) {
  ModelInfo &info = out.info;
  info.name = o.name;
  std::string verr;
  if (!isCIdentifier(o.name))
    errors.push_back("--name '" + o.name + "' must be a C identifier (and not a keyword)");
  if (!parseVersion(o.version, info, verr))
    errors.push_back("--version: " + verr);
  const TargetBackend *backend = lookupBackend(o.target);
  if (!backend) {
    std::string names;
    for (const std::string &n : backendNames())
      names += (names.empty() ? "" : ", ") + n;
    errors.push_back("--target '" + o.target + "' is not available (targets: " + names + ")");
  }
  if (!errors.empty())
    return false;
  info.compilerVersion = kCompilerVersion;
  info.target = o.target;
  info.targetTriple = o.targetTriple;
  info.cpu = o.cpu.empty() ? defaultCpu(o.targetTriple) : o.cpu;
  CompileOptions target = o; // what the back end sees: the CPU resolved
  target.cpu = info.cpu;

  registerPasses(); // the built-in pipelines are partly textual
  DialectRegistry registry;
  registerDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  DiagnosticCollector diags(ctx, errors);

  OwningOpRef<ModuleOp> module = importOnnxFile(ctx, o.modelPath, o.import, info, errors);
  if (!module)
    return false;
  if (o.emit == EmitKind::OnnxMlir) {
    out.text = printOp(*module);
    return true;
  }
  if (!runPipeline(*module, buildLinalgPipeline))
    return false;
  auto fn = module->lookupSymbol<func::FuncOp>(kGraphFunction);
  for (size_t i = 0; i < info.outputs.size(); ++i) {
    auto t = cast<RankedTensorType>(fn.getResultTypes()[i]);
    if (!dtypeOf(t.getElementType(), info.outputs[i].dtype)) {
      errors.push_back("output '" + info.outputs[i].name + "' has unsupported element type");
      return false;
    }
    info.outputs[i].shape.assign(t.getShape().begin(), t.getShape().end());
  }
  if (o.emit == EmitKind::Linalg) {
    out.text = printOp(*module);
    return true;
  }
  if (!runPipeline(*module, buildBufferizePipeline))
    return false;
  fn = module->lookupSymbol<func::FuncOp>(kGraphFunction);
  if (auto a = fn->getAttrOfType<IntegerAttr>(kArenaBytesAttr))
    info.arenaBytes = a.getInt();
  module->walk([&](memref::GlobalOp g) {
    if (g.getConstant() && g.getInitialValue()) {
      MemRefType t = g.getType();
      info.weightBytes += t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
    }
  });
  {
    PassManager pm(module->getContext());
    backend->buildLowering(pm);
    if (failed(pm.run(*module)))
      return false;
  }

  llvm::LLVMContext llctx;
  auto llmod = translateModuleToLLVMIR(*module, llctx, info.name);
  if (!llmod) {
    errors.push_back("translation to LLVM IR failed");
    return false;
  }
  llmod->setSourceFileName(info.name + ".onnx");
  llvm::Function *graph = llmod->getFunction(kGraphFunction);
  graph->setName("nnm_graph");
  // Everything this module defines is internal except the API emitted below.
  for (llvm::Function &f : *llmod)
    if (!f.isDeclaration())
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &g : llmod->globals())
    if (!g.isDeclaration())
      g.setLinkage(llvm::GlobalValue::InternalLinkage);
  emitApi(*llmod, graph, info, toJson(info));
  if (llvm::verifyModule(*llmod, &llvm::errs())) {
    errors.push_back("internal error: generated LLVM IR does not verify");
    return false;
  }
  std::string err;
  if (!backend->optimize(*llmod, target, err)) {
    errors.push_back(err);
    return false;
  }
  if (o.emit == EmitKind::Llvm) {
    llvm::raw_string_ostream os(out.text);
    llmod->print(os, nullptr);
    return true;
  }
  if (!backend->emitObject(*llmod, target, out.object, err)) {
    errors.push_back(err);
    return false;
  }
  return true;
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
  case EmitKind::Obj: files = {{n + ".o", model.object}}; break;
  case EmitKind::Lib: {
    std::string archive, err;
    if (!makeArchive(n + ".o", model.object, archive, err)) {
      errors.push_back("cannot write the archive: " + err);
      return false;
    }
    files = {{"lib" + n + ".a", archive},
             {n + ".h", generateHeader(model.info)},
             {n + ".json", toJson(model.info)}};
    break;
  }
  }
  for (auto &[name, data] : files) {
    std::string path = dir + "/" + name, err;
    if (!writeFileAtomically(path, data, err)) {
      errors.push_back(err);
      return false;
    }
    written.push_back(path);
  }
  return true;
}

} // namespace nnm
