//===- HostCodegen.cpp - Host code for back ends: LLVM to objects ---------===//
#include "HostCodegen.h"

#include "nnm/Compiler/ModelInfo.h"
#include "nnm/Passes/Cpu/Passes.h"
#include "nnm/Passes/Pipelines.h"

#include "nnmodel/kernels.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"
#include "llvm/Transforms/Utils/LoopSimplify.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

namespace nnm {
namespace {

/// The exported symbol of the internal graph function after serialization.
constexpr const char *kGraphSymbol = "nnm_graph";
/// The graph function's name in the MLIR module (the importer's kGraphFunction).
constexpr const char *kGraphFunctionName = "main_graph";

std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const TargetDescription &t,
                                                       std::string &error) {
  static bool init = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)init;
  llvm::Triple triple(t.triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    error = "unknown target triple '" + t.triple + "': " + error;
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, t.cpu, t.features, llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    error = "cannot create a target machine for '" + t.triple + "' / '" + t.cpu + "'";
  return tm;
}

/// One entry of the kernel table (nnm-cpu-dnnl-calls' `nnm.kernels`).
struct KernelEntry {
  llvm::SmallVector<int64_t> desc;
  std::string weights, bias; ///< global symbols, "" when absent
  int64_t workspace = 0;
};

bool readKernelTable(mlir::ModuleOp module, std::vector<KernelEntry> &out, std::string &error) {
  auto table = module->getAttrOfType<mlir::ArrayAttr>(cpu::kKernelTableAttr);
  if (!table)
    return true;
  for (mlir::Attribute a : table) {
    auto d = mlir::dyn_cast<mlir::DictionaryAttr>(a);
    auto desc = d ? d.getAs<mlir::DenseI64ArrayAttr>("desc") : nullptr;
    auto w = d ? d.getAs<mlir::StringAttr>("weights") : nullptr;
    auto b = d ? d.getAs<mlir::StringAttr>("bias") : nullptr;
    auto ws = d ? d.getAs<mlir::IntegerAttr>("workspace") : nullptr;
    if (!desc || desc.size() != NNM_KW_COUNT || !w || !b || !ws) {
      error = "internal error: malformed kernel table";
      return false;
    }
    out.push_back({llvm::SmallVector<int64_t>(desc.asArrayRef()), w.str(), b.str(), ws.getInt()});
  }
  return true;
}

} // namespace

llvm::Function *defineExported(llvm::Module &m, llvm::IRBuilder<> &b, const std::string &name,
                               llvm::Type *ret, llvm::ArrayRef<llvm::Type *> args) {
  auto *f = llvm::Function::Create(llvm::FunctionType::get(ret, args, false),
                                   llvm::GlobalValue::ExternalLinkage, name, m);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  b.SetInsertPoint(llvm::BasicBlock::Create(m.getContext(), "entry", f));
  return f;
}

llvm::Value *emitAttachStep(llvm::IRBuilder<> &b, llvm::Function *f, llvm::Value *status,
                            llvm::FunctionCallee destroy,
                            llvm::function_ref<llvm::Value *(llvm::Value *ctx)> attach) {
  llvm::LLVMContext &c = f->getContext();
  auto *ptr = llvm::PointerType::getUnqual(c);
  llvm::BasicBlock *from = b.GetInsertBlock();
  auto *attachBlock = llvm::BasicBlock::Create(c, "attach", f);
  auto *undo = llvm::BasicBlock::Create(c, "undo", f);
  auto *done = llvm::BasicBlock::Create(c, "done", f);
  b.CreateCondBr(b.CreateICmpEQ(status, b.getInt32(0)), attachBlock, done);
  b.SetInsertPoint(attachBlock);
  llvm::Value *ctx = b.CreateLoad(ptr, f->getArg(1));
  llvm::Value *attached = attach(ctx);
  b.CreateCondBr(b.CreateICmpEQ(attached, b.getInt32(0)), done, undo);
  b.SetInsertPoint(undo);
  b.CreateCall(destroy, {ctx});
  b.CreateStore(llvm::ConstantPointerNull::get(ptr), f->getArg(1));
  b.CreateBr(done);
  b.SetInsertPoint(done);
  llvm::PHINode *merged = b.CreatePHI(b.getInt32Ty(), 3);
  merged->addIncoming(status, from);
  merged->addIncoming(attached, attachBlock);
  merged->addIncoming(attached, undo);
  return merged;
}

