"""Writes the small ONNX models the importer lit tests read: make_models.py OUTDIR."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)

# small.onnx: initializer, Constant node, broadcasting Add, Relu, symbolic batch.
w = numpy_helper.from_array(rng.standard_normal((3,)).astype(np.float32), "w")
graph = helper.make_graph(
    [
        helper.make_node("Constant", [], ["k"], name="k_const",
                         value=numpy_helper.from_array(np.float32(0.5))),
        helper.make_node("Add", ["x", "w"], ["s"], name="add0"),
        helper.make_node("Mul", ["s", "k"], ["m"], name="mul0"),
        helper.make_node("Relu", ["m"], ["y"], name="relu0"),
    ],
    "small",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
    [w],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          f"{out}/small.onnx")

# macro_names.onnx: tensors named like macros that compilers predefine.
graph = helper.make_graph(
    [helper.make_node("Add", ["_LP64", "__x86_64"], ["linux"], name="add")],
    "macro_names",
    [helper.make_tensor_value_info("_LP64", TensorProto.FLOAT, [2]),
     helper.make_tensor_value_info("__x86_64", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("linux", TensorProto.FLOAT, [2])],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          f"{out}/macro_names.onnx")

# odd_dims.onnx: dimensions an exporter left without a usable name: a dim_value of -1,
# no value and no name, and two different dimensions both called "?".
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
x.type.tensor_type.shape.dim[0].dim_value = -1
x.type.tensor_type.shape.dim[1].Clear()
z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["?", "?"])
graph = helper.make_graph(
    [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Relu", ["z"], ["w"])],
    "odd_dims", [x, z],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
     helper.make_tensor_value_info("w", TensorProto.FLOAT, None)],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          f"{out}/odd_dims.onnx")

# unsupported.onnx: two unsupported ops and one op at an opset beyond the table.
graph = helper.make_graph(
    [
        helper.make_node("FooBar", ["x"], ["a"], name="foo"),
        helper.make_node("NonMaxSuppression", ["a", "a"], ["b"], name="nms"),
        helper.make_node("Relu", ["b"], ["y"], name="relu_ok"),
    ],
    "unsupported",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          f"{out}/unsupported.onnx")

# control_flow.onnx: If on a folded condition (Size(x) > 4), a Scan summing the rows of x
# with a captured scale, and a body with an unsupported op (found by the first check).
# runtime_if.onnx: If on a graph input (needs --bind).
f32 = TensorProto.FLOAT
then_g = helper.make_graph([helper.make_node("Neg", ["x"], ["t"])], "then", [],
                           [helper.make_tensor_value_info("t", f32, [2, 3])])
else_g = helper.make_graph([helper.make_node("Abs", ["x"], ["e"])], "else", [],
                           [helper.make_tensor_value_info("e", f32, [2, 3])])
scan_body = helper.make_graph(
    [helper.make_node("Mul", ["row", "scale"], ["scaled"]),
     helper.make_node("Add", ["acc", "scaled"], ["acc_out"]),
     helper.make_node("Identity", ["acc_out"], ["seen"])],
    "scan_body",
    [helper.make_tensor_value_info("acc", f32, [3]), helper.make_tensor_value_info("row", f32, [3])],
    [helper.make_tensor_value_info("acc_out", f32, [3]),
     helper.make_tensor_value_info("seen", f32, [3])])
graph = helper.make_graph(
    [
        helper.make_node("Size", ["x"], ["n"]),
        helper.make_node("Greater", ["n", "four"], ["big"]),
        helper.make_node("If", ["big"], ["chosen"], then_branch=then_g, else_branch=else_g,
                         name="pick"),
        helper.make_node("Scan", ["zeros", "x"], ["sum", "partial"], body=scan_body,
                         num_scan_inputs=1, name="rows"),
    ],
    "control_flow",
    [helper.make_tensor_value_info("x", f32, [2, 3])],
    [helper.make_tensor_value_info("chosen", f32, [2, 3]),
     helper.make_tensor_value_info("sum", f32, [3]),
     helper.make_tensor_value_info("partial", f32, [2, 3])],
    [numpy_helper.from_array(np.array(4, np.int64), "four"),
     numpy_helper.from_array(np.zeros(3, np.float32), "zeros"),
     numpy_helper.from_array(np.array(0.5, np.float32), "scale")],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]),
          f"{out}/control_flow.onnx")
bad_body = helper.make_graph([helper.make_node("FooBar", ["x"], ["t"], name="inner")], "then",
                             [], [helper.make_tensor_value_info("t", f32, [2, 3])])
graph = helper.make_graph(
    [helper.make_node("If", ["c"], ["y"], then_branch=bad_body, else_branch=else_g,
                      name="pick")],
    "runtime_if",
    [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
     helper.make_tensor_value_info("x", f32, [2, 3])],
    [helper.make_tensor_value_info("y", f32, [2, 3])],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]),
          f"{out}/bad_if_body.onnx")
next(a for a in graph.node[0].attribute if a.name == "then_branch").g.CopyFrom(then_g)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]),
          f"{out}/runtime_if.onnx")
