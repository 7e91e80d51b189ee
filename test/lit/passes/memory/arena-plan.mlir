// RUN: nnmodel-opt %s --nnm-arena-plan | FileCheck %s

// Three 256-byte buffers: %a dies when %c is born, so %c reuses %a's bytes and
// the arena needs two slots (512 bytes), not three.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: %{{.*}}: memref<512xi8>
// CHECK-SAME: nnm.arena_bytes = 512
// CHECK-NOT: memref.alloc
// CHECK-DAG: memref.view %{{.*}}[%c0{{.*}}][] : memref<512xi8> to memref<64xf32>
// CHECK-DAG: memref.view %{{.*}}[%c256{{.*}}][] : memref<512xi8> to memref<64xf32>
func.func @reuse(%in: memref<64xf32>, %out: memref<64xf32>) {
  %a = memref.alloc() : memref<64xf32>
  memref.copy %in, %a : memref<64xf32> to memref<64xf32>
  %b = memref.alloc() : memref<64xf32>
  memref.copy %a, %b : memref<64xf32> to memref<64xf32>
  %c = memref.alloc() : memref<64xf32>
  memref.copy %b, %c : memref<64xf32> to memref<64xf32>
  memref.copy %c, %out : memref<64xf32> to memref<64xf32>
  return
}