void emitIdentity(llvm::Module &m, const ModelInfo &info, const std::string &json) {
  llvm::LLVMContext &c = m.getContext();
  llvm::IRBuilder<> b(c);
  auto *ptr = llvm::PointerType::getUnqual(c);
  std::string p = info.symbolPrefix();
  auto constString = [&](const std::string &name, const std::string &text) {
    auto *init = llvm::ConstantDataArray::getString(c, text, /*AddNull=*/true);
    return new llvm::GlobalVariable(m, init->getType(), true,
                                    llvm::GlobalValue::InternalLinkage, init, name);
  };
  auto *meta = constString(p + "_metadata", json);
  meta->setSection(".nnmodel.meta");
  meta->setAlignment(llvm::Align(1));
  auto *version = constString(p + "_version_string", info.version);
  if (!info.buildId.empty()) // referenced by the header of the same compile (ModelInfo.h)
    new llvm::GlobalVariable(m, b.getInt8Ty(), true, llvm::GlobalValue::ExternalLinkage,
                             b.getInt8(0), p + "_build_" + info.buildId);
  for (auto [name, value] : {std::pair{p + "_metadata_json", meta}, {p + "_version", version}}) {
    defineExported(m, b, name, ptr, {});
    b.CreateRet(value);
  }
}

namespace {

/// The exported C ABI around the graph function (docs/generated-api.md). The
/// graph takes (inputs..., outputs..., context, arena). With kernels, create
/// attaches the kernel table to the new context and run returns what the
/// kernels reported.
bool emitApi(llvm::Module &m, llvm::Function *graph, const ModelInfo &info,
             uint64_t arenaBytes, const std::vector<KernelEntry> &kernels,
             std::string &error) {
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
    return defineExported(m, b, name, ret, args);
  };
  auto ctxCreate = declare("nnm_context_create", i32, {i64, ptr, ptr});
  auto ctxDestroy = declare("nnm_context_destroy", b.getVoidTy(), {ptr});
  auto ctxArena = declare("nnm_context_arena", ptr, {ptr});

  // The kernel table: descriptors, constant weights, workspace bytes, and the
  // slot of the model's shared kernels (filled by the runtime on first create).
  llvm::GlobalVariable *table = nullptr, *state = nullptr;
  if (!kernels.empty()) {
    auto *entryType = llvm::StructType::get(c, {ptr, ptr, ptr, i64});
    std::vector<llvm::Constant *> entries;
    for (size_t i = 0; i < kernels.size(); ++i) {
      const KernelEntry &k = kernels[i];
      llvm::SmallVector<uint64_t> words(k.desc.begin(), k.desc.end());
      auto *descInit = llvm::ConstantDataArray::get(c, words);
      auto *desc = new llvm::GlobalVariable(m, descInit->getType(), true,
                                            llvm::GlobalValue::InternalLinkage, descInit,
                                            p + "_kernel" + std::to_string(i) + "_desc");
      auto global = [&](const std::string &sym) -> llvm::Constant * {
        if (sym.empty())
          return llvm::ConstantPointerNull::get(ptr);
        return m.getNamedGlobal(sym);
      };
      llvm::Constant *w = global(k.weights), *bias = global(k.bias);
      if (!w || !bias) {
        error = "internal error: kernel " + std::to_string(i) + " names a missing global";
        return false;
      }
      entries.push_back(llvm::ConstantStruct::get(entryType, {desc, w, bias,
                                                              b.getInt64(k.workspace)}));
    }
    auto *tableType = llvm::ArrayType::get(entryType, entries.size());
    table = new llvm::GlobalVariable(m, tableType, true, llvm::GlobalValue::InternalLinkage,
                                     llvm::ConstantArray::get(tableType, entries),
                                     p + "_kernel_table");
    state = new llvm::GlobalVariable(m, ptr, false, llvm::GlobalValue::InternalLinkage,
                                     llvm::ConstantPointerNull::get(ptr), p + "_kernel_state");
  }

