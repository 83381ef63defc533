"""Cross-checks the PyTorch reference against a second, deliberately different formulation.

  /usr/bin/python3 -m unittest discover -s test/reference

The numpy model below is written from docs/model-conventions.md independently of torch_model.py, and
differently on purpose: float64 throughout; weights used as stored ([in, out], `x @ W + b`); per-head
column slices of Wq/Wk/Wv instead of reshapes; kv head chosen by index `h // (H/KV)` instead of
repeat_interleave; rotary as a complex rotation of the pairs (i, i + D/2) instead of rotate_half;
causal attention as a loop over query positions over keys 0..i instead of a -inf mask; the output
projection as a sum over heads instead of a merge; the sinusoidal table from a scalar loop. The
weight names are generated here from the doc's table, so they check torch_model's name map too.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import torch_model  # noqa: E402
from torch_model import ReferenceLoadError, ReferenceModel, load_from_onnx  # noqa: E402

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
REPO = os.path.dirname(os.path.dirname(HERE))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f)

# ---------------------------------------------------------------------------------------------
# Configs


def cfg(**kw):
    base = {
        "kind": "decoder", "vocab": 37, "context": 12, "width": 16, "layers": 2, "heads": 2, "kvHeads": 2,
        "headDim": 8, "ffn": {"size": 24, "activation": "gelu"},
        "norm": {"kind": "layernorm", "placement": "pre", "eps": 1e-5},
        "position": {"kind": "learned"}, "bias": True, "tokenTypes": 0, "output": {"kind": "lm", "tied": True},
    }
    base.update(kw)
    return base


CONFIGS = {
    "bert_pooler": cfg(kind="encoder", norm={"kind": "layernorm", "placement": "post", "eps": 1e-12},
                       tokenTypes=2, output={"kind": "pooler"}),
    "gpt2_lm_tied": cfg(ffn={"size": 32, "activation": "gelu_tanh"}),
    "llama_gqa": cfg(width=24, heads=4, kvHeads=2, headDim=8, ffn={"size": 40, "activation": "swiglu"},
                     norm={"kind": "rmsnorm", "placement": "pre", "eps": 1e-6},
                     position={"kind": "rotary", "theta": 10000.0}, bias=False, output={"kind": "lm", "tied": False}),
    "llama_mqa_theta": cfg(heads=4, kvHeads=1, headDim=6, ffn={"size": 20, "activation": "swiglu"},
                           norm={"kind": "rmsnorm", "placement": "pre", "eps": 1e-5},
                           position={"kind": "rotary", "theta": 500.0}, bias=False, output={"kind": "lm", "tied": True}),
    "encoder_classifier": cfg(kind="encoder", norm={"kind": "layernorm", "placement": "post", "eps": 1e-5},
                              ffn={"size": 24, "activation": "relu"}, tokenTypes=3, bias=False,
                              output={"kind": "classifier", "classes": 3}),
    "decoder_classifier_nobias": cfg(ffn={"size": 24, "activation": "silu"}, bias=False,
                                     output={"kind": "classifier", "classes": 4}),
    "decoder_classifier_bias": cfg(output={"kind": "classifier", "classes": 5}),
    "encoder_sinusoidal_geglu": cfg(kind="encoder", width=18, heads=3, kvHeads=3, headDim=6,
                                    ffn={"size": 20, "activation": "geglu"}, position={"kind": "sinusoidal"},
                                    output={"kind": "none"}),
    "decoder_sinusoidal_post": cfg(norm={"kind": "layernorm", "placement": "post", "eps": 1e-5},
                                   position={"kind": "sinusoidal"}, ffn={"size": 24, "activation": "geglu"}),
    # head_dim * heads != width, no positions, rmsnorm post (embed.norm is an RMSNorm too).
    "odd_shapes": cfg(width=12, heads=3, kvHeads=3, headDim=5, layers=3, position={"kind": "none"},
                      norm={"kind": "rmsnorm", "placement": "post", "eps": 1e-5}, output={"kind": "pooler"}),
    "zero_layers": cfg(layers=0, output={"kind": "lm", "tied": False}),
}

# ---------------------------------------------------------------------------------------------
# Weights by name, straight from the doc's table.


def doc_shapes(c):
    W, H, KV, D, F = c["width"], c["heads"], c.get("kvHeads", c["heads"]), c["headDim"], c["ffn"]["size"]
    ln, post, enc = c["norm"]["kind"] == "layernorm", c["norm"]["placement"] == "post", c["kind"] == "encoder"
    out, bias = c["output"], c["bias"]
    s = {"embed.tokens": (c["vocab"], W)}
    if c["position"]["kind"] == "learned":
        s["embed.positions"] = (c["context"], W)
    if c["tokenTypes"] > 0:
        s["embed.token_types"] = (c["tokenTypes"], W)
    if post:
        s["embed.norm.weight"] = (W,)
        if c["norm"]["kind"] == "layernorm":
            s["embed.norm.bias"] = (W,)
    for L in range(c["layers"]):
        p = f"layers.{L}"
        for part, shape in (("q", (W, H * D)), ("k", (W, KV * D)), ("v", (W, KV * D)), ("o", (H * D, W))):
            s[f"{p}.attn.{part}.weight"] = shape
            if bias:
                s[f"{p}.attn.{part}.bias"] = (shape[1],)
        parts = [("up", (W, F)), ("down", (F, W))]
        if c["ffn"]["activation"] in ("swiglu", "geglu"):
            parts.append(("gate", (W, F)))
        for part, shape in parts:
            s[f"{p}.ffn.{part}.weight"] = shape
            if bias:
                s[f"{p}.ffn.{part}.bias"] = (shape[1],)
        for n in ("attn_norm", "ffn_norm"):
            s[f"{p}.{n}.weight"] = (W,)
            if ln:
                s[f"{p}.{n}.bias"] = (W,)
    if not post:
        s["final_norm.weight"] = (W,)
        if ln:
            s["final_norm.bias"] = (W,)
    if out["kind"] == "pooler" or (out["kind"] == "classifier" and enc):
        s["head.pooler.weight"], s["head.pooler.bias"] = (W, W), (W,)
    if out["kind"] == "classifier":
        s["head.classifier.weight"] = (W, out["classes"])
        if bias or enc:
            s["head.classifier.bias"] = (out["classes"],)
    if out["kind"] == "lm" and not out["tied"]:
        s["head.lm.weight"] = (W, c["vocab"])
    return s


def random_weights(c, seed):
    """float32 weights with O(1) activations and non-trivial norms/biases, so every tensor matters."""
    rng = np.random.default_rng(seed)
    w = {}
    for name, shape in doc_shapes(c).items():
        if name.startswith("embed."):
            a = rng.standard_normal(shape)
        elif name.endswith("norm.weight"):
            a = 1 + 0.2 * rng.standard_normal(shape)
        elif len(shape) == 1:
            a = 0.2 * rng.standard_normal(shape)
        else:
            a = rng.standard_normal(shape) / math.sqrt(shape[0])
        w[name] = a.astype(np.float32)
    return w


def save_initializers(weights, path):
    """An ONNX file holding just the initializers (plus a dummy Identity so the graph is not empty)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    first = next(iter(weights))
    graph = helper.make_graph(
        [helper.make_node("Identity", [first], ["dummy"])], "weights", [],
        [helper.make_tensor_value_info("dummy", TensorProto.FLOAT, list(weights[first].shape))],
        initializer=[numpy_helper.from_array(np.asarray(a), n) for n, a in weights.items()])
    onnx.save(helper.make_model(graph), path)


