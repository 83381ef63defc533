"""Loads a checkpoint `tfc export-weights` wrote into the Hugging Face module tree and runs it.

  hf_load_export.py CONFIG.json CHECKPOINT.safetensors INPUTS.json OUT.json

Builds the model of CONFIG (hf_models.py: Hugging Face's names and math), loads CHECKPOINT with
`load_state_dict` — every parameter must come from the file, nothing may be left over; only buffers
and a tied head's second name may be absent, as in a `save_pretrained` file — then runs INPUTS
({"input_ids": [[...]]}) in float64 and writes {"outputs": {name: {"shape", "data"}}, "missing": [...]}.
"""

import json
import sys

import torch

import hf_models
import safetensors_ref


def main():
    config_path, checkpoint, inputs_path, out_path = sys.argv[1:5]
    with open(config_path) as f:
        config = json.load(f)
    model = hf_models.build(config)
    _, tensors = safetensors_ref.read(checkpoint)
    state = {name: t.to(torch.float32) for name, (_, t, _) in tensors.items()}
    result = model.load_state_dict(state, strict=False)
    buffers = {name for name, _ in model.named_buffers()}
    tied = set(model.state_dict()) - set(dict(model.named_parameters())) - buffers
    missing = [name for name in result.missing_keys if name not in buffers and name not in tied]
    if missing or result.unexpected_keys:
        raise SystemExit(f"{checkpoint}: missing {missing}, unexpected {result.unexpected_keys}")
    with open(inputs_path) as f:
        inputs = {k: torch.tensor(v, dtype=torch.int64) for k, v in json.load(f).items()}
    model = model.double().eval()
    with torch.no_grad():
        outputs = model(**inputs)
    with open(out_path, "w") as f:
        json.dump({"outputs": {name: {"shape": list(v.shape), "data": v.reshape(-1).tolist()} for name, v in outputs.items()},
                   "missing": sorted(result.missing_keys)}, f)


if __name__ == "__main__":
    main()