  llvm::Function *f = define(p + "_create", i32, {ptr, ptr});
  llvm::Value *created =
      b.CreateCall(ctxCreate, {b.getInt64(arenaBytes), f->getArg(0), f->getArg(1)});
  if (table) // the kernel table; on a failed attach the context goes again
    created = emitAttachStep(b, f, created, ctxDestroy, [&](llvm::Value *ctx) -> llvm::Value * {
      return b.CreateCall(declare("nnm_kernels_attach", i32, {ptr, ptr, ptr, i32}),
                          {ctx, state, table, b.getInt32(int32_t(kernels.size()))});
    });
  b.CreateRet(created);

  f = define(p + "_destroy", b.getVoidTy(), {ptr});
  b.CreateCall(ctxDestroy, {f->getArg(0)});
  b.CreateRetVoid();

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
    args.push_back(run->getArg(0));
    args.push_back(b.CreateCall(ctxArena, {run->getArg(0)}));
    b.CreateCall(graph, args);
    if (table)
      b.CreateRet(b.CreateCall(declare("nnm_context_take_status", i32, {ptr}),
                               {run->getArg(0)}));
    else
      b.CreateRet(b.getInt32(0));
  }

  // Packed form for generic callers: arrays of input and output pointers. Null
  // arrays are NNM_INVALID_ARGUMENT (1), like null pointers in them (run checks).
  f = define(p + "_run_packed", i32, {ptr, ptr, ptr});
  {
    auto *fail = llvm::BasicBlock::Create(c, "invalid", f);
    auto *go = llvm::BasicBlock::Create(c, "run", f);
    llvm::Value *bad = b.getFalse();
    if (!info.inputs.empty())
      bad = b.CreateOr(bad, b.CreateIsNull(f->getArg(1)));
    if (!info.outputs.empty())
      bad = b.CreateOr(bad, b.CreateIsNull(f->getArg(2)));
    b.CreateCondBr(bad, fail, go);
    b.SetInsertPoint(fail);
    b.CreateRet(b.getInt32(1));
    b.SetInsertPoint(go);
    llvm::SmallVector<llvm::Value *> args = {f->getArg(0)};
    for (size_t i = 0; i < info.inputs.size(); ++i)
      args.push_back(b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, f->getArg(1), i)));
    for (size_t i = 0; i < info.outputs.size(); ++i)
      args.push_back(b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, f->getArg(2), i)));
    b.CreateRet(b.CreateCall(run, args));
  }
  return true;
}

