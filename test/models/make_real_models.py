#!/usr/bin/env python3
"""Build six real-architecture test models and their ONNX Runtime reference data.

Writes into OUTDIR:

  bert.onnx   input_ids int64[1,16], attention_mask int64[1,16] -> word + position
              embeddings (Gather), LayerNormalization, 2 post-LN encoder layers (4 heads,
              hidden 64, FFN 128, GELU in the Erf form), the padding mask turned into an
              additive -10000 bias (Cast/Sub/Mul/Unsqueeze) -> last_hidden_state[1,16,64]
  gpt2.onnx   x[1,16,64] -> a GPT-2 pre-LN decoder block: causal mask built in the graph
              (ConstantOfShape ones -> Trilu -> Cast bool -> Where(mask, scores, -1e9)),
              Gelu (approximate="tanh", opset 20) -> y[1,16,64]
  unet.onnx   image[1,3,32,32] -> Conv+Relu / MaxPool down path, ConvTranspose and
              Resize (linear, constant scales) up path, Concat skips -> mask[1,2,32,32]
  lstm.onnx   x[12,1,8], h0[1,1,16], c0[1,1,16] -> LSTM (opset 14) -> Y_h -> Gemm ->
              Softmax -> probs[1,5]
  qdq_cnn.onnx  image[1,3,16,16] -> QDQ-quantized CNN as quantization tools export it:
              uint8 activations, int8 weights (per-channel and per-tensor), int32 biases
              -> logits[1,10]
  fp16.onnx   x f16[1,4,8,8] -> Conv/Relu/Flatten/Gemm/Tanh in float16 -> y f16[1,16]

For every model one seeded input set (never all zeros) with the outputs ONNX Runtime
computes for it (CPUExecutionProvider, one thread): <model>.<tensor>.npy, and
manifest.json listing, per model, its inputs, outputs and comparison tolerances.
Weights are seeded random numbers, so every run writes the same files.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 9
PRODUCER = "nnmodel-real-models"
F32_TOL = {"rtol": 1e-4, "atol": 1e-5}
F16_TOL = {"rtol": 1e-2, "atol": 1e-3}


def _init(name, array, dtype=np.float32):
    return numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name)


def _i64(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def _w(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)).astype(np.float32)


def _bias(rng, n):
    return (rng.standard_normal(n) * 0.1).astype(np.float32)


def _model(nodes, inputs, outputs, inits, name, opset):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name=PRODUCER, producer_version="1.0")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def _vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


class Graph:
    """Small builder: node() appends a node and returns its (first) output name."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, array, dtype=np.float32):
        n = self.name(hint)
        self.inits.append(_init(n, array, dtype))
        return n

    def node(self, op, inputs, hint=None, outputs=1, **attrs):
        hint = hint or op.lower()
        outs = [self.name(hint) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op), **attrs))
        return outs[0] if outputs == 1 else outs

    def linear(self, x, n_in, n_out, hint):
        w = self.const(hint + "_w", _w(self.rng, (n_in, n_out), n_in))
        b = self.const(hint + "_b", _bias(self.rng, n_out))
        return self.node("Add", [self.node("MatMul", [x, w], hint), b], hint + "_bias")

    def layer_norm(self, x, n, hint):
        g = self.const(hint + "_gamma", 1.0 + 0.1 * self.rng.standard_normal(n))
        b = self.const(hint + "_beta", 0.1 * self.rng.standard_normal(n))
        return self.node("LayerNormalization", [x, g, b], hint, axis=-1, epsilon=1e-5)

    def conv(self, x, c_in, c_out, k, hint, pad=None, relu=True):
        w = self.const(hint + "_w", _w(self.rng, (c_out, c_in, k, k), c_in * k * k) * 1.4)
        b = self.const(hint + "_b", _bias(self.rng, c_out))
        p = (k - 1) // 2 if pad is None else pad
        y = self.node("Conv", [x, w, b], hint, kernel_shape=[k, k], pads=[p] * 4)
        return self.node("Relu", [y], hint + "_relu") if relu else y


