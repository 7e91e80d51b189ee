//===- nnmodel-opt.cpp - NNModel's MLIR pass driver -----------------------===//
#include "nnm/Passes/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses(); // upstream passes, to reproduce any stage by hand
  nnm::registerPasses();
  mlir::DialectRegistry registry;
  nnm::registerDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "NNModel pass driver (ONNX-level IR is onnx.* ops)\n", registry));
}