/// Calls of nnm-cpu-parallel-outline's functions `__nnm_par<N>(lo, hi, args...)`
/// (made for the whole range, lo = 0) become nnm_parallel_for(context, task,
/// argument array, hi), where the task `__nnm_par<N>_task(array, lo, hi)` loads
/// the arguments and calls the function on its slice.
void lowerParallelCalls(llvm::Module &m, llvm::Function *graph, unsigned contextArg) {
  llvm::LLVMContext &c = m.getContext();
  auto *ptr = llvm::PointerType::getUnqual(c);
  auto *i64 = llvm::Type::getInt64Ty(c);
  std::vector<llvm::Function *> kernels;
  for (llvm::Function &f : m)
    if (!f.isDeclaration() && f.getName().starts_with(cpu::kParallelPrefix))
      kernels.push_back(&f);
  if (kernels.empty())
    return;
  llvm::FunctionCallee parallelFor = m.getOrInsertFunction(
      "nnm_parallel_for", llvm::FunctionType::get(llvm::Type::getVoidTy(c),
                                                  {ptr, ptr, ptr, i64}, false));
  llvm::IRBuilder<> b(c);
  for (llvm::Function *f : kernels) {
    unsigned numArgs = f->arg_size() - 2;
    auto *slots = llvm::ArrayType::get(i64, std::max(numArgs, 1u));
    auto *task = llvm::Function::Create(
        llvm::FunctionType::get(llvm::Type::getVoidTy(c), {ptr, i64, i64}, false),
        llvm::GlobalValue::InternalLinkage, f->getName() + "_task", m);
    task->addFnAttr(llvm::Attribute::NoUnwind);
    b.SetInsertPoint(llvm::BasicBlock::Create(c, "entry", task));
    llvm::SmallVector<llvm::Value *> args = {task->getArg(1), task->getArg(2)};
    for (unsigned i = 0; i < numArgs; ++i)
      args.push_back(b.CreateLoad(f->getArg(2 + i)->getType(),
                                  b.CreateConstGEP2_32(slots, task->getArg(0), 0, i)));
    b.CreateCall(f, args);
    b.CreateRetVoid();
    for (llvm::User *u : llvm::make_early_inc_range(f->users())) {
      auto *call = llvm::dyn_cast<llvm::CallInst>(u);
      if (!call || call->getCalledFunction() != f || call->getFunction() != graph)
        continue;
      b.SetInsertPoint(&graph->getEntryBlock(), graph->getEntryBlock().begin());
      llvm::Value *array = b.CreateAlloca(slots);
      b.SetInsertPoint(call);
      for (unsigned i = 0; i < numArgs; ++i)
        b.CreateStore(call->getArgOperand(2 + i), b.CreateConstGEP2_32(slots, array, 0, i));
      b.CreateCall(parallelFor, {graph->getArg(contextArg), task, array,
                                 call->getArgOperand(1)});
      call->eraseFromParent();
    }
  }
}

/// A large constant kept out of the LLVM IR: its bytes (owned by the MLIR
/// context) go into objects of their own, under a hidden global symbol.
struct BigConstant {
  std::string symbol;
  llvm::ArrayRef<char> bytes;
  uint64_t alignment;
};

/// Constants of at least this many bytes bypass LLVM IR (which holds about
/// three times a constant's size while it is translated and emitted).
constexpr size_t kMinBigConstant = 64 * 1024;
/// Weight objects are filled up to this many bytes each.
constexpr size_t kWeightObjectBytes = 64u << 20;

/// Turns every large, non-splat constant global of `module` into an external
/// declaration named <prefix>_w<N> (renaming its uses), and returns the data.
/// `renamed` maps old symbol names to new ones (the kernel table names globals).
std::vector<BigConstant> extractBigConstants(mlir::ModuleOp module, const std::string &prefix,
                                             llvm::StringMap<std::string> &renamed) {
  std::vector<BigConstant> out;
  llvm::SmallVector<mlir::LLVM::GlobalOp> globals(module.getOps<mlir::LLVM::GlobalOp>());
  for (mlir::LLVM::GlobalOp g : globals) {
    auto dense = mlir::dyn_cast_or_null<mlir::DenseElementsAttr>(g.getValueOrNull());
    if (!g.getConstant() || !dense || dense.isSplat() || !dense.getElementType().isIntOrFloat())
      continue;
    unsigned width = dense.getElementType().getIntOrFloatBitWidth();
    llvm::ArrayRef<char> raw = dense.getRawData();
    if (width % 8 || raw.size() < kMinBigConstant ||
        raw.size() != uint64_t(dense.getNumElements()) * (width / 8))
      continue;
    std::string symbol = prefix + "_w" + std::to_string(out.size());
    renamed[g.getSymName()] = symbol;
    auto name = mlir::StringAttr::get(module.getContext(), symbol);
    if (failed(mlir::SymbolTable::replaceAllSymbolUses(g, name, module)))
      continue;
    mlir::SymbolTable::setSymbolName(g, name);
    g.removeValueAttr();
    g.setLinkage(mlir::LLVM::Linkage::External);
    out.push_back({symbol, raw, std::max<uint64_t>(g.getAlignment().value_or(16), 16)});
  }
  return out;
}

bool emitObject(llvm::Module &m, llvm::TargetMachine &tm, llvm::SmallVectorImpl<char> &buf,
                std::string &error);

