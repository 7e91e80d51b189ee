// RUN: nnmodel-opt %s --nnm-copy-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @strided_copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32, strided<[4, 1]>>) outs(%{{.*}} : memref<2x2xf32>)
func.func @strided_copy(%a: memref<2x2xf32, strided<[4, 1]>>, %b: memref<2x2xf32>) {
  memref.copy %a, %b : memref<2x2xf32, strided<[4, 1]>> to memref<2x2xf32>
  return
}
