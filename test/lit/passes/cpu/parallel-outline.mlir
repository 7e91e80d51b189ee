// RUN: nnmodel-opt %s --split-input-file --nnm-cpu-parallel-outline | FileCheck %s

// An elementwise op moves into @__nnm_par0(lo, hi, operands), which runs it on
// rows [lo, hi) of both operands; the graph calls it for all 64 rows. The
// constant its body uses from outside is cloned into the function.
// CHECK-LABEL: func.func @graph
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: call @__nnm_par0(%[[C0]], %[[C64]], %arg0, %arg1) : (index, index, memref<64x512xf32>, memref<64x512xf32>) -> ()
// CHECK-NOT: linalg.generic
// The graph's arguments are distinct buffers: the function's are noalias.
// CHECK: func.func private @__nnm_par0(%[[LO:.*]]: index, %[[HI:.*]]: index, %[[IN:.*]]: memref<64x512xf32> {llvm.noalias}, %[[OUT:.*]]: memref<64x512xf32> {llvm.noalias})
// CHECK: %[[N:.*]] = arith.subi %[[HI]], %[[LO]]
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: %[[SIN:.*]] = memref.subview %[[IN]][%[[LO]], 0] [%[[N]], 512] [1, 1]
// CHECK: %[[SOUT:.*]] = memref.subview %[[OUT]][%[[LO]], 0] [%[[N]], 512] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[SIN]] : {{.*}}) outs(%[[SOUT]] : {{.*}})
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @graph(%in: memref<64x512xf32>, %out: memref<64x512xf32>) {
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<64x512xf32>) outs(%out : memref<64x512xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A row reduction splits along the rows (the reduced loop is not parallel), and
// an operand that the split loop does not index is passed whole.
// CHECK-LABEL: func.func @rows
// CHECK: call @__nnm_par0(%{{.*}}, %{{.*}}, %arg0, %arg1, %arg2)
// CHECK: func.func private @__nnm_par0
// CHECK: memref.subview %{{.*}}[%{{.*}}, 0] [%{{.*}}, 1024] [1, 1] : memref<128x1024xf32> to
// CHECK-NOT: memref.subview %{{.*}} : memref<1024xf32>
// CHECK: memref.subview %{{.*}}[%{{.*}}] [%{{.*}}] [1] : memref<128xf32> to
#x = affine_map<(d0, d1) -> (d0, d1)>
#w = affine_map<(d0, d1) -> (d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @rows(%x: memref<128x1024xf32>, %w: memref<1024xf32>, %y: memref<128xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x, %w : memref<128x1024xf32>, memref<1024xf32>) outs(%y : memref<128xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: too little work.
// CHECK-LABEL: func.func @small
// CHECK-NOT: call @__nnm_par
// CHECK: linalg.generic
#s = affine_map<(d0) -> (d0)>
func.func @small(%x: memref<256xf32>, %y: memref<256xf32>) {
  linalg.generic {indexing_maps = [#s, #s], iterator_types = ["parallel"]}
      ins(%x : memref<256xf32>) outs(%y : memref<256xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// A window (a strided 1-D convolution): the output splits plainly; the input is
// read through c * d0 + d1, so its slice starts at 2 * lo and runs to the end.
// CHECK-LABEL: func.func @window
// CHECK: call @__nnm_par0(%{{.*}}, %{{.*}}, %arg0, %arg1, %arg2)
// CHECK: func.func private @__nnm_par0(%[[LO:.*]]: index, %[[HI:.*]]: index, %[[X:.*]]: memref<40003xf32> {llvm.noalias}
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[START:.*]] = arith.muli %[[LO]], %[[C2]]
// CHECK: %[[END:.*]] = arith.constant 40003 : index
// CHECK: %[[LEN:.*]] = arith.subi %[[END]], %[[START]]
// CHECK: memref.subview %[[X]][%[[START]]] [%[[LEN]]] [1]
#in = affine_map<(d0, d1) -> (d0 * 2 + d1)>
#k = affine_map<(d0, d1) -> (d1)>
#o = affine_map<(d0, d1) -> (d0)>
func.func @window(%x: memref<40003xf32>, %k: memref<4xf32>, %y: memref<20000xf32>) {
  linalg.generic {indexing_maps = [#in, #k, #o], iterator_types = ["parallel", "reduction"]}
      ins(%x, %k : memref<40003xf32>, memref<4xf32>) outs(%y : memref<20000xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An output written through a window cannot be split (threads would race).
// CHECK-LABEL: func.func @scatter
// CHECK-NOT: call @__nnm_par
// CHECK: linalg.generic
#x2 = affine_map<(d0, d1) -> (d0, d1)>
#y2 = affine_map<(d0, d1) -> (d0 + d1)>
func.func @scatter(%x: memref<200x100xf32>, %y: memref<299xf32>) {
  linalg.generic {indexing_maps = [#x2, #y2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<200x100xf32>) outs(%y : memref<299xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Two views of one arena whose byte ranges overlap are not marked noalias.
// CHECK-LABEL: func.func @overlap
// CHECK: func.func private @__nnm_par0(%{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<128x128xf32>, %{{.*}}: memref<128x128xf32>)
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @overlap(%arena: memref<131072xi8>) {
  %c0 = arith.constant 0 : index
  %c16384 = arith.constant 16384 : index
  %a = memref.view %arena[%c0][] : memref<131072xi8> to memref<128x128xf32>
  %b = memref.view %arena[%c16384][] : memref<131072xi8> to memref<128x128xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<128x128xf32>) outs(%b : memref<128x128xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}