/// Objects defining the big constants, several per object up to
/// kWeightObjectBytes, each built and emitted alone so that only one object's
/// worth of LLVM IR exists at a time.
bool emitBigConstants(const std::vector<BigConstant> &constants, llvm::TargetMachine &tm,
                      const std::string &name, SerializedTarget &out, std::string &error) {
  for (size_t first = 0, index = 0; first < constants.size(); ++index) {
    auto c = std::make_unique<llvm::LLVMContext>();
    llvm::Module m(name + ".weights", *c);
    m.setTargetTriple(tm.getTargetTriple());
    m.setDataLayout(tm.createDataLayout());
    size_t bytes = 0, last = first;
    for (; last < constants.size() && (last == first || bytes < kWeightObjectBytes); ++last) {
      const BigConstant &k = constants[last];
      auto *init = llvm::ConstantDataArray::getRaw(
          llvm::StringRef(k.bytes.data(), k.bytes.size()), k.bytes.size(),
          llvm::Type::getInt8Ty(*c));
      auto *g = new llvm::GlobalVariable(m, init->getType(), true,
                                         llvm::GlobalValue::ExternalLinkage, init, k.symbol);
      g->setVisibility(llvm::GlobalValue::HiddenVisibility);
      g->setAlignment(llvm::Align(k.alignment));
      bytes += k.bytes.size();
    }
    llvm::SmallVector<char, 0> object;
    if (!emitObject(m, tm, object, error))
      return false;
    out.objects.push_back({name + ".weights" + std::to_string(index) + ".o",
                           std::string(object.begin(), object.end())});
    first = last;
  }
  return true;
}

/// Runs `build`'s passes over `m` with fresh analysis managers.
template <typename BuildFn> void runModulePasses(llvm::Module &m, llvm::TargetMachine &tm,
                                                 BuildFn build) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  build(pb).run(m, mam);
}

/// Each kernel (a top-level loop nest of the graph) becomes its own function,
/// kept out of line, so that LLVM optimizes many bounded functions instead of
/// one function as large as the model: its analyses grow faster than linearly
/// with function size (a chain of 1,000 MatMuls took minutes).
void outlineKernels(llvm::Module &m, llvm::TargetMachine &tm) {
  llvm::Function *graph = m.getFunction(kGraphSymbol);
  if (!graph || graph->isDeclaration())
    return;
  runModulePasses(m, tm, [](llvm::PassBuilder &) { // preheaders and dedicated exits
    llvm::ModulePassManager mpm;
    mpm.addPass(llvm::createModuleToFunctionPassAdaptor(llvm::LoopSimplifyPass()));
    return mpm;
  });
  llvm::DominatorTree dt(*graph);
  llvm::LoopInfo loops(dt);
  // One analysis cache for every extraction (each touches only its own blocks),
  // as HotColdSplitting does; LoopExtractor builds one per loop, which makes
  // outlining quadratic in the number of kernels.
  llvm::CodeExtractorAnalysisCache cache(*graph);
  llvm::SmallVector<llvm::Loop *> kernels(loops.begin(), loops.end());
  for (llvm::Loop *kernel : kernels) {
    llvm::CodeExtractor extractor(kernel->getBlocks(), &dt);
    if (llvm::Function *f = extractor.extractCodeRegion(cache)) {
      f->setLinkage(llvm::GlobalValue::InternalLinkage);
      f->addFnAttr(llvm::Attribute::NoInline);
    }
  }
}

void optimize(llvm::Module &m, llvm::TargetMachine &tm) {
  m.setTargetTriple(tm.getTargetTriple());
  m.setDataLayout(tm.createDataLayout());
  m.setPICLevel(llvm::PICLevel::BigPIC);
  outlineKernels(m, tm);
  runModulePasses(m, tm, [](llvm::PassBuilder &pb) {
    return pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  });
}

