#!/usr/bin/env python3
"""Writes the benchmark's real architectures with seeded random weights.

    python3 bench/make_zoo.py OUTDIR

  resnet18.onnx     input[N,3,224,224] -> ResNet-18 (torchvision layout: 7x7 stem, 4 stages
                    of 2 basic blocks, BatchNormalization after every Conv) -> logits[N,1000]
  mobilenetv2.onnx  input[N,3,224,224] -> MobileNetV2 (width 1.0: inverted residuals with
                    depthwise 3x3 convs, Clip(0, 6) as ReLU6) -> logits[N,1000]
  bert_encoder.onnx input[N,128,256] -> a BERT-style encoder (4 layers, 4 heads, FFN 1024,
                    LayerNormalization, GELU as Erf) -> output[N,128,256]

The batch dimension is the symbolic "N" (pin it with `nnmodel compile --dim N=4`). Opset
17, as exported by PyTorch. Weights are He-scaled normals and BatchNormalization
statistics are random too (never all zeros or ones), so activations stay in range through
the whole network and every run of this script writes the same files.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0

    def name(self, stem):
        self.count += 1
        return f"{stem}{self.count}"

    def const(self, stem, array):
        n = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), n))
        return n

    def conv_bn(self, x, cin, cout, k, stride=1, groups=1, act="relu"):
        """Conv (no bias, as PyTorch exports it) -> BatchNormalization -> activation."""
        fan_in = cin // groups * k * k
        w = self.const("w", self.rng.standard_normal((cout, cin // groups, k, k)) *
                       np.sqrt(2.0 / fan_in))
        y = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, w], [y], name=y, kernel_shape=[k, k], strides=[stride, stride],
            pads=[k // 2] * 4, group=groups))
        scale = self.const("bn_scale", 0.5 + self.rng.random(cout))
        bias = self.const("bn_bias", 0.1 * self.rng.standard_normal(cout))
        mean = self.const("bn_mean", 0.1 * self.rng.standard_normal(cout))
        var = self.const("bn_var", 0.5 + self.rng.random(cout))
        z = self.name("bn")
        self.nodes.append(helper.make_node("BatchNormalization", [y, scale, bias, mean, var],
                                           [z], name=z, epsilon=1e-5))
        if act == "relu":
            r = self.name("relu")
            self.nodes.append(helper.make_node("Relu", [z], [r], name=r))
            return r
        if act == "relu6":
            lo, hi = self.const("zero", np.array(0.0)), self.const("six", np.array(6.0))
            r = self.name("relu6")
            self.nodes.append(helper.make_node("Clip", [z, lo, hi], [r], name=r))
            return r
        return z

    def add(self, a, b, relu):
        s = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [s], name=s))
        if not relu:
            return s
        r = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [s], [r], name=r))
        return r

    def head(self, x, channels, classes=1000):
        """GlobalAveragePool -> Flatten -> Gemm(transB) classifier."""
        p, f = self.name("gap"), self.name("flatten")
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], [p], name=p))
        self.nodes.append(helper.make_node("Flatten", [p], [f], name=f, axis=1))
        w = self.const("fc_w", self.rng.standard_normal((classes, channels)) *
                       np.sqrt(1.0 / channels))
        b = self.const("fc_b", 0.01 * self.rng.standard_normal(classes))
        self.nodes.append(helper.make_node("Gemm", [f, w, b], ["logits"], name="fc", transB=1))

    def model(self, name):
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
            self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="nnmodel-bench")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def resnet18():
    b = Builder(18)
    x = b.conv_bn("input", 3, 64, 7, stride=2)
    p = b.name("maxpool")
    b.nodes.append(helper.make_node("MaxPool", [x], [p], name=p, kernel_shape=[3, 3],
                                    strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = p, 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            s = stride if block == 0 else 1
            y = b.conv_bn(x, cin, cout, 3, stride=s)
            y = b.conv_bn(y, cout, cout, 3, act=None)
            short = x if s == 1 and cin == cout else b.conv_bn(x, cin, cout, 1, stride=s,
                                                                act=None)
            x, cin = b.add(y, short, relu=True), cout
    b.head(x, 512)
    return b.model("resnet18")


def mobilenetv2():
    b = Builder(2)
    x = b.conv_bn("input", 3, 32, 3, stride=2, act="relu6")
    cin = 32
    # (expansion, channels, repeats, first stride), as in the paper.
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x if t == 1 else b.conv_bn(x, cin, hidden, 1, act="relu6")
            y = b.conv_bn(y, hidden, hidden, 3, stride=stride, groups=hidden, act="relu6")
            y = b.conv_bn(y, hidden, c, 1, act=None)
            x = b.add(y, x, relu=False) if stride == 1 and cin == c else y
            cin = c
    x = b.conv_bn(x, cin, 1280, 1, act="relu6")
    b.head(x, 1280)
    return b.model("mobilenetv2")


def bert_encoder(layers=4, hidden=256, heads=4, ffn=1024, seq=128):
    """A BERT-style encoder as PyTorch exports one at opset 17: the embedding output
    input[N,128,256] -> LayerNormalization -> 4 layers of (Q/K/V MatMul+Add, heads split by
    Reshape/Transpose, scaled QK^T, Softmax, attention x V, heads merged, output MatMul+Add,
    residual Add, LayerNormalization, MatMul+Add, GELU in its Erf form, MatMul+Add, residual
    Add, LayerNormalization) -> output[N,128,256]."""
    b = Builder(4)
    head = hidden // heads

    def node(op, inputs, **attrs):
        y = b.name(op.lower())
        b.nodes.append(helper.make_node(op, inputs, [y], name=y, **attrs))
        return y

    def dense(x, cin, cout):
        w = b.const("w", b.rng.standard_normal((cin, cout)) * np.sqrt(1.0 / cin))
        bias = b.const("b", 0.02 * b.rng.standard_normal(cout))
        return node("Add", [node("MatMul", [x, w]), bias])

    def layer_norm(x):
        gamma = b.const("ln_g", 1.0 + 0.1 * b.rng.standard_normal(hidden))
        beta = b.const("ln_b", 0.1 * b.rng.standard_normal(hidden))
        return node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-12)

    def shape(*dims):
        n = b.name("shape")
        b.inits.append(numpy_helper.from_array(np.array(dims, np.int64), n))
        return n

    split = shape(0, seq, heads, head)
    merge = shape(0, seq, hidden)
    x = layer_norm("input")
    for _ in range(layers):
        q, k, v = (node("Transpose", [node("Reshape", [dense(x, hidden, hidden), split])],
                        perm=perm)
                   for perm in ([0, 2, 1, 3], [0, 2, 3, 1], [0, 2, 1, 3]))
        scores = node("Div", [node("MatMul", [q, k]), b.const("sqrt_d", np.array(np.sqrt(head)))])
        ctx = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), merge])
        x = layer_norm(node("Add", [dense(ctx, hidden, hidden), x]))
        h = dense(x, hidden, ffn)
        erf = node("Erf", [node("Div", [h, b.const("sqrt2", np.array(np.sqrt(2.0)))])])
        gelu = node("Mul", [node("Mul", [h, node("Add", [erf, b.const("one", np.array(1.0))])]),
                            b.const("half", np.array(0.5))])
        x = layer_norm(node("Add", [dense(gelu, ffn, hidden), x]))
    b.nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    graph = helper.make_graph(
        b.nodes, "bert_encoder",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", seq, hidden])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", seq, hidden])],
        b.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="nnmodel-bench")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def vgg19():
    """VGG-19 (548 MiB of f32 weights): 16 3x3 convolutions with bias and Relu in five
    stages, max pools, three fully connected layers. Used for compile-memory checks
    (bench/compile_memory.py), not in the default zoo."""
    b = Builder(3)
    x, cin = "input", 3
    for cout, convs in ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4)):
        for _ in range(convs):
            w = b.const("w", b.rng.standard_normal((cout, cin, 3, 3), np.float32) *
                        np.float32(np.sqrt(2.0 / (cin * 9))))
            bias = b.const("b", np.zeros(cout, np.float32))
            y, r = b.name("conv"), b.name("relu")
            b.nodes.append(helper.make_node("Conv", [x, w, bias], [y], name=y,
                                            kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
            b.nodes.append(helper.make_node("Relu", [y], [r], name=r))
            x, cin = r, cout
        p = b.name("pool")
        b.nodes.append(helper.make_node("MaxPool", [x], [p], name=p, kernel_shape=[2, 2],
                                        strides=[2, 2]))
        x = p
    f = b.name("flatten")
    b.nodes.append(helper.make_node("Flatten", [x], [f], name=f, axis=1))
    x, width = f, 512 * 7 * 7
    for i, out in enumerate((4096, 4096, 1000)):
        w = b.const("fc_w", b.rng.standard_normal((out, width), np.float32) *
                    np.float32(np.sqrt(1.0 / width)))
        bias = b.const("fc_b", np.zeros(out, np.float32))
        y = "logits" if i == 2 else b.name("fc")
        b.nodes.append(helper.make_node("Gemm", [x, w, bias], [y], name=y, transB=1))
        if i < 2:
            r = b.name("relu")
            b.nodes.append(helper.make_node("Relu", [y], [r], name=r))
            y = r
        x, width = y, out
    return b.model("vgg19")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, make in (("resnet18", resnet18), ("mobilenetv2", mobilenetv2),
                       ("bert_encoder", bert_encoder)):
        onnx.save(make(), os.path.join(out, name + ".onnx"))
        print(os.path.join(out, name + ".onnx"))


if __name__ == "__main__":
    main()