# ---------------------------------------------------------------------------------------------
# The second formulation.


def np_layernorm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def np_rmsnorm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


_erf = np.vectorize(math.erf)


def np_act(name, x):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "gelu":
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    if name == "gelu_tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "silu":
        return x / (1 + np.exp(-x))
    raise ValueError(name)


def np_sinusoidal(context, width):
    pe = np.zeros((context, width))
    for p in range(context):
        for j in range(width):
            a = p / 10000 ** ((j - j % 2) / width)
            pe[p, j] = math.sin(a) if j % 2 == 0 else math.cos(a)
    return pe


def np_rotary(x, theta):
    """x [S, D]: rotate each pair (x[i], x[i + D/2]) at position p by angle p * theta^(-2i/D)."""
    S, D = x.shape
    half = D // 2
    angle = np.arange(S)[:, None] * theta ** (-2.0 * np.arange(half) / D)[None, :]
    z = (x[:, :half] + 1j * x[:, half:]) * np.exp(1j * angle)
    return np.concatenate([z.real, z.imag], axis=-1)


def np_forward(c, w, ids, tt=None):
    w = {k: v.astype(np.float64) for k, v in w.items()}
    W, H, D, eps = c["width"], c["heads"], c["headDim"], c["norm"]["eps"]
    KV = c.get("kvHeads", H)
    B, S = ids.shape
    pos, pre, act = c["position"]["kind"], c["norm"]["placement"] == "pre", c["ffn"]["activation"]
    bias = lambda name, n: w.get(name, np.zeros(n))  # noqa: E731

    def norm(x, name):
        if c["norm"]["kind"] == "rmsnorm":
            return np_rmsnorm(x, w[name + ".weight"], eps)
        return np_layernorm(x, w[name + ".weight"], w[name + ".bias"], eps)

    def attn(x, p):  # x [S, W] for one sequence
        out = np.zeros((S, W)) + bias(f"{p}.attn.o.bias", W)
        for h in range(H):
            g = h // (H // KV)
            qs, ks = slice(h * D, (h + 1) * D), slice(g * D, (g + 1) * D)
            q = x @ w[f"{p}.attn.q.weight"][:, qs] + bias(f"{p}.attn.q.bias", H * D)[qs]
            k = x @ w[f"{p}.attn.k.weight"][:, ks] + bias(f"{p}.attn.k.bias", KV * D)[ks]
            v = x @ w[f"{p}.attn.v.weight"][:, ks] + bias(f"{p}.attn.v.bias", KV * D)[ks]
            if pos == "rotary":
                q, k = np_rotary(q, c["position"]["theta"]), np_rotary(k, c["position"]["theta"])
            o = np.zeros((S, D))
            for i in range(S):
                n = i + 1 if c["kind"] == "decoder" else S
                s = k[:n] @ q[i] / math.sqrt(D)
                e = np.exp(s - s.max())
                o[i] = (e / e.sum()) @ v[:n]
            out += o @ w[f"{p}.attn.o.weight"][qs, :]  # rows h*D..: this head's slice of Wo
        return out

    def lin(x, name, n):
        return x @ w[name + ".weight"] + bias(name + ".bias", n)

    def ffn(x, p):
        F = c["ffn"]["size"]
        if act in ("swiglu", "geglu"):
            g = np_act("silu" if act == "swiglu" else "gelu", lin(x, f"{p}.ffn.gate", F))
            m = g * lin(x, f"{p}.ffn.up", F)
        else:
            m = np_act(act, lin(x, f"{p}.ffn.up", F))
        return lin(m, f"{p}.ffn.down", W)

    h = w["embed.tokens"][ids]
    if pos == "learned":
        h = h + w["embed.positions"][:S]
    elif pos == "sinusoidal":
        h = h + np_sinusoidal(c["context"], W)[:S]
    if c["tokenTypes"] > 0:
        h = h + w["embed.token_types"][tt if tt is not None else np.zeros_like(ids)]
    if not pre:
        h = norm(h, "embed.norm")
    for L in range(c["layers"]):
        p = f"layers.{L}"
        for b in range(B):
            x = h[b]
            if pre:
                x = x + attn(norm(x, f"{p}.attn_norm"), p)
                x = x + ffn(norm(x, f"{p}.ffn_norm"), p)
            else:
                x = norm(x + attn(x, p), f"{p}.attn_norm")
                x = norm(x + ffn(x, p), f"{p}.ffn_norm")
            h[b] = x
    if pre:
        h = norm(h, "final_norm")
    outs = {"hidden_states": h}
    out = c["output"]
    if out["kind"] == "pooler" or (out["kind"] == "classifier" and c["kind"] == "encoder"):
        outs["pooled"] = np.tanh(lin(h[:, 0], "head.pooler", W))
    if out["kind"] == "classifier":
        src = outs["pooled"] if c["kind"] == "encoder" else h[:, S - 1]
        outs["logits"] = lin(src, "head.classifier", out["classes"])
    elif out["kind"] == "lm":
        outs["logits"] = h @ (w["embed.tokens"].T if out["tied"] else w["head.lm.weight"])
    return outs