bool emitObject(llvm::Module &m, llvm::TargetMachine &tm, llvm::SmallVectorImpl<char> &buf,
                std::string &error) {
  // The object holds the weights: reserving their size up front spares the
  // buffer's last doubling, when old and new copies are both touched.
  uint64_t dataBytes = 0;
  for (const llvm::GlobalVariable &g : m.globals())
    if (g.hasInitializer())
      dataBytes += m.getDataLayout().getTypeAllocSize(g.getValueType());
  buf.reserve(dataBytes + dataBytes / 16 + (1u << 20));
  llvm::raw_svector_ostream os(buf);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  pm.run(m);
  return true;
}

/// Width of the widest SIMD registers the subtarget has.
int64_t vectorBitsOf(const llvm::MCSubtargetInfo &sti, const llvm::Triple &triple) {
  if (triple.isX86()) {
    if (sti.checkFeatures("+avx512f"))
      return 512;
    if (sti.checkFeatures("+avx"))
      return 256;
    return sti.checkFeatures("+sse2") ? 128 : 0;
  }
  if (triple.isAArch64())
    return sti.checkFeatures("+neon") ? 128 : 0;
  return 0;
}

} // namespace

bool resolveHostTarget(TargetDescription &t, std::string &error) {
  llvm::Triple triple(t.triple);
  if (t.cpu.empty())
    t.cpu = triple.getArch() == llvm::Triple::x86_64 ? "x86-64-v2" : "generic";
  if (t.cpu == "native") {
    t.cpu = llvm::sys::getHostCPUName().str();
    t.features.clear();
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      t.features += (t.features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") +
                    f.first().str();
  }
  auto tm = makeTargetMachine(t, error);
  if (!tm)
    return false;
  const llvm::MCSubtargetInfo *sti = tm->getMCSubtargetInfo();
  if (!sti || !sti->isCPUStringValid(t.cpu)) {
    error = "unknown --cpu '" + t.cpu + "' for " + t.triple;
    return false;
  }
  t.vectorBits = vectorBitsOf(*sti, triple);
  return true;
}

bool serializeHostModule(mlir::ModuleOp module, const TargetDescription &target,
                         const ModelInfo &info, const std::string &metadataJson,
                         bool wantLlvmText, const ReleaseModuleFn &releaseModule,
                         SerializedTarget &out, std::string &error, const ApiEmitter &api) {
  std::vector<KernelEntry> kernels;
  if (!readKernelTable(module, kernels, error))
    return false;
  // Large weights never become LLVM IR: their bytes go from the MLIR
  // attributes into weight objects, then the MLIR module is released, and the
  // code's object follows. The objects list the code first.
  llvm::StringMap<std::string> renamed;
  // A target beside another in one library tags its objects and symbols.
  const std::string stem = info.name + (target.libraryTag.empty() ? "" : "." + target.libraryTag);
  const std::string symbols =
      info.symbolPrefix() + (target.libraryTag.empty() ? "" : "_" + target.libraryTag);
  const TargetBuild *build = info.find(target.backend);
  if (!build) {
    error = "internal error: no build description for target " + target.backend;
    return false;
  }
  std::vector<BigConstant> big = extractBigConstants(module, symbols, renamed);
  for (KernelEntry &k : kernels)
    for (std::string *sym : {&k.weights, &k.bias})
      if (auto it = renamed.find(*sym); it != renamed.end())
        *sym = it->second;
  auto tm = makeTargetMachine(target, error);
  if (!tm)
    return false;
  auto llctx = std::make_unique<llvm::LLVMContext>();
  auto llmod = mlir::translateModuleToLLVMIR(module, *llctx, info.name);
  if (!llmod) {
    error = "translation to LLVM IR failed";
    return false;
  }
  size_t codeObject = out.objects.size();
  out.objects.push_back({stem + ".o", {}}); // filled in below
  if (!emitBigConstants(big, *tm, stem, out, error))
    return false;
  llvm::StringSet<> bigSymbols;
  for (const BigConstant &k : big)
    bigSymbols.insert(k.symbol);
  big.clear();
  if (releaseModule)
    releaseModule();
  llmod->setSourceFileName(info.name + ".onnx");
  llvm::Function *graph = llmod->getFunction(kGraphFunctionName);
  if (!graph) {
    error = "internal error: the module has no graph function";
    return false;
  }
  graph->setName(kGraphSymbol);
  // Everything this module defines is internal except the API emitted below.
  for (llvm::Function &f : *llmod)
    if (!f.isDeclaration())
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &g : llmod->globals()) {
    if (!g.isDeclaration()) {
      g.setLinkage(llvm::GlobalValue::InternalLinkage);
    } else if (bigSymbols.contains(g.getName())) {
      g.setVisibility(llvm::GlobalValue::HiddenVisibility); // a weight object defines it
      g.setDSOLocal(true);
    }
  }
  lowerParallelCalls(*llmod, graph, unsigned(info.inputs.size() + info.outputs.size()));
  if (target.libraryTag.empty())
    emitIdentity(*llmod, info, metadataJson);
  if (api ? !api(*llmod, graph, renamed, error)
          : !emitApi(*llmod, graph, info, build->arenaBytes, kernels, error))
    return false;
  if (llvm::verifyModule(*llmod, &llvm::errs())) {
    error = "internal error: generated LLVM IR does not verify";
    return false;
  }
  optimize(*llmod, *tm);
  if (wantLlvmText) {
    llvm::raw_string_ostream os(out.llvmText);
    llmod->print(os, nullptr);
  }
  llvm::SmallVector<char, 0> object;
  if (!emitObject(*llmod, *tm, object, error))
    return false;
  llmod.reset();
  llctx.reset();
  out.objects[codeObject].bytes.assign(object.begin(), object.end());
  return true;
}

