"""Hugging Face's BERT, GPT-2 and LLaMA, rebuilt in plain torch with the same module tree.

`transformers` is not installed here, so these classes reproduce its modeling code (modeling_bert,
modeling_gpt2, modeling_llama, inference path, no padding mask) closely enough that `state_dict()`
has exactly Hugging Face's tensor names and shapes, and `forward` computes what Hugging Face's
does. Written from Hugging Face's code and config semantics, not from tfc's: the point is to check
tfc's name maps (compiler/weights/hf-*.ts) and its math against the models users bring.

Each takes a config.json dict (with Hugging Face's class defaults for absent keys). `legacy=True`
adds the persistent buffers older transformers versions saved (GPT-2's attn.bias / attn.masked_bias,
BERT's embeddings.position_ids, LLaMA's rotary_emb.inv_freq), so checkpoints carry them.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu_new(x):
    # GPT-2's "gelu_new": the tanh approximation (transformers.activations.NewGELUActivation).
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACT2FN = {
    "gelu": F.gelu,  # erf form
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
}


# ---------------------------------------------------------------------------------------------- BERT

BERT_DEFAULTS = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                     intermediate_size=3072, hidden_act="gelu", max_position_embeddings=512, type_vocab_size=2,
                     layer_norm_eps=1e-12, pad_token_id=0, num_labels=2)


class BertEmbeddings(nn.Module):
    def __init__(self, c, legacy):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)), persistent=legacy)

    def forward(self, input_ids, token_type_ids=None):
        seq = input_ids.shape[1]
        position_ids = self.position_ids[:, :seq]
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.LayerNorm(embeddings)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_attention_heads = c["num_attention_heads"]
        self.attention_head_size = c["hidden_size"] // c["num_attention_heads"]
        all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(c["hidden_size"], all_head_size)
        self.key = nn.Linear(c["hidden_size"], all_head_size)
        self.value = nn.Linear(c["hidden_size"], all_head_size)

    def split(self, x):
        return x.view(x.shape[0], x.shape[1], self.num_attention_heads, self.attention_head_size).permute(0, 2, 1, 3)

    def forward(self, hidden):
        q, k, v = self.split(self.query(hidden)), self.split(self.key(hidden)), self.split(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return context.view(context.shape[0], context.shape[1], -1)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, hidden, input_tensor):
        return self.LayerNorm(self.dense(hidden) + input_tensor)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, hidden):
        return self.output(self.self(hidden), hidden)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.intermediate_act_fn = ACT2FN[c["hidden_act"]]

    def forward(self, hidden):
        return self.intermediate_act_fn(self.dense(hidden))


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, hidden, input_tensor):
        return self.LayerNorm(self.dense(hidden) + input_tensor)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, hidden):
        attention_output = self.attention(hidden)
        return self.output(self.intermediate(attention_output), attention_output)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, hidden):
        for layer in self.layer:
            hidden = layer(hidden)
        return hidden


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.activation = nn.Tanh()

    def forward(self, hidden):
        return self.activation(self.dense(hidden[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c, legacy=False):
        super().__init__()
        self.embeddings = BertEmbeddings(c, legacy)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, token_type_ids=None):
        hidden = self.encoder(self.embeddings(input_ids, token_type_ids))
        return {"hidden_states": hidden, "pooled": self.pooler(hidden)}


class BertForSequenceClassification(nn.Module):
    def __init__(self, c, legacy=False):
        super().__init__()
        self.bert = BertModel(c, legacy)
        self.classifier = nn.Linear(c["hidden_size"], c["num_labels"])

    def forward(self, input_ids, token_type_ids=None):
        out = self.bert(input_ids, token_type_ids)
        return {**out, "logits": self.classifier(out["pooled"])}


# --------------------------------------------------------------------------------------------- GPT-2

GPT2_DEFAULTS = dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None,
                     activation_function="gelu_new", layer_norm_epsilon=1e-5, tie_word_embeddings=True)


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: a linear layer whose weight is stored [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class GPT2Attention(nn.Module):
    def __init__(self, c, legacy):
        super().__init__()
        positions = c["n_positions"]
        self.register_buffer("bias", torch.tril(torch.ones((positions, positions), dtype=torch.bool)).view(1, 1, positions, positions), persistent=legacy)
        self.register_buffer("masked_bias", torch.tensor(-1e4), persistent=legacy)
        self.embed_dim = c["n_embd"]
        self.num_heads = c["n_head"]
        self.head_dim = self.embed_dim // self.num_heads
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)

    def split_heads(self, x):
        return x.view(x.size()[:-1] + (self.num_heads, self.head_dim)).permute(0, 2, 1, 3)

    def forward(self, hidden):
        query, key, value = self.c_attn(hidden).split(self.embed_dim, dim=2)
        query, key, value = self.split_heads(query), self.split_heads(key), self.split_heads(value)
        weights = torch.matmul(query, key.transpose(-1, -2)) / (value.size(-1) ** 0.5)
        q_len, k_len = query.size(-2), key.size(-2)
        causal = self.bias[:, :, k_len - q_len : k_len, :k_len]
        weights = torch.where(causal, weights, torch.tensor(torch.finfo(weights.dtype).min, dtype=weights.dtype))
        weights = torch.softmax(weights, dim=-1)
        out = torch.matmul(weights, value).permute(0, 2, 1, 3).contiguous()
        return self.c_proj(out.view(out.size()[:-2] + (self.embed_dim,)))


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        inner = c["n_inner"] if c["n_inner"] is not None else 4 * c["n_embd"]
        self.c_fc = Conv1D(inner, c["n_embd"])
        self.c_proj = Conv1D(c["n_embd"], inner)
        self.act = ACT2FN[c["activation_function"]]

    def forward(self, hidden):
        return self.c_proj(self.act(self.c_fc(hidden)))


class GPT2Block(nn.Module):
    def __init__(self, c, legacy):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])
        self.attn = GPT2Attention(c, legacy)
        self.ln_2 = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])
        self.mlp = GPT2MLP(c)

    def forward(self, hidden):
        hidden = hidden + self.attn(self.ln_1(hidden))
        return hidden + self.mlp(self.ln_2(hidden))


class GPT2Model(nn.Module):
    def __init__(self, c, legacy=False):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList([GPT2Block(c, legacy) for _ in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        hidden = self.wte(input_ids) + self.wpe(positions)
        for block in self.h:
            hidden = block(hidden)
        return {"hidden_states": self.ln_f(hidden)}


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c, legacy=False):
        super().__init__()
        self.transformer = GPT2Model(c, legacy)
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        if c["tie_word_embeddings"]:
            self.lm_head.weight = self.transformer.wte.weight

    def forward(self, input_ids):
        out = self.transformer(input_ids)
        return {**out, "logits": self.lm_head(out["hidden_states"])}


# --------------------------------------------------------------------------------------------- LLaMA

LLAMA_DEFAULTS = dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=None, head_dim=None, hidden_act="silu",
                      max_position_embeddings=2048, rms_norm_eps=1e-6, tie_word_embeddings=False, rope_theta=10000.0,
                      attention_bias=False, mlp_bias=False)


class LlamaRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden):
        input_dtype = hidden.dtype
        hidden = hidden.to(torch.float64 if input_dtype == torch.float64 else torch.float32)
        variance = hidden.pow(2).mean(-1, keepdim=True)
        hidden = hidden * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden.to(input_dtype)


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, dim, base, persistent):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=persistent)

    def forward(self, x, seq_len):
        # Angles in float64 whatever the model's dtype: the reference is the exact formula.
        inv_freq = self.inv_freq.to(torch.float64)
        freqs = torch.outer(torch.arange(seq_len, dtype=torch.float64), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos, sin = cos[None, None], sin[None, None]
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def repeat_kv(hidden, n_rep):
    batch, kv_heads, seq, head_dim = hidden.shape
    if n_rep == 1:
        return hidden
    hidden = hidden[:, :, None, :, :].expand(batch, kv_heads, n_rep, seq, head_dim)
    return hidden.reshape(batch, kv_heads * n_rep, seq, head_dim)


class LlamaAttention(nn.Module):
    def __init__(self, c, legacy):
        super().__init__()
        self.num_heads = c["num_attention_heads"]
        self.num_key_value_heads = c["num_key_value_heads"]
        self.head_dim = c["head_dim"]
        bias = c["attention_bias"]
        self.q_proj = nn.Linear(c["hidden_size"], self.num_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(c["hidden_size"], self.num_key_value_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(c["hidden_size"], self.num_key_value_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, c["hidden_size"], bias=bias)
        # Older transformers kept the rotary module (and its buffer) inside each attention layer.
        self.rotary_emb = LlamaRotaryEmbedding(self.head_dim, c["rope_theta"], persistent=legacy)

    def forward(self, hidden):
        batch, seq, _ = hidden.shape
        q = self.q_proj(hidden).view(batch, seq, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(hidden).view(batch, seq, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(hidden).view(batch, seq, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        cos, sin = self.rotary_emb(v, seq)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        groups = self.num_heads // self.num_key_value_heads
        k, v = repeat_kv(k, groups), repeat_kv(v, groups)
        weights = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        mask = torch.full((seq, seq), torch.finfo(weights.dtype).min, dtype=weights.dtype).triu(1)
        weights = torch.softmax(weights + mask, dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).contiguous().reshape(batch, seq, -1)
        return self.o_proj(out)


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        bias = c["mlp_bias"]
        self.gate_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=bias)
        self.up_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=bias)
        self.down_proj = nn.Linear(c["intermediate_size"], c["hidden_size"], bias=bias)
        self.act_fn = ACT2FN[c["hidden_act"]]

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c, legacy):
        super().__init__()
        self.self_attn = LlamaAttention(c, legacy)
        self.mlp = LlamaMLP(c)
        self.input_layernorm = LlamaRMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = LlamaRMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, hidden):
        hidden = hidden + self.self_attn(self.input_layernorm(hidden))
        return hidden + self.mlp(self.post_attention_layernorm(hidden))


class LlamaModel(nn.Module):
    def __init__(self, c, legacy=False):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(c, legacy) for _ in range(c["num_hidden_layers"])])
        self.norm = LlamaRMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, input_ids):
        hidden = self.embed_tokens(input_ids)
        for layer in self.layers:
            hidden = layer(hidden)
        return {"hidden_states": self.norm(hidden)}


class LlamaForCausalLM(nn.Module):
    def __init__(self, c, legacy=False):
        super().__init__()
        self.model = LlamaModel(c, legacy)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        if c["tie_word_embeddings"]:
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, input_ids):
        out = self.model(input_ids)
        return {**out, "logits": self.lm_head(out["hidden_states"])}


# ------------------------------------------------------------------------------------------ building

CLASSES = {
    "BertModel": BertModel,
    "BertForSequenceClassification": BertForSequenceClassification,
    "GPT2Model": GPT2Model,
    "GPT2LMHeadModel": GPT2LMHeadModel,
    "LlamaModel": LlamaModel,
    "LlamaForCausalLM": LlamaForCausalLM,
}
DEFAULTS = {"bert": BERT_DEFAULTS, "gpt2": GPT2_DEFAULTS, "llama": LLAMA_DEFAULTS}


def full_config(config):
    """The config with Hugging Face's class defaults for the keys it leaves out."""
    c = {**DEFAULTS[config["model_type"]], **{k: v for k, v in config.items() if v is not None}}
    if c["model_type"] == "llama":
        if c["num_key_value_heads"] is None:
            c["num_key_value_heads"] = c["num_attention_heads"]
        if c["head_dim"] is None:
            c["head_dim"] = c["hidden_size"] // c["num_attention_heads"]
    if c["model_type"] == "bert" and "id2label" in config and "num_labels" not in config:
        c["num_labels"] = len(config["id2label"])
    return c


def build(config, legacy=False):
    c = full_config(config)
    architecture = (config.get("architectures") or [None])[0]
    if architecture is None:
        architecture = {"bert": "BertModel", "gpt2": "GPT2LMHeadModel", "llama": "LlamaForCausalLM"}[c["model_type"]]
    return CLASSES[architecture](c, legacy)


def randomize(model, seed):
    """Every parameter random (norm weights around 1, biases nonzero) so a misplaced tensor shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda item: item[0]):
            if "norm" in name.lower() or name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
                    continue
            std = 0.5 if p.dim() == 2 and ("embed" in name or "wte" in name or "wpe" in name) else 0.1
            p.copy_(std * torch.randn(p.shape, generator=g))
