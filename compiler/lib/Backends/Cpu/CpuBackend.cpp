//===- CpuBackend.cpp - CPU code through an in-process TargetMachine ------===//
#include "nnm/Compiler/Backend.h"
#include "nnm/Compiler/Driver.h"
#include "nnm/Passes/Passes.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

namespace nnm {
namespace {

std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const CompileOptions &o,
                                                       std::string &error) {
  static bool init = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)init;
  llvm::Triple triple(o.targetTriple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    error = "unknown target triple '" + o.targetTriple + "': " + error;
    return nullptr;
  }
  std::string cpu = o.cpu, features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") +
                  f.first().str();
  } else {
    std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple, "", ""));
    if (!sti || !sti->isCPUStringValid(cpu)) {
      error = "unknown --cpu '" + cpu + "' for " + o.targetTriple;
      return nullptr;
    }
  }
  llvm::TargetOptions topts;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, topts, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    error = "cannot create a target machine for '" + o.targetTriple + "' / '" + cpu + "'";
  return tm;
}

class CpuBackend : public TargetBackend {
public:
  const char *name() const override { return "cpu"; }

  void buildLowering(mlir::OpPassManager &pm) const override { buildLlvmPipeline(pm); }

  bool optimize(llvm::Module &m, const CompileOptions &o, std::string &error) const override {
    auto tm = makeTargetMachine(o, error);
    if (!tm)
      return false;
    m.setTargetTriple(tm->getTargetTriple());
    m.setDataLayout(tm->createDataLayout());
    m.setPICLevel(llvm::PICLevel::BigPIC);
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(m, mam);
    return true;
  }

  bool emitObject(llvm::Module &m, const CompileOptions &o, std::string &object,
                  std::string &error) const override {
    auto tm = makeTargetMachine(o, error);
    if (!tm)
      return false;
    llvm::SmallVector<char, 0> buf;
    llvm::raw_svector_ostream os(buf);
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
      error = "the target cannot emit object files";
      return false;
    }
    pm.run(m);
    object.assign(buf.begin(), buf.end());
    return true;
  }
};

} // namespace

std::unique_ptr<TargetBackend> createCpuBackend() { return std::make_unique<CpuBackend>(); }

} // namespace nnm