bool checkKernels(TargetDescription &t, const char *backend, bool haveDnnl,
                  std::string &error) {
  if (t.kernels.empty())
    t.kernels = haveDnnl ? "auto" : "codegen";
  if (t.kernels == "codegen" || ((t.kernels == "dnnl" || t.kernels == "auto") && haveDnnl))
    return true;
  if (t.kernels == "dnnl" || t.kernels == "auto")
    error = "--kernels " + t.kernels +
            ": oneDNN kernels are available to the cpu back end on x86-64 only (this is " +
            backend + " for " + t.triple + "); use --kernels codegen";
  else
    error = "unknown --kernels '" + t.kernels + "' (auto, dnnl or codegen)";
  return false;
}

bool HostBackend::resolveTarget(TargetDescription &target, std::string &error) const {
  return resolveHostTarget(target, error) && checkKernels(target, name(), false, error);
}

void HostBackend::buildBufferizeAndLower(mlir::OpPassManager &pm,
                                         const TargetDescription &) const {
  buildBufferizePipeline(pm);
  buildHostLlvmPipeline(pm);
}

bool HostBackend::serialize(mlir::ModuleOp module, const TargetDescription &target,
                            const ModelInfo &info, const std::string &metadataJson,
                            bool wantLlvmText, const ReleaseModuleFn &releaseModule,
                            SerializedTarget &out, std::string &error) const {
  return serializeHostModule(module, target, info, metadataJson, wantLlvmText, releaseModule,
                             out, error);
}

bool emitBlobObject(const TargetDescription &target, const std::string &symbol,
                    const std::string &section, const std::string &bytes,
                    std::string &object, std::string &error) {
  auto tm = makeTargetMachine(target, error);
  if (!tm)
    return false;
  llvm::LLVMContext c;
  llvm::Module m(symbol, c);
  auto *init = llvm::ConstantDataArray::getString(c, bytes, /*AddNull=*/false);
  auto *g = new llvm::GlobalVariable(m, init->getType(), true,
                                     llvm::GlobalValue::InternalLinkage, init, symbol);
  g->setSection(section);
  g->setAlignment(llvm::Align(16));
  // Kept although nothing references it: the section is the payload.
  llvm::appendToUsed(m, {g});
  m.setTargetTriple(tm->getTargetTriple());
  m.setDataLayout(tm->createDataLayout());
  llvm::SmallVector<char, 0> buf;
  if (!emitObject(m, *tm, buf, error))
    return false;
  object.assign(buf.begin(), buf.end());
  return true;
}

} // namespace nnm