# ---------------------------------------------------------------------------------------------


def torch_forward(c, path, ids, tt=None, float64=False):
    m = ReferenceModel(c)
    if float64:
        m = m.double()
    report = load_from_onnx(m, path)
    with torch.no_grad():
        outs = m(torch.tensor(ids), None if tt is None else torch.tensor(tt))
    return {k: v.double().numpy() for k, v in outs.items()}, report


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfc-ref-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def assert_close(tc, got, want, atol, label):
    tc.assertEqual(list(got), list(want), f"{label}: output names/order")
    for k in want:
        tc.assertEqual(got[k].shape, want[k].shape, f"{label}: {k} shape")
        scale = max(1.0, float(np.abs(want[k]).max()))
        err = float(np.abs(got[k] - want[k]).max())
        tc.assertLessEqual(err, atol * scale, f"{label}: {k} max abs err {err:.3g} (scale {scale:.3g})")


class CrossCheck(TempDirCase):
    """torch (float32 and float64) vs the numpy formulation, for every config."""

    def test_configs(self):
        for i, (name, c) in enumerate(CONFIGS.items()):
            with self.subTest(config=name):
                w = random_weights(c, seed=i)
                path = os.path.join(self.tmp, name + ".onnx")
                save_initializers(w, path)
                rng = np.random.default_rng(100 + i)
                for S in (1, 5, c["context"]):
                    ids = rng.integers(0, c["vocab"], size=(2, S))
                    tt = rng.integers(0, c["tokenTypes"], size=(2, S)) if c["tokenTypes"] else None
                    want = np_forward(c, w, ids, tt)
                    got32, report = torch_forward(c, path, ids, tt)
                    got64, _ = torch_forward(c, path, ids, tt, float64=True)
                    assert_close(self, got32, want, 1e-5, f"{name} seq {S} float32")
                    assert_close(self, got64, want, 1e-10, f"{name} seq {S} float64")
                    self.assertEqual(report["unused"], [])
                    self.assertEqual(sorted(report["loaded"]), sorted(w))

    def test_expected_output_names(self):
        def names(c):
            return ReferenceModel(c).output_names()

        self.assertEqual(names(CONFIGS["bert_pooler"]), ["hidden_states", "pooled"])
        self.assertEqual(names(CONFIGS["encoder_classifier"]), ["hidden_states", "pooled", "logits"])
        self.assertEqual(names(CONFIGS["decoder_classifier_bias"]), ["hidden_states", "logits"])
        self.assertEqual(names(CONFIGS["gpt2_lm_tied"]), ["hidden_states", "logits"])
        self.assertEqual(names(CONFIGS["encoder_sinusoidal_geglu"]), ["hidden_states"])

    def test_default_token_types_are_zero(self):
        c = CONFIGS["bert_pooler"]
        w = random_weights(c, seed=7)
        path = os.path.join(self.tmp, "m.onnx")
        save_initializers(w, path)
        ids = np.array([[1, 2, 3]])
        a, _ = torch_forward(c, path, ids)
        b, _ = torch_forward(c, path, ids, np.zeros_like(ids))
        np.testing.assert_array_equal(a["pooled"], b["pooled"])


