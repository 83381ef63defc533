"""Independent PyTorch reference for what a compiled tfc model computes.

Written from docs/model-conventions.md alone (never from the compiler's lowering), so that a bug in
lowering and a bug here are unlikely to coincide. It uses torch's own building blocks wherever torch
has one (nn.Linear, nn.Embedding, nn.LayerNorm, F.gelu, F.silu, torch.softmax) and only hand-writes
what torch 1.13 lacks (RMSNorm, rotary, the sinusoidal table).

Config: the checked ModelSpec as JSON (compiler/spec.ts); keys it does not need (name, weights,
target, spans, optimize) are ignored. Two optional keys describe a model the optimize passes changed
(docs/optimize.md), so the reference builds that architecture itself:

  "structure": one entry per remaining layer, in order:
      {"heads": H, "kvHeads": KV, "ffn": F,
       "attn": "layers.0", "ffn_params": "layers.0", "attn_norm": "layers.1", "ffn_norm": "layers.1"}
    where each prefix names the parameters the layer reads (`<prefix>.attn.q.weight`,
    `<prefix>.attn_norm.weight`, ...). Layers naming the same prefix share one torch module. An entry
    may add "layout": {"blockSize": b, "heads": [per head: [per query block: [key blocks]]]}, the
    canonical block layout (docs/attention.md): a query token in block i sees only keys in the
    listed blocks (and, in a decoder, not after itself).
  "embeddingSize": E: ALBERT's factorized embedding, tokens [vocab, E] then `embed.project` (E → width,
    no bias); a tied LM head reads both transposed.
"""

import math
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

KINDS = ("encoder", "decoder")
ACTIVATIONS = ("relu", "gelu", "gelu_tanh", "silu", "swiglu", "geglu")
GATED = ("swiglu", "geglu")
NORM_KINDS = ("layernorm", "rmsnorm")
PLACEMENTS = ("pre", "post")
POSITIONS = ("learned", "sinusoidal", "rotary", "none")
OUTPUTS = ("lm", "classifier", "pooler", "none")

# Constant tables: the file may hold them, but the reference always computes its own, since checking
# them is part of checking the compiler.
CONSTANT_TABLES = ("embed.positions", "rope.cos", "rope.sin")


class ConfigError(ValueError):
    pass


class ReferenceLoadError(ValueError):
    pass