def _attention(g, x, seq, hidden, heads, hint, bias=None, causal=None):
    """Multi-head self-attention on x[1,S,H]; bias is added to the scores, causal is a
    bool [S,S] mask applied with Where."""
    dh = hidden // heads
    split = g.const("heads_shape", [1, seq, heads, dh], np.int64)
    merge = g.const("merge_shape", [1, seq, hidden], np.int64)

    def proj(tag, perm):
        y = g.linear(x, hidden, hidden, f"{hint}_{tag}")
        y = g.node("Reshape", [y, split], f"{hint}_{tag}_split")
        return g.node("Transpose", [y], f"{hint}_{tag}_t", perm=perm)

    q = proj("q", [0, 2, 1, 3])
    k = proj("k", [0, 2, 3, 1])
    v = proj("v", [0, 2, 1, 3])
    scores = g.node("MatMul", [q, k], f"{hint}_scores")
    scale = g.const("scale", np.float32(1.0 / np.sqrt(dh)))
    scores = g.node("Mul", [scores, scale], f"{hint}_scaled")
    if bias is not None:
        scores = g.node("Add", [scores, bias], f"{hint}_masked")
    if causal is not None:
        neg = g.const("neg", np.float32(-1e9))
        scores = g.node("Where", [causal, scores, neg], f"{hint}_causal")
    probs = g.node("Softmax", [scores], f"{hint}_probs", axis=-1)
    ctx = g.node("MatMul", [probs, v], f"{hint}_ctx")
    ctx = g.node("Transpose", [ctx], f"{hint}_ctx_t", perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, merge], f"{hint}_ctx_merge")
    return g.linear(ctx, hidden, hidden, f"{hint}_out")


def _gelu_erf(g, x, hint):
    inv_sqrt2 = g.const("inv_sqrt2", np.float32(1.0 / np.sqrt(2.0)))
    one = g.const("one", np.float32(1.0))
    half = g.const("half", np.float32(0.5))
    e = g.node("Erf", [g.node("Mul", [x, inv_sqrt2], hint + "_div")], hint + "_erf")
    e = g.node("Add", [e, one], hint + "_erf1")
    return g.node("Mul", [g.node("Mul", [x, e], hint + "_xe"), half], hint)


def make_bert(seed):
    S, H, HEADS, FFN, VOCAB = 16, 64, 4, 128, 100
    g = Graph(np.random.default_rng(seed))
    word = g.const("word_embeddings", g.rng.standard_normal((VOCAB, H)) * 0.5)
    pos = g.const("position_embeddings", g.rng.standard_normal((S, H)) * 0.5)
    pos_ids = g.const("position_ids", np.arange(S).reshape(1, S), np.int64)
    x = g.node("Add", [g.node("Gather", [word, "input_ids"], "word_emb", axis=0),
                       g.node("Gather", [pos, pos_ids], "pos_emb", axis=0)], "emb")
    x = g.layer_norm(x, H, "emb_ln")
    # attention_mask [1,S] of 1/0 -> (1 - mask) * -10000 as [1,1,1,S]
    m = g.node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    m = g.node("Sub", [g.const("one", np.float32(1.0)), m], "mask_inv")
    m = g.node("Mul", [m, g.const("neg", np.float32(-10000.0))], "mask_bias")
    bias = g.node("Unsqueeze", [m, g.const("axes", [1, 2], np.int64)], "mask_bias4")
    for layer in range(2):
        h = f"l{layer}"
        a = _attention(g, x, S, H, HEADS, h + "_attn", bias=bias)
        x = g.layer_norm(g.node("Add", [x, a], h + "_res1"), H, h + "_ln1")
        f = _gelu_erf(g, g.linear(x, H, FFN, h + "_ffn1"), h + "_gelu")
        f = g.linear(f, FFN, H, h + "_ffn2")
        x = g.layer_norm(g.node("Add", [x, f], h + "_res2"), H, h + "_ln2")
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="out"))
    model = _model(g.nodes,
                   [_vi("input_ids", [1, S], TensorProto.INT64),
                    _vi("attention_mask", [1, S], TensorProto.INT64)],
                   [_vi("last_hidden_state", [1, S, H])], g.inits, "bert", 17)

    def inputs(rng):
        ids = rng.integers(0, VOCAB, size=(1, S), dtype=np.int64)
        mask = np.ones((1, S), dtype=np.int64)
        mask[0, 12:] = 0  # four padding positions
        return {"input_ids": ids, "attention_mask": mask}
    return model, inputs, F32_TOL


