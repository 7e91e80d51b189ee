// RUN: nnmodel-opt %s --nnm-cpu-math-approx | FileCheck %s

// f32 erf and exp become inline arithmetic (no call left to block vectorization);
// sin and f64 exp keep their math ops (lowered to LLVM intrinsics/libm later).
// CHECK-LABEL: func.func @approx
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp {{.*}} : f32
// CHECK: math.sin
// CHECK: math.exp {{.*}} : f64
func.func @approx(%x: f32, %y: f64) -> (f32, f32, f32, f64) {
  %0 = math.erf %x : f32
  %1 = math.exp %x : f32
  %2 = math.sin %x : f32
  %3 = math.exp %y : f64
  return %0, %1, %2, %3 : f32, f32, f32, f64
}
