#!/usr/bin/env python3
"""Build the end-to-end test models and their ONNX Runtime reference data.

Writes into OUTDIR:

  mlp.onnx       x[2,16] -> MatMul+Add -> Relu -> Gemm(transB) -> Sigmoid -> y[2,8]
  mlp_v2.onnx    the same graph with other weights (version 2.0.0 of "mlp")
  lenet.onnx     image[1,1,28,28] -> LeNet-5 -> Softmax -> probs[1,10]
  resblock.onnx  x[1,8,10,10] -> Conv/BN/Relu/Conv/BN + x -> Relu -> GAP -> features[1,8]

and, for every model, one random input set (seeded, standard normal) with the
outputs ONNX Runtime computes for it (CPUExecutionProvider, one thread):

  <model>.<tensor>.npy   numpy array
  <model>.<tensor>.bin   the same values as raw little-endian float32

`mlp` gets a second input set, `mlp.<tensor>.1.npy/.bin`, so that two threads
can run it on different inputs.  Weights are seeded random numbers, never all
zeros or ones, so every run of this script writes the same files.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8
PRODUCER = "nnmodel-e2e"


def _init(name, array):
    return numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name)


def _he(rng, shape, fan_in):
    """Random weights scaled so activations neither vanish nor saturate."""
    return rng.standard_normal(shape).astype(np.float32) * np.float32(np.sqrt(2.0 / fan_in))


def _bias(rng, n):
    return (rng.standard_normal(n) * 0.1).astype(np.float32)


def _model(nodes, inputs, outputs, inits, name):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name=PRODUCER, producer_version="1.0")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def _vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def make_mlp(seed):
    rng = np.random.default_rng(seed)
    inits = [
        _init("w1", _he(rng, (16, 32), 16)),
        _init("b1", _bias(rng, 32)),
        _init("w2", _he(rng, (8, 32), 32)),  # Gemm transB=1: stored [N, K]
        _init("b2", _bias(rng, 8)),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1_matmul"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="fc1_bias"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu1"),
        helper.make_node("Gemm", ["h2", "w2", "b2"], ["h3"], name="fc2", transB=1),
        helper.make_node("Sigmoid", ["h3"], ["y"], name="sigmoid"),
    ]
    return _model(nodes, [_vi("x", [2, 16])], [_vi("y", [2, 8])], inits, "mlp")


def make_lenet(seed):
    rng = np.random.default_rng(seed)
    inits = [
        _init("conv1_w", _he(rng, (6, 1, 5, 5), 25)),
        _init("conv1_b", _bias(rng, 6)),
        _init("conv2_w", _he(rng, (16, 6, 5, 5), 150)),
        _init("conv2_b", _bias(rng, 16)),
        _init("fc1_w", _he(rng, (120, 400), 400)),
        _init("fc1_b", _bias(rng, 120)),
        _init("fc2_w", _he(rng, (10, 120), 120)),
        _init("fc2_b", _bias(rng, 10)),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "conv1_w", "conv1_b"], ["c1"], name="conv1",
                         kernel_shape=[5, 5], pads=[2, 2, 2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2_w", "conv2_b"], ["c2"], name="conv2",
                         kernel_shape=[5, 5]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="pool2",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc1_w", "fc1_b"], ["g1"], name="fc1", transB=1),
        helper.make_node("Relu", ["g1"], ["r3"], name="relu3"),
        helper.make_node("Gemm", ["r3", "fc2_w", "fc2_b"], ["g2"], name="fc2", transB=1),
        helper.make_node("Softmax", ["g2"], ["probs"], name="softmax", axis=-1),
    ]
    return _model(nodes, [_vi("image", [1, 1, 28, 28])], [_vi("probs", [1, 10])],
                  inits, "lenet")


def make_resblock(seed):
    rng = np.random.default_rng(seed)
    c = 8
    inits = []
    for i in (1, 2):
        inits += [
            _init(f"conv{i}_w", _he(rng, (c, c, 3, 3), c * 9)),
            _init(f"conv{i}_b", _bias(rng, c)),
            _init(f"bn{i}_scale", rng.uniform(0.5, 1.5, c)),
            _init(f"bn{i}_bias", rng.standard_normal(c) * 0.2),
            _init(f"bn{i}_mean", rng.standard_normal(c) * 0.2),
            _init(f"bn{i}_var", rng.uniform(0.5, 2.0, c)),
        ]
    nodes = [
        helper.make_node("Conv", ["x", "conv1_w", "conv1_b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["c1", "bn1_scale", "bn1_bias", "bn1_mean", "bn1_var"], ["n1"],
                         name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "conv2_w", "conv2_b"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["c2", "bn2_scale", "bn2_bias", "bn2_mean", "bn2_var"], ["n2"],
                         name="bn2", epsilon=1e-5),
        helper.make_node("Add", ["n2", "x"], ["s"], name="residual"),
        helper.make_node("Relu", ["s"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["features"], name="flatten", axis=1),
    ]
    return _model(nodes, [_vi("x", [1, c, 10, 10])], [_vi("features", [1, c])],
                  inits, "resblock")


MODELS = {
    # file stem: (builder, weight seed, input seed)
    "mlp": (make_mlp, 101, 1001),
    "mlp_v2": (make_mlp, 202, 1002),
    "lenet": (make_lenet, 303, 1003),
    "resblock": (make_resblock, 404, 1004),
}
EXTRA_INPUT_SETS = {"mlp": [2001]}  # seeds of additional input sets


def reference(model, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def _shape(vi):
    return [d.dim_value for d in vi.type.tensor_type.shape.dim]


def write_tensor(outdir, stem, name, array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    np.save(os.path.join(outdir, f"{stem}.{name}.npy"), array)
    array.astype("<f4").tofile(os.path.join(outdir, f"{stem}.{name}.bin"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", help="directory to write models and data into (created)")
    args = ap.parse_args(argv)
    os.makedirs(args.outdir, exist_ok=True)

    for stem, (build, wseed, iseed) in MODELS.items():
        model = build(wseed)
        onnx.save(model, os.path.join(args.outdir, f"{stem}.onnx"))
        for k, seed in enumerate([iseed] + EXTRA_INPUT_SETS.get(stem, [])):
            suffix = "" if k == 0 else f".{k}"
            rng = np.random.default_rng(seed)
            feeds = {vi.name: rng.standard_normal(_shape(vi)).astype(np.float32)
                     for vi in model.graph.input}
            outs = reference(model, feeds)
            for name, value in list(feeds.items()) + list(outs.items()):
                if not np.all(np.isfinite(value)) or np.ptp(value) == 0:
                    sys.exit(f"make_models: {stem}.{name} is degenerate")
                write_tensor(args.outdir, stem, name + suffix, value)
        print(f"wrote {stem}.onnx ({len(model.graph.initializer)} initializers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