def normalize_config(cfg):
    """Validate a config dict and fill the few defaults a hand-written config may leave out."""
    c = dict(cfg)
    # snake_case aliases, so a config written by hand in either style works.
    for camel, snake in (("kvHeads", "kv_heads"), ("headDim", "head_dim"), ("tokenTypes", "token_types")):
        if camel not in c and snake in c:
            c[camel] = c[snake]
    for key in ("kind", "vocab", "context", "width", "layers", "heads", "ffn", "norm", "position", "output"):
        if key not in c:
            raise ConfigError(f"config is missing '{key}'")
    c.setdefault("kvHeads", c["heads"])
    c.setdefault("headDim", c["width"] // c["heads"])
    c.setdefault("bias", True)
    c.setdefault("tokenTypes", 0)
    c["ffn"] = dict(c["ffn"])
    c["norm"] = dict(c["norm"])
    c["norm"].setdefault("eps", 1e-5)
    c["position"] = dict(c["position"])
    if c["position"].get("kind") == "rotary":
        c["position"].setdefault("theta", 10000.0)
    c["output"] = dict(c["output"])

    def need(cond, msg):
        if not cond:
            raise ConfigError(msg)

    need(c["kind"] in KINDS, f"kind must be one of {KINDS}, got {c['kind']!r}")
    for key in ("vocab", "context", "width", "layers", "heads", "kvHeads", "headDim"):
        need(isinstance(c[key], int) and c[key] >= (0 if key == "layers" else 1), f"{key} must be a positive int, got {c[key]!r}")
    need(isinstance(c["tokenTypes"], int) and c["tokenTypes"] >= 0, "tokenTypes must be an int >= 0")
    need(c["heads"] % c["kvHeads"] == 0, f"heads ({c['heads']}) must be a multiple of kvHeads ({c['kvHeads']})")
    need(c["ffn"].get("activation") in ACTIVATIONS, f"ffn.activation must be one of {ACTIVATIONS}")
    need(isinstance(c["ffn"].get("size"), int) and c["ffn"]["size"] >= 1, "ffn.size must be a positive int")
    need(c["norm"].get("kind") in NORM_KINDS, f"norm.kind must be one of {NORM_KINDS}")
    need(c["norm"].get("placement") in PLACEMENTS, f"norm.placement must be one of {PLACEMENTS}")
    need(c["position"].get("kind") in POSITIONS, f"position.kind must be one of {POSITIONS}")
    if c["position"]["kind"] == "rotary":
        need(c["headDim"] % 2 == 0, "rotary needs an even headDim")
    need(c["output"].get("kind") in OUTPUTS, f"output.kind must be one of {OUTPUTS}")
    if c["output"]["kind"] == "lm":
        c["output"].setdefault("tied", False)
    if c["output"]["kind"] == "classifier":
        need(isinstance(c["output"].get("classes"), int) and c["output"]["classes"] >= 1, "output.classes must be a positive int")
    if "structure" not in c:
        c["structure"] = [
            {"heads": c["heads"], "kvHeads": c["kvHeads"], "ffn": c["ffn"]["size"], "attn": f"layers.{i}",
             "ffn_params": f"layers.{i}", "attn_norm": f"layers.{i}", "ffn_norm": f"layers.{i}"}
            for i in range(c["layers"])
        ]
    for entry in c["structure"]:
        need(entry["heads"] % entry["kvHeads"] == 0, f"structure: heads ({entry['heads']}) must be a multiple of kvHeads ({entry['kvHeads']})")
    c.setdefault("embeddingSize", None)
    return c


# ---------------------------------------------------------------------------------------------
# Constant tables, computed in float64 and rounded once to the model's dtype. (HF computes rotary
# angles in float32, which at position ~2000 is off by ~1e-4; float64-then-round is the exact value
# a compiler should store.)

def sinusoidal_table(context, width):
    """PE[p, 2i] = sin(p / 10000^(2i/W)), PE[p, 2i+1] = cos(p / 10000^(2i/W))."""
    pos = torch.arange(context, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, width, 2, dtype=torch.float64)  # the even column index 2i
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), two_i / width)
    pe = torch.zeros(context, width, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)[:, : width // 2]  # odd W: the last column is a sin
    return pe


def rope_tables(context, head_dim, theta):
    """HF LLaMA: inv_freq[i] = theta^(-2i/D); angle[p] = p * inv_freq, repeated twice to length D."""
    i = torch.arange(0, head_dim // 2, dtype=torch.float64)
    inv_freq = torch.pow(torch.tensor(float(theta), dtype=torch.float64), -2.0 * i / head_dim)
    angle = torch.arange(context, dtype=torch.float64)[:, None] * inv_freq[None, :]
    angle = torch.cat([angle, angle], dim=-1)
    return torch.cos(angle), torch.sin(angle)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


# ---------------------------------------------------------------------------------------------

class RMSNorm(nn.Module):
    """LLaMA's RMSNorm (torch 1.13 has none): x / sqrt(mean(x^2) + eps) * weight."""

    def __init__(self, width, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight


def make_norm(kind, width, eps):
    # LayerNorm always carries a bias (the doc: "bias for layernorm only"), whatever `bias` says.
    return nn.LayerNorm(width, eps=eps) if kind == "layernorm" else RMSNorm(width, eps)


def layout_allowed(layout, heads):
    """[heads, blocks, blocks] bool: query block i may read key block j."""
    blocks = len(layout["heads"][0])
    allowed = torch.zeros(heads, blocks, blocks, dtype=torch.bool)
    for h, rows in enumerate(layout["heads"]):
        for i, keys in enumerate(rows):
            allowed[h, i, keys] = True
    return allowed


class Attention(nn.Module):
    def __init__(self, c, heads=None, kv_heads=None, layout=None):
        super().__init__()
        self.h, self.kv, self.d = heads or c["heads"], kv_heads or c["kvHeads"], c["headDim"]
        self.block = layout["blockSize"] if layout else None
        self.allowed = layout_allowed(layout, self.h) if layout else None
        self.causal = c["kind"] == "decoder"
        w, b = c["width"], c["bias"]
        self.q = nn.Linear(w, self.h * self.d, bias=b)
        self.k = nn.Linear(w, self.kv * self.d, bias=b)
        self.v = nn.Linear(w, self.kv * self.d, bias=b)
        self.o = nn.Linear(self.h * self.d, w, bias=b)

    def forward(self, x, rope=None):
        B, S, _ = x.shape
        q = self.q(x).view(B, S, self.h, self.d)
        k = self.k(x).view(B, S, self.kv, self.d)
        v = self.v(x).view(B, S, self.kv, self.d)
        if rope is not None:
            cos, sin = (t[:S].to(x.dtype)[None, :, None, :] for t in rope)  # [1, S, 1, D]
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        # GQA: query head h reads kv head h // (H/KV), i.e. each kv head repeated H/KV times in place.
        group = self.h // self.kv
        k = k.repeat_interleave(group, dim=2)
        v = v.repeat_interleave(group, dim=2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, S, D]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        if self.causal:
            future = torch.ones(S, S, dtype=torch.bool).triu(1)  # key index > query index
            scores = scores.masked_fill(future, float("-inf"))
        if self.allowed is not None:
            block_of = torch.arange(S) // self.block
            allowed = self.allowed[:, block_of][:, :, block_of]  # [H, S, S]
            scores = scores.masked_fill(~allowed, float("-inf"))
        p = torch.softmax(scores, dim=-1)
        out = torch.matmul(p, v).transpose(1, 2).reshape(B, S, self.h * self.d)
        return self.o(out)


class FFN(nn.Module):
    def __init__(self, c, size=None):
        super().__init__()
        w, f, b = c["width"], size or c["ffn"]["size"], c["bias"]
        self.activation = c["ffn"]["activation"]
        self.up = nn.Linear(w, f, bias=b)
        self.gate = nn.Linear(w, f, bias=b) if self.activation in GATED else None
        self.down = nn.Linear(f, w, bias=b)

    def forward(self, x):
        a = self.activation
        if a == "swiglu":
            return self.down(F.silu(self.gate(x)) * self.up(x))
        if a == "geglu":
            return self.down(F.gelu(self.gate(x), approximate="none") * self.up(x))
        u = self.up(x)
        if a == "relu":
            u = F.relu(u)
        elif a == "gelu":
            u = F.gelu(u, approximate="none")
        elif a == "gelu_tanh":
            u = F.gelu(u, approximate="tanh")
        elif a == "silu":
            u = F.silu(u)
        return self.down(u)


class Layer(nn.Module):
    def __init__(self, c, attn, attn_norm, ffn, ffn_norm):
        super().__init__()
        self.pre = c["norm"]["placement"] == "pre"
        self.attn = attn
        self.attn_norm = attn_norm
        self.ffn = ffn
        self.ffn_norm = ffn_norm

    def forward(self, h, rope=None):
        if self.pre:
            h = h + self.attn(self.attn_norm(h), rope)
            h = h + self.ffn(self.ffn_norm(h))
        else:
            h = self.attn_norm(h + self.attn(h, rope))
            h = self.ffn_norm(h + self.ffn(h))
        return h


class ReferenceModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = self.config = normalize_config(config)
        w = c["width"]
        self.pre = c["norm"]["placement"] == "pre"
        pos = c["position"]["kind"]

        e = c["embeddingSize"]
        self.tokens = nn.Embedding(c["vocab"], e or w)
        self.project = nn.Linear(e, w, bias=False) if e else None
        self.positions = nn.Embedding(c["context"], w) if pos == "learned" else None
        self.token_types = nn.Embedding(c["tokenTypes"], w) if c["tokenTypes"] > 0 else None
        # BERT's embedding norm, of the configured kind (LayerNorm for BERT itself).
        self.embed_norm = make_norm(c["norm"]["kind"], w, c["norm"]["eps"]) if not self.pre else None
        # Modules by parameter prefix: layers that read the same parameters share one module.
        self.shared = nn.ModuleDict()

        def module(kind, prefix, build):
            key = f"{kind}:{prefix}".replace(".", "_")
            if key not in self.shared:
                self.shared[key] = build()
            return self.shared[key]

        norm_of = lambda: make_norm(c["norm"]["kind"], w, c["norm"]["eps"])  # noqa: E731
        self.layer_names = [dict(e) for e in c["structure"]]
        self.layers = nn.ModuleList(
            Layer(
                c,
                module("attn", e["attn"], lambda e=e: Attention(c, e["heads"], e["kvHeads"], e.get("layout"))),
                module("attn_norm", e["attn_norm"], norm_of),
                module("ffn", e["ffn_params"], lambda e=e: FFN(c, e["ffn"])),
                module("ffn_norm", e["ffn_norm"], norm_of),
            )
            for e in c["structure"]
        )
        self.final_norm = make_norm(c["norm"]["kind"], w, c["norm"]["eps"]) if self.pre else None

        # Tables are plain float64 attributes, not buffers, so .float()/.double() never round them
        # twice; forward casts them to the activations' dtype.
        self.sinusoidal = sinusoidal_table(c["context"], w) if pos == "sinusoidal" else None
        self.rope = rope_tables(c["context"], c["headDim"], c["position"]["theta"]) if pos == "rotary" else None

        out = c["output"]
        self.output_kind = out["kind"]
        self.pooler = self.classifier = self.lm = None
        if out["kind"] == "pooler" or (out["kind"] == "classifier" and c["kind"] == "encoder"):
            self.pooler = nn.Linear(w, w, bias=True)
        if out["kind"] == "classifier":
            # Encoder classifiers always have a bias; decoder ones follow `bias`.
            self.classifier = nn.Linear(w, out["classes"], bias=c["bias"] or c["kind"] == "encoder")
        if out["kind"] == "lm" and not out["tied"]:
            self.lm = nn.Linear(w, c["vocab"], bias=False)

    def output_names(self):
        names = ["hidden_states"]
        if self.pooler is not None:
            names.append("pooled")
        if self.output_kind in ("lm", "classifier"):
            names.append("logits")
        return names

    def forward(self, input_ids, token_type_ids=None):
        """Returns an OrderedDict of outputs in the doc's order: hidden_states, pooled?, logits?"""
        c = self.config
        B, S = input_ids.shape
        if S < 1 or S > c["context"]:
            raise ValueError(f"seq {S} is outside 1..context ({c['context']})")
        h = self.tokens(input_ids)
        if self.project is not None:
            h = self.project(h)
        if self.positions is not None:
            h = h + self.positions.weight[:S]
        if self.sinusoidal is not None:
            h = h + self.sinusoidal[:S].to(h.dtype)
        if self.token_types is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(input_ids)
            h = h + self.token_types(token_type_ids)
        if self.embed_norm is not None:
            h = self.embed_norm(h)
        for layer in self.layers:
            h = layer(h, self.rope)
        if self.final_norm is not None:
            h = self.final_norm(h)

        outs = OrderedDict(hidden_states=h)
        if self.pooler is not None:
            outs["pooled"] = torch.tanh(self.pooler(h[:, 0]))
        if self.output_kind == "lm":
            if self.lm is not None:
                outs["logits"] = self.lm(h)
            elif self.project is not None:
                outs["logits"] = F.linear(F.linear(h, self.project.weight.t()), self.tokens.weight)
            else:
                outs["logits"] = F.linear(h, self.tokens.weight)
        elif self.output_kind == "classifier":
            src = outs["pooled"] if c["kind"] == "encoder" else h[:, S - 1]
            outs["logits"] = self.classifier(src)
        return outs


# ---------------------------------------------------------------------------------------------
# Parameter names: the doc's table, mapped onto this module.

def parameter_map(model):
    """[(onnx_name, torch_parameter, transposed)]: every initializer this model needs.

    `transposed` marks matrices that ONNX stores [in, out] and nn.Linear holds [out, in].
    """
    entries = []

    def linear(name, mod):
        entries.append((f"{name}.weight", mod.weight, True))
        if mod.bias is not None:
            entries.append((f"{name}.bias", mod.bias, False))

    def norm(name, mod):
        entries.append((f"{name}.weight", mod.weight, False))
        if getattr(mod, "bias", None) is not None:
            entries.append((f"{name}.bias", mod.bias, False))

    entries.append(("embed.tokens", model.tokens.weight, False))
    if model.project is not None:
        linear("embed.project", model.project)
    if model.positions is not None:
        entries.append(("embed.positions", model.positions.weight, False))
    if model.token_types is not None:
        entries.append(("embed.token_types", model.token_types.weight, False))
    if model.embed_norm is not None:
        norm("embed.norm", model.embed_norm)
    for names, layer in zip(model.layer_names, model.layers):
        for part in ("q", "k", "v", "o"):
            linear(f"{names['attn']}.attn.{part}", getattr(layer.attn, part))
        norm(f"{names['attn_norm']}.attn_norm", layer.attn_norm)
        linear(f"{names['ffn_params']}.ffn.up", layer.ffn.up)
        if layer.ffn.gate is not None:
            linear(f"{names['ffn_params']}.ffn.gate", layer.ffn.gate)
        linear(f"{names['ffn_params']}.ffn.down", layer.ffn.down)
        norm(f"{names['ffn_norm']}.ffn_norm", layer.ffn_norm)
    if model.final_norm is not None:
        norm("final_norm", model.final_norm)
    if model.pooler is not None:
        linear("head.pooler", model.pooler)
    if model.classifier is not None:
        linear("head.classifier", model.classifier)
    if model.lm is not None:
        linear("head.lm", model.lm)
    # A shared module appears once per layer that reads it; its parameters are loaded once.
    seen = set()
    return [e for e in entries if not (e[0] in seen or seen.add(e[0]))]


def expected_shapes(model):
    """{onnx_name: shape as stored in the file}."""
    return {n: list(p.shape[::-1] if t else p.shape) for n, p, t in parameter_map(model)}


def _constant_tables(model):
    out = {}
    if model.sinusoidal is not None:
        out["embed.positions"] = model.sinusoidal
    if model.rope is not None:
        out["rope.cos"], out["rope.sin"] = model.rope
    return out


def read_initializers(onnx_path):
    """{name: numpy array} of a model file's initializers (external data included)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(onnx_path)
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def load_weights(model, arrays):
    """Copy {onnx_name: numpy array} into the model. Returns a report dict:

    loaded: names copied; unused: names in `arrays` the model did not use (constant tables excluded);
    constants: for each constant table the model computes itself, whether the file has it and how far
    the file's copy is from the reference's (informational: the reference never uses the file's).
    Raises ReferenceLoadError naming every missing or misshapen tensor.
    """
    import numpy as np

    entries = parameter_map(model)
    problems = []
    for name, param, transposed in entries:
        want = list(param.shape[::-1] if transposed else param.shape)
        if name not in arrays:
            problems.append(f"missing initializer '{name}' (expected shape {want})")
            continue
        arr = arrays[name]
        if list(arr.shape) != want:
            problems.append(f"initializer '{name}' has shape {list(arr.shape)}, expected {want}")
        elif not np.issubdtype(arr.dtype, np.floating):
            problems.append(f"initializer '{name}' has dtype {arr.dtype}, expected a float type")
    if problems:
        raise ReferenceLoadError("weights do not match the conventions:\n  " + "\n  ".join(problems))

    with torch.no_grad():
        for name, param, transposed in entries:
            arr = arrays[name]
            # np.array copies: to_array's buffers are read-only, which torch.from_numpy warns about.
            param.copy_(torch.from_numpy(np.array(arr.T if transposed else arr)).to(param.dtype))

    used = {n for n, _, _ in entries}
    constants = {}
    for name, table in _constant_tables(model).items():
        info = {"present": name in arrays}
        if name in arrays:
            a = arrays[name]
            info["shape"] = list(a.shape)
            if list(a.shape) == list(table.shape):
                info["max_abs_diff"] = float(np.max(np.abs(a.astype(np.float64) - table.numpy()))) if a.size else 0.0
        constants[name] = info
    unused = sorted(n for n in arrays if n not in used and n not in constants)
    return {"loaded": [n for n, _, _ in entries], "unused": unused, "constants": constants}


def load_from_onnx(model, onnx_path):
    """Load a compiled model's initializers into `model` by the doc's names; returns load_weights' report."""
    return load_weights(model, read_initializers(onnx_path))