class ConstantTables(TempDirCase):
    def test_tables_match_closed_forms(self):
        pe = torch_model.sinusoidal_table(9, 10).numpy()
        np.testing.assert_allclose(pe, np_sinusoidal(9, 10), atol=1e-12)
        cos, sin = torch_model.rope_tables(9, 6, 10000.0)
        x = np.random.default_rng(0).standard_normal((9, 6))
        hf = x * cos.numpy() + torch_model.rotate_half(torch.tensor(x)).numpy() * sin.numpy()
        np.testing.assert_allclose(hf, np_rotary(x, 10000.0), atol=1e-12)
        # inv_freq[i] = theta^(-2i/D), repeated twice: column 1 and column D/2+1 share a frequency.
        np.testing.assert_allclose(cos.numpy()[5, 1], math.cos(5 * 10000 ** (-2 / 6)), atol=1e-15)
        np.testing.assert_allclose(cos.numpy()[5, 4], math.cos(5 * 10000 ** (-2 / 6)), atol=1e-15)

    def test_file_tables_are_ignored_and_reported(self):
        for name, tables in (("encoder_sinusoidal_geglu", ["embed.positions"]), ("llama_gqa", ["rope.cos", "rope.sin"])):
            with self.subTest(config=name):
                c = CONFIGS[name]
                w = random_weights(c, seed=3)
                shape = (c["context"], c["width"] if tables[0] == "embed.positions" else c["headDim"])
                bad = dict(w, **{t: np.full(shape, 7.0, np.float32) for t in tables})
                path = os.path.join(self.tmp, name + ".onnx")
                save_initializers(bad, path)
                ids = np.array([[3, 1, 4, 1, 5]])
                got, report = torch_forward(c, path, ids, float64=True)
                assert_close(self, got, np_forward(c, w, ids), 1e-10, name)
                self.assertEqual(report["unused"], [])
                for t in tables:
                    self.assertTrue(report["constants"][t]["present"])
                    self.assertGreater(report["constants"][t]["max_abs_diff"], 1.0)

    def test_correct_tables_report_small_diff(self):
        c = CONFIGS["llama_gqa"]
        cos, sin = torch_model.rope_tables(c["context"], c["headDim"], 10000.0)
        w = dict(random_weights(c, seed=4), **{"rope.cos": cos.float().numpy(), "rope.sin": sin.float().numpy()})
        path = os.path.join(self.tmp, "m.onnx")
        save_initializers(w, path)
        _, report = torch_forward(c, path, np.array([[1]]))
        self.assertLess(report["constants"]["rope.cos"]["max_abs_diff"], 1e-7)


