"""Trains the bundled example model and writes digits.onnx and samples.h.

The data is the 8x8 handwritten digits set that scikit-learn ships inside its
package (UCI optical recognition of handwritten digits), so nothing is fetched.
A 64-32-10 MLP is trained with plain numpy (full-batch Adam, fixed seed).

    python3 train_digits.py [--out DIR]      (needs numpy, onnx, scikit-learn)
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits


def train(x, y, hidden=32, epochs=400, lr=0.01, seed=0):
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((64, hidden)).astype(np.float32) * np.sqrt(2 / 64)
    b1 = np.zeros(hidden, np.float32)
    w2 = rng.standard_normal((hidden, 10)).astype(np.float32) * np.sqrt(2 / hidden)
    b2 = np.zeros(10, np.float32)
    params = [w1, b1, w2, b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    onehot = np.eye(10, dtype=np.float32)[y]
    for t in range(1, epochs + 1):
        h = np.maximum(x @ w1 + b1, 0)
        logits = h @ w2 + b2
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / len(x)
        gw2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ w2.T) * (h > 0)
        gw1, gb1 = x.T @ gh, gh.sum(0)
        for i, gr in enumerate([gw1, gb1, gw2, gb2]):
            m[i] = 0.9 * m[i] + 0.1 * gr
            v[i] = 0.999 * v[i] + 0.001 * gr * gr
            params[i] -= lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
    return [p.astype(np.float32) for p in params]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    order = np.random.default_rng(1).permutation(len(x))
    train_idx, test_idx = order[:1500], order[1500:]
    w1, b1, w2, b2 = train(x[train_idx], y[train_idx])
    h = np.maximum(x[test_idx] @ w1 + b1, 0)
    acc = float(((h @ w2 + b2).argmax(1) == y[test_idx]).mean())
    print(f"held-out accuracy: {acc:.3f} on {len(test_idx)} digits")

    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["pixels", "w1", "b1"], ["h"], name="fc1"),
            helper.make_node("Relu", ["h"], ["hr"], name="relu1"),
            helper.make_node("Gemm", ["hr", "w2", "b2"], ["logits"], name="fc2"),
            helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
        ],
        "digits",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(a, n) for a, n in [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2")]],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="nnmodel-example", producer_version="1")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(args.out, "digits.onnx"))

    # Ten held-out digits, one of each class, for the example application.
    lines = ["// Held-out 8x8 digits (pixels scaled to [0, 1]) written by train_digits.py.",
             "#pragma once", "static const int kNumSamples = 10;",
             "static const int kSampleLabels[10] = {" + ", ".join(str(d) for d in range(10)) + "};",
             "static const float kSamples[10][64] = {"]
    for d in range(10):
        i = next(i for i in test_idx if y[i] == d)
        lines.append("  {" + ", ".join(f"{v:.4f}f" for v in x[i]) + "},")
    lines.append("};")
    with open(os.path.join(args.out, "samples.h"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