def make_gpt2(seed):
    S, H, HEADS = 16, 64, 4
    g = Graph(np.random.default_rng(seed))
    ones = g.node("ConstantOfShape", [g.const("mask_shape", [S, S], np.int64)], "ones",
                  value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]))
    tril = g.node("Trilu", [ones], "tril", upper=0)
    causal = g.node("Cast", [tril], "causal", to=TensorProto.BOOL)
    x = "x"
    a = _attention(g, g.layer_norm(x, H, "ln1"), S, H, HEADS, "attn", causal=causal)
    x = g.node("Add", [x, a], "res1")
    f = g.linear(g.layer_norm(x, H, "ln2"), H, 4 * H, "fc")
    f = g.node("Gelu", [f], "gelu", approximate="tanh")
    f = g.linear(f, 4 * H, H, "proj")
    g.nodes.append(helper.make_node("Add", [x, f], ["y"], name="res2"))
    model = _model(g.nodes, [_vi("x", [1, S, H])], [_vi("y", [1, S, H])], g.inits,
                   "gpt2", 20)
    return model, lambda rng: {"x": rng.standard_normal((1, S, H)).astype(np.float32)}, \
        F32_TOL


def make_unet(seed):
    g = Graph(np.random.default_rng(seed))
    e1 = g.conv(g.conv("image", 3, 8, 3, "enc1a"), 8, 8, 3, "enc1b")          # 8x32x32
    p1 = g.node("MaxPool", [e1], "pool1", kernel_shape=[2, 2], strides=[2, 2])
    e2 = g.conv(g.conv(p1, 8, 16, 3, "enc2a"), 16, 16, 3, "enc2b")            # 16x16x16
    p2 = g.node("MaxPool", [e2], "pool2", kernel_shape=[2, 2], strides=[2, 2])
    b = g.conv(p2, 16, 32, 3, "bottleneck")                                    # 32x8x8
    wt = g.const("up1_w", _w(g.rng, (32, 16, 2, 2), 32) * 1.4)   # [C_in, C_out, k, k]
    bt = g.const("up1_b", _bias(g.rng, 16))
    u1 = g.node("ConvTranspose", [b, wt, bt], "up1", kernel_shape=[2, 2], strides=[2, 2])
    d1 = g.conv(g.node("Concat", [u1, e2], "skip1", axis=1), 32, 16, 3, "dec1")  # 16x16x16
    scales = g.const("scales", [1.0, 1.0, 2.0, 2.0])
    u2 = g.node("Resize", [d1, "", scales], "up2", mode="linear",
                coordinate_transformation_mode="half_pixel")                  # 16x32x32
    u2 = g.conv(u2, 16, 8, 1, "up2_proj")
    d2 = g.conv(g.node("Concat", [u2, e1], "skip2", axis=1), 16, 8, 3, "dec2")  # 8x32x32
    w = g.const("head_w", _w(g.rng, (2, 8, 1, 1), 8))
    g.nodes.append(helper.make_node("Conv", [d2, w], ["mask"], name="head",
                                    kernel_shape=[1, 1]))
    model = _model(g.nodes, [_vi("image", [1, 3, 32, 32])], [_vi("mask", [1, 2, 32, 32])],
                   g.inits, "unet", 18)
    return model, lambda rng: {
        "image": rng.standard_normal((1, 3, 32, 32)).astype(np.float32)}, F32_TOL