class Loader(TempDirCase):
    def load(self, c, w):
        path = os.path.join(self.tmp, "m.onnx")
        save_initializers(w, path)
        return load_from_onnx(ReferenceModel(c), path)

    def test_missing_tensor_is_named(self):
        c = CONFIGS["llama_gqa"]
        w = random_weights(c, seed=0)
        del w["layers.1.attn.k.weight"], w["head.lm.weight"]
        with self.assertRaises(ReferenceLoadError) as e:
            self.load(c, w)
        self.assertIn("missing initializer 'layers.1.attn.k.weight' (expected shape [24, 16])", str(e.exception))
        self.assertIn("'head.lm.weight'", str(e.exception))

    def test_wrong_shape_is_named(self):
        c = CONFIGS["llama_gqa"]
        w = random_weights(c, seed=0)
        w["layers.0.attn.o.weight"] = w["layers.0.attn.o.weight"].T.copy()  # stored [out, in] by mistake
        with self.assertRaises(ReferenceLoadError) as e:
            self.load(c, w)
        self.assertIn("'layers.0.attn.o.weight' has shape [24, 32], expected [32, 24]", str(e.exception))

    def test_unused_are_reported(self):
        c = CONFIGS["gpt2_lm_tied"]
        w = random_weights(c, seed=0)
        w["head.lm.weight"] = np.zeros((c["width"], c["vocab"]), np.float32)  # tied: must not exist
        w["rope.cos"] = np.zeros((c["context"], c["headDim"]), np.float32)  # not a rotary model
        w["shape_const"] = np.array([0, 0, 2, 8], np.int64)
        report = self.load(c, w)
        self.assertEqual(report["unused"], ["head.lm.weight", "rope.cos", "shape_const"])

    def test_bias_false_has_no_biases(self):
        c = CONFIGS["llama_gqa"]
        w = random_weights(c, seed=0)
        self.assertFalse([n for n in w if n.endswith(".bias")])
        w["layers.0.attn.q.bias"] = np.zeros(32, np.float32)
        self.assertEqual(self.load(c, w)["unused"], ["layers.0.attn.q.bias"])

    def test_name_map_matches_doc_table(self):
        for name, c in CONFIGS.items():
            with self.subTest(config=name):
                want = {k: list(v) for k, v in doc_shapes(c).items()}
                self.assertEqual(torch_model.expected_shapes(ReferenceModel(c)), want)


