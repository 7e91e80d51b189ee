//===- nnmodel-opt.cpp - NNModel's MLIR pass driver -----------------------===//
#include "nnm/Passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  nnm::registerPasses();
  mlir::DialectRegistry registry;
  nnm::registerDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "NNModel pass driver (ONNX-level IR is onnx.* ops)\n", registry));
}