def make_lstm(seed):
    S, F, HID, CLASSES = 12, 8, 16, 5
    g = Graph(np.random.default_rng(seed))
    w = g.const("W", _w(g.rng, (1, 4 * HID, F), F))
    r = g.const("R", _w(g.rng, (1, 4 * HID, HID), HID))
    b = g.const("B", _bias(g.rng, (1, 8 * HID)))
    g.nodes.append(helper.make_node("LSTM", ["x", w, r, b, "", "h0", "c0"],
                                    ["Y", "Y_h"], name="lstm", hidden_size=HID))
    h = g.node("Reshape", ["Y_h", g.const("flat", [1, HID], np.int64)], "h_last")
    wc = g.const("cls_w", _w(g.rng, (CLASSES, HID), HID) * 2.0)
    bc = g.const("cls_b", _bias(g.rng, CLASSES))
    logits = g.node("Gemm", [h, wc, bc], "logits", transB=1)
    g.nodes.append(helper.make_node("Softmax", [logits], ["probs"], name="softmax", axis=-1))
    model = _model(g.nodes, [_vi("x", [S, 1, F]), _vi("h0", [1, 1, HID]),
                             _vi("c0", [1, 1, HID])],
                   [_vi("probs", [1, CLASSES])], g.inits, "lstm", 14)

    def inputs(rng):
        return {"x": rng.standard_normal((S, 1, F)).astype(np.float32),
                "h0": (0.5 * rng.standard_normal((1, 1, HID))).astype(np.float32),
                "c0": (0.5 * rng.standard_normal((1, 1, HID))).astype(np.float32)}
    return model, inputs, F32_TOL