class Cli(TempDirCase):
    """The scripts as other tools call them, on the hand-built fixture."""

    def run_py(self, *args, ok=True):
        r = subprocess.run([PY, *args], capture_output=True, text=True, timeout=120)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def test_fixture_end_to_end(self):
        t = lambda n: os.path.join(self.tmp, n)  # noqa: E731
        self.run_py(os.path.join(HERE, "make_fixture.py"), "--onnx", t("f.onnx"), "--config", t("f.json"), "--inputs", t("in.json"))
        r = self.run_py(os.path.join(HERE, "check_onnx.py"), t("f.onnx"))
        self.assertEqual(json.loads(r.stdout), {"file": t("f.onnx"), "ok": True})

        self.run_py(os.path.join(HERE, "run_reference.py"), "--config", t("f.json"), "--onnx", t("f.onnx"),
                    "--inputs", t("in.json"), "--out", t("ref.json"))
        ref = read_json(t("ref.json"))
        self.assertEqual(list(ref["outputs"]), ["hidden_states", "logits"])
        self.assertEqual(ref["unused_initializers"], [])  # the fixture's initializers are exactly the doc's

        c = read_json(t("f.json"))
        ids = np.array(read_json(t("in.json"))["input_ids"])
        want = np_forward(c, torch_model.read_initializers(t("f.onnx")), ids)
        got = {k: np.array(v["data"]).reshape(v["shape"]) for k, v in ref["outputs"].items()}
        assert_close(self, got, want, 1e-5, "fixture reference vs numpy")

        # The fixture's own graph, run by onnxruntime, must agree too: this validates the fixture
        # (and the reading of the doc it encodes) independently of both python formulations.
        if shutil.which("node") and os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
            r = subprocess.run(["node", os.path.join(HERE, "run_ort.mjs"), t("f.onnx"), t("in.json"), t("ort.json")],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            ort = read_json(t("ort.json"))["outputs"]
            got = {k: np.array(v["data"]).reshape(v["shape"]) for k, v in ort.items()}
            assert_close(self, got, want, 1e-5, "fixture onnxruntime vs numpy")

    def test_check_onnx_reports_failures(self):
        import onnx
        from onnx import TensorProto, helper

        g = helper.make_graph([helper.make_node("Relu", ["nope"], ["y"])], "bad", [],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
        bad = os.path.join(self.tmp, "bad.onnx")
        onnx.save(helper.make_model(g), bad)
        r = self.run_py(os.path.join(HERE, "check_onnx.py"), bad, os.path.join(self.tmp, "absent.onnx"), ok=False)
        self.assertEqual(r.returncode, 1)
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        self.assertEqual([x["ok"] for x in lines], [False, False])
        self.assertIn("nope", lines[0]["error"])

    def test_run_reference_float64_and_errors(self):
        import run_reference

        c = CONFIGS["bert_pooler"]
        w = random_weights(c, seed=5)
        t = lambda n: os.path.join(self.tmp, n)  # noqa: E731
        save_initializers(w, t("m.onnx"))
        write_json(c, t("c.json"))
        ids, tt = [[1, 2, 3, 4], [5, 6, 7, 8]], [[0, 0, 1, 1], [1, 1, 0, 0]]
        write_json({"input_ids": ids, "token_type_ids": tt}, t("in.json"))
        run_reference.main(["--config", t("c.json"), "--onnx", t("m.onnx"), "--inputs", t("in.json"),
                            "--out", t("o.json"), "--float64"])
        out = read_json(t("o.json"))["outputs"]
        want = np_forward(c, w, np.array(ids), np.array(tt))
        got = {k: np.array(v["data"]).reshape(v["shape"]) for k, v in out.items()}
        assert_close(self, got, want, 1e-10, "run_reference --float64")

        del w["layers.0.ffn.up.bias"]
        save_initializers(w, t("m.onnx"))
        r = self.run_py(os.path.join(HERE, "run_reference.py"), "--config", t("c.json"), "--onnx", t("m.onnx"),
                        "--inputs", t("in.json"), "--out", t("o.json"), ok=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("layers.0.ffn.up.bias", r.stderr)


if __name__ == "__main__":
    unittest.main()
