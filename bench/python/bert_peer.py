"""The PyTorch peer for tfc's latency bench: BERT-base written the way people write it.

A plain nn.Module in the Hugging Face BERT style (nn.Embedding, nn.Linear, nn.LayerNorm, F.gelu,
view/permute/matmul/softmax attention scaled by 1/sqrt(d), post-norm residual blocks, a tanh pooler),
exported with torch.onnx.export at opset 17 with dynamic batch and sequence axes and constant
folding, exactly as a user would. Nothing here is tuned for ONNX Runtime: it is the baseline tfc's
own ONNX is compared against (bench/latency.ts runs both in one process, interleaved).

    /usr/bin/python3 bench/python/bert_peer.py --out peer.onnx [--layers 12 --width 768 ...]

Inputs: input_ids, token_type_ids (int64 [batch, seq]). Outputs: hidden_states [batch, seq, width],
pooled [batch, width]. Weights are random (normal(0, 0.02) matrices, zero biases, unit norms, like
tfc's `weights random`): fine for latency, meaningless for accuracy.
"""

import argparse
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Embeddings(nn.Module):
    def __init__(self, vocab, context, width, token_types, eps):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, width)
        self.position_embeddings = nn.Embedding(context, width)
        self.token_type_embeddings = nn.Embedding(token_types, width)
        self.LayerNorm = nn.LayerNorm(width, eps=eps)
        self.register_buffer("position_ids", torch.arange(context).unsqueeze(0), persistent=False)

    def forward(self, input_ids, token_type_ids):
        seq_length = input_ids.size(1)
        position_ids = self.position_ids[:, :seq_length]
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids) + self.token_type_embeddings(token_type_ids)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.num_attention_heads = heads
        self.attention_head_size = width // heads
        self.all_head_size = heads * self.attention_head_size
        self.query = nn.Linear(width, self.all_head_size)
        self.key = nn.Linear(width, self.all_head_size)
        self.value = nn.Linear(width, self.all_head_size)

    def transpose_for_scores(self, x):
        new_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        return x.view(new_shape).permute(0, 2, 1, 3)

    def forward(self, hidden_states):
        query_layer = self.transpose_for_scores(self.query(hidden_states))
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_probs = F.softmax(attention_scores, dim=-1)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_shape = context_layer.size()[:-2] + (self.all_head_size,)
        return context_layer.view(new_shape)


class Layer(nn.Module):
    def __init__(self, width, heads, ffn, eps):
        super().__init__()
        self.attention = SelfAttention(width, heads)
        self.attention_output = nn.Linear(width, width)
        self.attention_norm = nn.LayerNorm(width, eps=eps)
        self.intermediate = nn.Linear(width, ffn)
        self.output = nn.Linear(ffn, width)
        self.output_norm = nn.LayerNorm(width, eps=eps)

    def forward(self, x):
        x = self.attention_norm(x + self.attention_output(self.attention(x)))
        return self.output_norm(x + self.output(F.gelu(self.intermediate(x))))


class Bert(nn.Module):
    def __init__(self, vocab, context, width, layers, heads, ffn, token_types, eps):
        super().__init__()
        self.embeddings = Embeddings(vocab, context, width, token_types, eps)
        self.layers = nn.ModuleList(Layer(width, heads, ffn, eps) for _ in range(layers))
        self.pooler = nn.Linear(width, width)

    def forward(self, input_ids, token_type_ids):
        h = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            h = layer(h)
        pooled = torch.tanh(self.pooler(h[:, 0]))
        return h, pooled


def init_weights(model, seed):
    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            module.bias.data.zero_()
        if isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--vocab", type=int, default=30522)
    p.add_argument("--context", type=int, default=512)
    p.add_argument("--width", type=int, default=768)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--ffn", type=int, default=3072)
    p.add_argument("--token-types", type=int, default=2)
    p.add_argument("--eps", type=float, default=1e-12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args(argv)

    model = Bert(a.vocab, a.context, a.width, a.layers, a.heads, a.ffn, a.token_types, a.eps).eval()
    init_weights(model, a.seed)
    seq = min(128, a.context)
    input_ids = torch.randint(0, a.vocab, (1, seq), dtype=torch.long)
    token_type_ids = torch.zeros((1, seq), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (input_ids, token_type_ids),
            a.out,
            opset_version=a.opset,
            input_names=["input_ids", "token_type_ids"],
            output_names=["hidden_states", "pooled"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "token_type_ids": {0: "batch", 1: "seq"},
                "hidden_states": {0: "batch", 1: "seq"},
                "pooled": {0: "batch"},
            },
            do_constant_folding=True,
        )
    params = sum(t.numel() for t in model.parameters())
    print(json.dumps({"out": a.out, "parameters": params, "torch": torch.__version__, "opset": a.opset}))


if __name__ == "__main__":
    main(sys.argv[1:])
