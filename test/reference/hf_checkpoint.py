"""Writes Hugging Face-layout checkpoints of random models and what the models compute on given inputs.

  hf_checkpoint.py MANIFEST.json

MANIFEST: {"cases": [{"config": "dir/config.json", "checkpoint": "dir/model.safetensors",
  "dtype": "F32"|"F16"|"BF16", "seed": N, "legacy": bool, "inputs": {"input_ids": [[...]],
  "token_type_ids"?: [[...]]}, "out": "dir/reference.json"}]}

For each case: builds the model of config.json (hf_models.py), randomizes it, rounds its weights to
`dtype`, writes `state_dict()` (Hugging Face's names; buffers too when `legacy`) as safetensors with
safetensors_ref.py's writer, then runs the stored weights in float64 and writes
{"outputs": {name: {"shape", "data"}}, "tensors": [names written]}.
"""

import json
import sys

import torch

import hf_models
import safetensors_ref

TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
BUFFER_DTYPES = {torch.bool: "BOOL", torch.int64: "I64", torch.uint8: "U8"}


def run_case(case):
    with open(case["config"]) as f:
        config = json.load(f)
    model = hf_models.build(config, legacy=case.get("legacy", False))
    hf_models.randomize(model, case["seed"])
    dtype = case["dtype"]
    tensors = {}
    buffers = {name for name, _ in model.named_buffers()}
    for name, t in model.state_dict().items():
        if name in buffers:
            # Buffers are not weights: kept as they are (a float buffer in F32), never rounded.
            tensors[name] = (BUFFER_DTYPES.get(t.dtype, "F32"), t.contiguous().to(torch.float32) if t.is_floating_point() else t.contiguous())
        elif t.is_floating_point() and t.dim() > 0:
            stored = t.to(TORCH_DTYPES[dtype])
            tensors[name] = (dtype, stored)
            # The reference computes with exactly the values the file holds.
            t.copy_(stored.to(t.dtype))
        else:
            raise ValueError(f"{name}: unexpected {t.dtype} parameter of shape {list(t.shape)}")
    # A tied head is one tensor saved twice by state_dict(); drop_tied mimics save_pretrained, which keeps one.
    for name in case.get("drop", []):
        del tensors[name]
    safetensors_ref.write(case["checkpoint"], tensors, {"format": "pt"})

    model = model.double().eval()
    inputs = {k: torch.tensor(v, dtype=torch.int64) for k, v in case["inputs"].items()}
    with torch.no_grad():
        outputs = model(**inputs)
    result = {name: {"shape": list(value.shape), "data": value.reshape(-1).tolist()} for name, value in outputs.items()}
    with open(case["out"], "w") as f:
        json.dump({"outputs": result, "tensors": sorted(tensors)}, f)


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    for case in manifest["cases"]:
        run_case(case)


if __name__ == "__main__":
    main()
