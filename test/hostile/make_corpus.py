#!/usr/bin/env python3
"""Writes the hostile-model corpus: one small .onnx file per class of hostile input.

    make_corpus.py [OUT_DIR]        (default: corpus/ next to this script)

Every file is deterministic (fixed seeds, fixed producer fields) and a few KiB at
most; the generated files are checked in (test/hostile/corpus/), where they are both
the regression corpus that run_hostile.py checks against expected.txt and seeds for
fuzzing. Rerun this script after changing a case and commit the result; expected.txt
has one line per file (run_hostile.py --update rewrites it from the compiler's
current messages, to be reviewed before committing).

Side files: a case whose initializer is in external data gets its `<case>.bin` next
to it (a small regular file). Cases that need a hard link or a file outside the
model's directory cannot be checked in; test/bad-input/run_bad_inputs.py builds
those at run time.

Classes (issue #10):
  crashes        Gemm with one input; Conv without W (""); Gather with "" indices;
                 an initializer whose dims product overflows int64; initializers with
                 dims [2^40] and few values (raw_data, float_data, int64_data);
                 external data with offset "abc", a length past the end of the file,
                 an absurd length/offset (2^62)
  hangs/memory   ConstantOfShape [2^40] feeding a graph output; the same feeding
                 ReduceSum; Expand to [2^40]
  silently wrong Add with one or three inputs; Conv with FLOAT `strides`;
                 Softmax/Concat with a STRING `axis`; a value defined by two nodes;
                 duplicate graph input names; duplicate initializer names; a
                 two-node cycle and a self-loop; an input whose element count
                 overflows int64; MaxPool with kernel_shape [0,0] or strides [0,0];
                 Slice with duplicate axes or a zero step; a negative (-5) and an
                 absurd (2^40) dim_value on a graph input
  controls       valid models of every family touched (control_*.onnx), including
                 Slice with step INT64_MAX on [3,4] (output [1,4] per ONNX and ORT),
                 the -5 input pinned with --dim x:0=2, so that a compiler that
                 refuses everything cannot pass. duplicate_graph_outputs.onnx (one
                 value listed twice as a graph output) is valid ONNX (checker and ORT
                 accept it; nnmodel names the second `y_1`) and is a control too.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
BIG = 2 ** 40
INT64_MAX = 2 ** 63 - 1
OPSET = 13


def model(nodes, inputs, outputs, inits=(), opset=OPSET):
    graph = helper.make_graph(nodes, "hostile_case", inputs, outputs, initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="nnmodel-hostile-corpus", producer_version="1")
    m.ir_version = 8
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def i64(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.INT64, shape)


def weights(name, shape, seed):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def raw_tensor(name, dtype, dims, **fields):
    """A TensorProto written field by field (dims need not match the data)."""
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    for key, value in fields.items():
        if key == "raw_data":
            t.raw_data = value
        else:
            getattr(t, key).extend(value)
    return t


def external_tensor(name, location, shape, offset, length):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(shape)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is None:
            continue
        e = t.external_data.add()
        e.key, e.value = key, str(value)
    return t


def node(op, inputs, outputs, name, **attrs):
    return helper.make_node(op, inputs, outputs, name=name, **attrs)


# --- shared shapes ----------------------------------------------------------------

def gemm(inputs, inits):
    return model([node("Gemm", inputs, ["y"], "g0")],
                 [f32("a", [2, 4])], [f32("y", [2, 3])], inits)


def conv(w_name, conv_attrs, inits):
    return model([node("Conv", ["x", w_name], ["y"], "c0", **conv_attrs)],
                 [f32("x", [1, 2, 6, 6])], [f32("y", [1, 3, 4, 4])], inits)


def add_initializer(init, shape):
    """x + init -> y: the initializer is what is under test."""
    return model([node("Add", ["x", init.name], ["y"], "add0")],
                 [f32("x", shape)], [f32("y", shape)], [init])


def external(case, offset, length, data_len=16):
    """(model, side files): w in <case>.bin, a regular file next to the model."""
    side = {f"{case}.bin": np.arange(data_len // 4, dtype=np.float32).tobytes()}
    w = external_tensor("w", f"{case}.bin", [4], offset, length)
    return add_initializer(w, [4]), side


def slice_model(starts, ends, axes, steps, in_shape, out_shape):
    inits = [ints("starts", starts), ints("ends", ends), ints("axes", axes),
             ints("steps", steps)]
    return model([node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"], "s0")],
                 [f32("x", in_shape)], [f32("y", out_shape)], inits)


def bomb(consumer):
    shape = ints("shape", [BIG])
    nodes = [node("ConstantOfShape", ["shape"], ["big"], "cos0",
                  value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]))]
    if consumer == "output":
        return model(nodes, [], [f32("big", [BIG])], [shape])
    if consumer == "reducesum":
        nodes.append(node("ReduceSum", ["big"], ["y"], "sum0", keepdims=0))
        return model(nodes, [], [f32("y", [])], [shape])
    raise ValueError(consumer)


def cases():
    """{case name: ModelProto or (ModelProto, {side file: bytes})}."""
    c = {}
    w43 = weights("b", [4, 3], 1)
    # --- crashes: missing or empty inputs --------------------------------------------
    c["gemm_one_input"] = gemm(["a"], [])
    c["gemm_empty_b"] = gemm(["a", ""], [])
    c["conv_missing_w"] = conv("", {"kernel_shape": [3, 3]}, [])
    c["gather_empty_indices"] = model(
        [node("Gather", ["data", ""], ["y"], "gather0", axis=0)],
        [f32("data", [5, 3])], [f32("y", [2, 3])])
    # --- crashes: initializers whose dims and data disagree --------------------------
    c["init_dims_overflow"] = add_initializer(
        raw_tensor("w", TensorProto.FLOAT, [BIG, BIG], raw_data=b"\0" * 16), [4])
    c["init_dims_overflow_float_data"] = add_initializer(
        raw_tensor("w", TensorProto.FLOAT, [2 ** 32, 2 ** 32, 16], float_data=[1.0] * 4), [4])
    c["init_raw_data_short"] = add_initializer(
        raw_tensor("w", TensorProto.FLOAT, [BIG], raw_data=b"\0" * 16), [4])
    c["init_float_data_short"] = add_initializer(
        raw_tensor("w", TensorProto.FLOAT, [BIG], float_data=[1.0, 2.0, 3.0, 4.0]), [4])
    c["init_int64_data_short"] = model(
        [node("Add", ["x", "w"], ["y"], "add0")], [i64("x", [4])], [i64("y", [4])],
        [raw_tensor("w", TensorProto.INT64, [BIG], int64_data=[1, 2, 3, 4])])
    c["init_negative_dim"] = add_initializer(
        raw_tensor("w", TensorProto.FLOAT, [-4], raw_data=b"\0" * 16), [4])
    # --- crashes: external data -------------------------------------------------------
    c["external_offset_abc"] = external("external_offset_abc", "abc", 16)
    c["external_length_past_eof"] = external("external_length_past_eof", 0, 1024)
    c["external_length_huge"] = external("external_length_huge", 0, 2 ** 62)
    c["external_offset_huge"] = external("external_offset_huge", 2 ** 62, 16)
    c["external_offset_plus_length_overflow"] = external(
        "external_offset_plus_length_overflow", 8, INT64_MAX)
    c["external_length_short"] = external("external_length_short", 0, 8)
    # --- hangs / memory bombs ---------------------------------------------------------
    c["constantofshape_bomb_output"] = bomb("output")
    c["constantofshape_bomb_reducesum"] = bomb("reducesum")
    c["expand_bomb_reducesum"] = model(
        [node("Expand", ["x", "shape"], ["big"], "expand0"),
         node("ReduceSum", ["big"], ["y"], "sum0", keepdims=0)],
        [f32("x", [1])], [f32("y", [])], [ints("shape", [BIG])])
    # --- silently wrong: arity ----------------------------------------------------------
    c["add_one_input"] = model([node("Add", ["x"], ["y"], "add0")],
                               [f32("x", [4])], [f32("y", [4])])
    c["add_three_inputs"] = model([node("Add", ["x", "x", "x"], ["y"], "add0")],
                                  [f32("x", [4])], [f32("y", [4])])
    # --- silently wrong: attribute types ------------------------------------------------
    c["conv_strides_float"] = conv("w", {"kernel_shape": [3, 3], "strides": [1.0, 1.0]},
                                   [weights("w", [3, 2, 3, 3], 2)])
    c["softmax_axis_string"] = model([node("Softmax", ["x"], ["y"], "sm0", axis="1")],
                                     [f32("x", [2, 3])], [f32("y", [2, 3])])
    c["concat_axis_string"] = model([node("Concat", ["x", "x"], ["y"], "cat0", axis="0")],
                                    [f32("x", [2, 3])], [f32("y", [4, 3])])
    # --- silently wrong: graph structure ------------------------------------------------
    c["value_defined_twice"] = model(
        [node("Relu", ["x"], ["h"], "relu0"), node("Neg", ["x"], ["h"], "neg0"),
         node("Abs", ["h"], ["y"], "abs0")],
        [f32("x", [4])], [f32("y", [4])])
    c["duplicate_graph_inputs"] = model(
        [node("Add", ["x", "x"], ["y"], "add0")],
        [f32("x", [4]), f32("x", [4])], [f32("y", [4])])
    c["duplicate_graph_outputs"] = model(
        [node("Relu", ["x"], ["y"], "relu0")], [f32("x", [4])], [f32("y", [4]), f32("y", [4])])
    c["duplicate_initializers"] = model(
        [node("Add", ["x", "w"], ["y"], "add0")], [f32("x", [4])], [f32("y", [4])],
        [weights("w", [4], 3), weights("w", [4], 4)])
    c["cycle"] = model(
        [node("Add", ["x", "b_out"], ["a_out"], "A"), node("Relu", ["a_out"], ["b_out"], "B")],
        [f32("x", [4])], [f32("a_out", [4])])
    c["self_loop"] = model([node("Relu", ["y"], ["y"], "R")], [f32("x", [4])], [f32("y", [4])])
    # --- silently wrong: shapes -----------------------------------------------------------
    c["input_elements_overflow"] = model([node("Relu", ["x"], ["y"], "relu0")],
                                         [f32("x", [2 ** 32, 2 ** 32, 16])],
                                         [f32("y", [2 ** 32, 2 ** 32, 16])])
    c["input_negative_dim"] = model([node("Relu", ["x"], ["y"], "relu0")],
                                    [f32("x", [-5, 4])], [f32("y", [-5, 4])])
    c["input_dim_absurd"] = model([node("Relu", ["x"], ["y"], "relu0")],
                                  [f32("x", [BIG])], [f32("y", [BIG])])
    c["maxpool_kernel_zero"] = model(
        [node("MaxPool", ["x"], ["y"], "pool0", kernel_shape=[0, 0])],
        [f32("x", [1, 1, 4, 4])], [f32("y", [1, 1, 4, 4])])
    c["maxpool_stride_zero"] = model(
        [node("MaxPool", ["x"], ["y"], "pool0", kernel_shape=[2, 2], strides=[0, 0])],
        [f32("x", [1, 1, 4, 4])], [f32("y", [1, 1, 3, 3])])
    c["slice_duplicate_axes"] = slice_model([0, 1], [2, 3], [0, 0], [1, 1], [3, 4], [2, 4])
    c["slice_step_zero"] = slice_model([0], [2], [0], [0], [3, 4], [2, 4])
    # --- controls: valid models of every family above -------------------------------
    c["control_gemm"] = gemm(["a", "b"], [w43])
    c["control_gemm_bias"] = gemm(["a", "b", "c"], [w43, weights("c", [3], 5)])
    c["control_conv"] = conv("w", {"kernel_shape": [3, 3], "strides": [1, 1]},
                             [weights("w", [3, 2, 3, 3], 2)])
    c["control_gather"] = model(
        [node("Gather", ["data", "idx"], ["y"], "gather0", axis=0)],
        [f32("data", [5, 3])], [f32("y", [2, 3])], [ints("idx", [4, 0])])
    c["control_initializer"] = add_initializer(weights("w", [4], 6), [4])
    c["control_external"] = external("control_external", 0, 16)
    c["control_constantofshape"] = model(
        [node("ConstantOfShape", ["shape"], ["big"], "cos0",
              value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
         node("ReduceSum", ["big"], ["y"], "sum0", keepdims=0)],
        [], [f32("y", [])], [ints("shape", [8])])
    # Found by the fuzzer: K's head size differs from Q's; the lowering used to fail
    # half way and crash MLIR's rollback. Opset 24 Attention, 4-D inputs.
    c["attention_head_mismatch"] = model(
        [node("Attention", ["q", "k", "v"], ["y"], "attn0")],
        [f32("q", [2, 4, 1, 8]), f32("k", [2, 2, 8, 2]), f32("v", [2, 2, 8, 8])],
        [f32("y", [2, 4, 1, 8])], opset=24)
    # Shape rules multiply dims taken from constants: those products saturate
    # instead of overflowing, and the result is refused.
    c["tile_bomb"] = model([node("Tile", ["x", "r"], ["y"], "t0")], [f32("x", [2, 2])],
                           [f32("y", None)], [ints("r", [2**40, 2**40])])
    c["reshape_bomb"] = model([node("Reshape", ["x", "s"], ["y"], "r0")], [f32("x", [2, 2])],
                              [f32("y", None)], [ints("s", [2**40, 2**40, -1])])
    c["control_attention"] = model(
        [node("Attention", ["q", "k", "v"], ["y"], "attn0")],
        [f32("q", [2, 4, 1, 8]), f32("k", [2, 2, 8, 8]), f32("v", [2, 2, 8, 8])],
        [f32("y", [2, 4, 1, 8])], opset=24)
    c["control_add"] = model([node("Add", ["x", "x"], ["y"], "add0")],
                             [f32("x", [4])], [f32("y", [4])])
    c["control_softmax"] = model([node("Softmax", ["x"], ["y"], "sm0", axis=1)],
                                 [f32("x", [2, 3])], [f32("y", [2, 3])])
    c["control_concat"] = model([node("Concat", ["x", "x"], ["y"], "cat0", axis=0)],
                                [f32("x", [2, 3])], [f32("y", [4, 3])])
    c["control_maxpool"] = model(
        [node("MaxPool", ["x"], ["y"], "pool0", kernel_shape=[2, 2])],
        [f32("x", [1, 1, 4, 4])], [f32("y", [1, 1, 3, 3])])
    c["control_slice"] = slice_model([0, 1], [2, 3], [0, 1], [1, 1], [3, 4], [2, 2])
    c["control_slice_step_int64_max"] = slice_model([0], [INT64_MAX], [0], [INT64_MAX],
                                                    [3, 4], [1, 4])
    c["control_input_negative_dim_pinned"] = model(  # expected.txt: --dim x:0=2
        [node("Relu", ["x"], ["y"], "relu0")], [f32("x", [-5, 4])], [f32("y", [-5, 4])])
    c["control_chain"] = model(
        [node("Relu", ["x"], ["h"], "relu0"), node("Neg", ["h"], ["y"], "neg0")],
        [f32("x", [4])], [f32("y", [4])])
    return c


def main(argv):
    out = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(out, exist_ok=True)
    written = []
    for name, value in sorted(cases().items()):
        m, side = value if isinstance(value, tuple) else (value, {})
        path = os.path.join(out, name + ".onnx")
        with open(path, "wb") as f:
            f.write(m.SerializeToString(deterministic=True))
        written.append(path)
        for fname, data in side.items():
            with open(os.path.join(out, fname), "wb") as f:
                f.write(data)
            written.append(os.path.join(out, fname))
    too_big = [p for p in written if os.path.getsize(p) > 4096]
    if too_big:
        sys.exit(f"make_corpus.py: over 4 KiB: {too_big}")
    print(f"{len(cases())} cases written to {out}")


if __name__ == "__main__":
    main(sys.argv)
