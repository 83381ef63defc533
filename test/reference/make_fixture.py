#!/usr/bin/python3
"""Build one small ONNX model by hand (onnx.helper) that follows docs/model-conventions.md exactly.

  make_fixture.py --onnx fixture.onnx --config fixture.json [--inputs inputs.json] [--seed N]

A tiny GPT-like decoder: vocab 50, context 16, width 16, 2 layers, 2 heads, layernorm pre, learned
positions, gelu (erf), bias true, lm tied. It exists so the reference can be tested end to end before
the compiler emits models: run it with onnxruntime (test/reference/run_ort.mjs) and with
run_reference.py and compare. Initializers are exactly the doc's parameters; every other constant is
a Constant node, so the loader must report no unused initializers.

Weights are seeded numpy normals with deliberately non-trivial norms and biases (not the doc's
normal(0, 0.02) init), so that a mistake in any of them moves the outputs.
"""

import argparse
import json
import math

import numpy as np

CONFIG = {
    "name": "fixture",
    "kind": "decoder",
    "vocab": 50,
    "context": 16,
    "width": 16,
    "layers": 2,
    "heads": 2,
    "kvHeads": 2,
    "headDim": 8,
    "ffn": {"size": 64, "activation": "gelu"},
    "norm": {"kind": "layernorm", "placement": "pre", "eps": 1e-5},
    "position": {"kind": "learned"},
    "bias": True,
    "tokenTypes": 0,
    "output": {"kind": "lm", "tied": True},
}

OPSET = 17


def make_weights(c, seed):
    rng = np.random.default_rng(seed)
    W, H, D, F, V = c["width"], c["heads"], c["headDim"], c["ffn"]["size"], c["vocab"]

    def mat(*shape, std=0.2):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    w = {"embed.tokens": mat(V, W, std=1.0), "embed.positions": mat(c["context"], W, std=0.5)}
    for L in range(c["layers"]):
        p = f"layers.{L}"
        for part, (i, o) in {"q": (W, H * D), "k": (W, H * D), "v": (W, H * D), "o": (H * D, W)}.items():
            w[f"{p}.attn.{part}.weight"] = mat(i, o, std=1 / math.sqrt(i))
            w[f"{p}.attn.{part}.bias"] = mat(o, std=0.1)
        for part, (i, o) in {"up": (W, F), "down": (F, W)}.items():
            w[f"{p}.ffn.{part}.weight"] = mat(i, o, std=1 / math.sqrt(i))
            w[f"{p}.ffn.{part}.bias"] = mat(o, std=0.1)
        for n in ("attn_norm", "ffn_norm"):
            w[f"{p}.{n}.weight"] = 1 + mat(W, std=0.1)
            w[f"{p}.{n}.bias"] = mat(W, std=0.1)
    w["final_norm.weight"] = 1 + mat(W, std=0.1)
    w["final_norm.bias"] = mat(W, std=0.1)
    return w


def build(c=CONFIG, seed=0):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    W, H, D, V, eps = c["width"], c["heads"], c["headDim"], c["vocab"], c["norm"]["eps"]
    weights = make_weights(c, seed)
    nodes = []
    counter = [0]

    def fresh(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def node(op, inputs, prefix=None, **attrs):
        out = fresh(prefix or op.lower())
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def const(value, dtype, prefix="const"):
        out = fresh(prefix)
        nodes.append(helper.make_node("Constant", [], [out], value=numpy_helper.from_array(np.array(value, dtype=dtype), out)))
        return out

    def linear(x, name):
        return node("Add", [node("MatMul", [x, f"{name}.weight"]), f"{name}.bias"])

    def layernorm(x, name):
        return node("LayerNormalization", [x, f"{name}.weight", f"{name}.bias"], axis=-1, epsilon=eps)

    # Embeddings: tokens + positions[0:seq].
    shape = node("Shape", ["input_ids"])
    seq = node("Slice", [shape, const([1], np.int64), const([2], np.int64)], prefix="seq")  # [1]
    pos = node("Slice", ["embed.positions", const([0], np.int64), seq, const([0], np.int64)])
    h = node("Add", [node("Gather", ["embed.tokens", "input_ids"], axis=0), pos])

    # Causal mask [seq, seq]: -1e9 strictly above the diagonal (keys after the query), 0 elsewhere.
    seq2 = node("Concat", [seq, seq], axis=0)
    neg = node("ConstantOfShape", [seq2], value=numpy_helper.from_array(np.array([-1e9], dtype=np.float32)))
    mask = node("Trilu", [neg, const(1, np.int64)], upper=1)

    split_heads = const([0, 0, H, D], np.int64)
    merge_heads = const([0, 0, H * D], np.int64)
    scale = const(1.0 / math.sqrt(D), np.float32)
    half, one, sqrt2 = const(0.5, np.float32), const(1.0, np.float32), const(math.sqrt(2.0), np.float32)

    for L in range(c["layers"]):
        p = f"layers.{L}"
        x = layernorm(h, f"{p}.attn_norm")
        q = node("Transpose", [node("Reshape", [linear(x, f"{p}.attn.q"), split_heads])], perm=[0, 2, 1, 3])  # [B,H,S,D]
        kT = node("Transpose", [node("Reshape", [linear(x, f"{p}.attn.k"), split_heads])], perm=[0, 2, 3, 1])  # [B,H,D,S]
        v = node("Transpose", [node("Reshape", [linear(x, f"{p}.attn.v"), split_heads])], perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, kT]), scale]), mask])
        probs = node("Softmax", [scores], axis=-1)
        attn = node("Reshape", [node("Transpose", [node("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge_heads])
        h = node("Add", [h, linear(attn, f"{p}.attn.o")])

        x = layernorm(h, f"{p}.ffn_norm")
        u = linear(x, f"{p}.ffn.up")
        g = node("Mul", [node("Mul", [u, half]), node("Add", [node("Erf", [node("Div", [u, sqrt2])]), one])])  # erf gelu
        h = node("Add", [h, linear(g, f"{p}.ffn.down")])

    nodes.append(helper.make_node("LayerNormalization", [h, "final_norm.weight", "final_norm.bias"], ["hidden_states"], axis=-1, epsilon=eps))
    # Tied LM head: logits = h @ embed.tokensᵀ.
    nodes.append(helper.make_node("MatMul", ["hidden_states", node("Transpose", ["embed.tokens"], perm=[1, 0])], ["logits"]))

    graph = helper.make_graph(
        nodes,
        c["name"],
        inputs=[helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        outputs=[
            helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", "seq", W]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", V]),
        ],
        initializer=[numpy_helper.from_array(a, n) for n, a in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tfc-test-reference")
    model.ir_version = 8  # onnx 1.12's checker knows up to IR 8
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True, help="where to write the model")
    ap.add_argument("--config", required=True, help="where to write its config JSON")
    ap.add_argument("--inputs", help="optionally, where to write a sample inputs JSON (batch 2, seq 7)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    import onnx

    onnx.save(build(CONFIG, a.seed), a.onnx)
    with open(a.config, "w") as f:
        json.dump(CONFIG, f, indent=2)
    if a.inputs:
        rng = np.random.default_rng(a.seed + 1)
        with open(a.inputs, "w") as f:
            json.dump({"input_ids": rng.integers(0, CONFIG["vocab"], size=(2, 7)).tolist()}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