def make_qdq_cnn(seed):
    g = Graph(np.random.default_rng(seed))

    def qdq(x, scale, zp, hint):
        s = g.const(hint + "_scale", np.float32(scale))
        z = g.const(hint + "_zp", np.uint8(zp), np.uint8)
        q = g.node("QuantizeLinear", [x, s, z], hint + "_q")
        return g.node("DequantizeLinear", [q, s, z], hint + "_dq"), scale

    def qconv(x, x_scale, c_in, c_out, k, hint, per_channel):
        w = _w(g.rng, (c_out, c_in, k, k), c_in * k * k) * 1.4
        if per_channel:
            w_scale = (np.abs(w).reshape(c_out, -1).max(axis=1) / 127.0).astype(np.float32)
            wq = np.clip(np.round(w / w_scale[:, None, None, None]), -127, 127)
            ws = g.const(hint + "_w_scale", w_scale)
            wz = g.const(hint + "_w_zp", np.zeros(c_out), np.int8)
            axis = {"axis": 0}
        else:
            w_scale = np.float32(np.abs(w).max() / 127.0)
            wq = np.clip(np.round(w / w_scale), -127, 127)
            ws = g.const(hint + "_w_scale", w_scale)
            wz = g.const(hint + "_w_zp", np.int8(0), np.int8)
            axis = {}
        wdq = g.node("DequantizeLinear", [g.const(hint + "_wq", wq, np.int8), ws, wz],
                     hint + "_w_dq", **axis)
        # bias as int32 with scale x_scale * w_scale, zero point 0
        b_scale = (np.float32(x_scale) * np.asarray(w_scale, np.float32)).astype(np.float32)
        bq = np.round(_bias(g.rng, c_out) / b_scale)
        bdq = g.node("DequantizeLinear",
                     [g.const(hint + "_bq", bq, np.int32), g.const(hint + "_b_scale", b_scale),
                      g.const(hint + "_b_zp", np.zeros(c_out) if per_channel else 0,
                              np.int32)],
                     hint + "_b_dq", **axis)
        y = g.node("Conv", [x, wdq, bdq], hint, kernel_shape=[k, k], pads=[k // 2] * 4)
        return g.node("Relu", [y], hint + "_relu")

    x, s = qdq("image", 0.03, 128, "in")
    y = qconv(x, s, 3, 8, 3, "conv1", per_channel=True)
    y, s = qdq(y, 0.02, 0, "act1")
    y = g.node("MaxPool", [y], "pool", kernel_shape=[2, 2], strides=[2, 2])
    y = qconv(y, s, 8, 16, 3, "conv2", per_channel=False)
    y, s = qdq(y, 0.02, 0, "act2")
    y = g.node("GlobalAveragePool", [y], "gap")
    y = g.node("Flatten", [y], "flat", axis=1)
    y, s = qdq(y, 0.01, 0, "act3")
    w = _w(g.rng, (10, 16), 16) * 2.0
    w_scale = np.float32(np.abs(w).max() / 127.0)
    wdq = g.node("DequantizeLinear",
                 [g.const("fc_wq", np.clip(np.round(w / w_scale), -127, 127), np.int8),
                  g.const("fc_w_scale", w_scale), g.const("fc_w_zp", np.int8(0), np.int8)],
                 "fc_w_dq")
    b = g.const("fc_b", _bias(g.rng, 10))
    g.nodes.append(helper.make_node("Gemm", [y, wdq, b], ["logits"], name="fc", transB=1))
    model = _model(g.nodes, [_vi("image", [1, 3, 16, 16])], [_vi("logits", [1, 10])],
                   g.inits, "qdq_cnn", 17)
    return model, lambda rng: {
        "image": rng.uniform(-1.0, 1.0, (1, 3, 16, 16)).astype(np.float32)}, F32_TOL


def make_fp16(seed):
    g = Graph(np.random.default_rng(seed))
    f16 = np.float16
    w1 = g.const("conv_w", _w(g.rng, (8, 4, 3, 3), 36) * 1.4, f16)
    b1 = g.const("conv_b", _bias(g.rng, 8), f16)
    y = g.node("Conv", ["x", w1, b1], "conv", kernel_shape=[3, 3])            # 8x6x6
    y = g.node("Relu", [y], "relu")
    y = g.node("Flatten", [y], "flat", axis=1)                                 # [1,288]
    w2 = g.const("fc1_w", _w(g.rng, (288, 32), 288) * 1.4, f16)
    b2 = g.const("fc1_b", _bias(g.rng, 32), f16)
    y = g.node("Add", [g.node("MatMul", [y, w2], "fc1"), b2], "fc1_bias")
    y = g.node("Relu", [y], "relu2")
    w3 = g.const("fc2_w", _w(g.rng, (16, 32), 32), f16)
    b3 = g.const("fc2_b", _bias(g.rng, 16), f16)
    y = g.node("Gemm", [y, w3, b3], "fc2", transB=1)
    g.nodes.append(helper.make_node("Tanh", [y], ["y"], name="tanh"))
    model = _model(g.nodes, [_vi("x", [1, 4, 8, 8], TensorProto.FLOAT16)],
                   [_vi("y", [1, 16], TensorProto.FLOAT16)], g.inits, "fp16", 17)
    return model, lambda rng: {
        "x": rng.standard_normal((1, 4, 8, 8)).astype(np.float16)}, F16_TOL


# stem: (builder, weight seed, input seed)
MODELS = {
    "bert": (make_bert, 801, 1801),
    "gpt2": (make_gpt2, 802, 1802),
    "unet": (make_unet, 803, 1803),
    "lstm": (make_lstm, 804, 1804),
    "qdq_cnn": (make_qdq_cnn, 805, 1805),
    "fp16": (make_fp16, 806, 1806),
}


def reference(model, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", help="directory to write models and data into (created)")
    ap.add_argument("--only", action="append", help="build only this model (repeatable)")
    args = ap.parse_args(argv)
    os.makedirs(args.outdir, exist_ok=True)

    manifest = {}
    for stem, (build, wseed, iseed) in MODELS.items():
        if args.only and stem not in args.only:
            continue
        model, make_inputs, tol = build(wseed)
        onnx.save(model, os.path.join(args.outdir, f"{stem}.onnx"))
        feeds = make_inputs(np.random.default_rng(iseed))
        outs = reference(model, feeds)
        for name, value in list(feeds.items()) + list(outs.items()):
            if not np.all(np.isfinite(value)) or np.ptp(value) == 0:
                sys.exit(f"make_real_models: {stem}.{name} is degenerate")
            np.save(os.path.join(args.outdir, f"{stem}.{name}.npy"), value)
        manifest[stem] = {"model": f"{stem}.onnx", "inputs": list(feeds),
                          "outputs": list(outs), **tol}
        print(f"wrote {stem}.onnx ({len(model.graph.node)} nodes, "
              f"{len(model.graph.initializer)} initializers)")
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
