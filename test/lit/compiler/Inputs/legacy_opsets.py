"""Writes an opset-3 model (legacy broadcast with axis, consumed_inputs, Concat without
axis, Reshape with a shape attribute, Softmax's 2-D coercion, Dropout with is_test), an
input and the output NumPy computes, for legacy-opsets.test.

    legacy_opsets.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)
x = rng.standard_normal((2, 3, 4)).astype(np.float32)
bias = rng.standard_normal((3,)).astype(np.float32)

nodes = [
    helper.make_node("Add", ["x", "bias"], ["a"], broadcast=1, axis=1, consumed_inputs=[0, 0]),
    helper.make_node("Relu", ["a"], ["r"], consumed_inputs=[0]),
    helper.make_node("Concat", ["r", "x"], ["c"]),  # axis defaults to 1 before opset 4
    helper.make_node("Reshape", ["c"], ["s"], shape=[2, 24]),
    helper.make_node("Softmax", ["s"], ["p"]),  # axis 1 of [2, 24]
    helper.make_node("Dropout", ["p"], ["y"], is_test=1, ratio=0.4),
]
graph = helper.make_graph(
    nodes, "legacy", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 24])],
    [numpy_helper.from_array(bias, "bias")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 3)])
model.ir_version = 3
onnx.save(model, os.path.join(out, "legacy.onnx"))
np.save(os.path.join(out, "x.npy"), x)

a = np.maximum(x + bias.reshape(1, 3, 1), 0)
c = np.concatenate([a, x], axis=1).reshape(2, 24)
e = np.exp(c - c.max(axis=1, keepdims=True))
np.save(os.path.join(out, "expected.npy"), e / e.sum(axis=1, keepdims=True))
