#!/usr/bin/python3
"""Run the PyTorch reference on a compiled model's weights.

  run_reference.py --config cfg.json --onnx model.onnx --inputs in.json --out out.json [--float64]

in.json:  {"input_ids": [[...], ...], "token_type_ids": [[...], ...]}   (token_type_ids optional:
          zeros when the model has token types and none are given)
out.json: {"outputs": {name: {"shape": [...], "data": [flat floats]}, ...},   in the doc's order
           "unused_initializers": [...], "constants": {...}}               (what the loader saw)
Initializers the reference did not use are also listed on stderr.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="model config JSON (the checked ModelSpec)")
    ap.add_argument("--onnx", required=True, help="ONNX file whose initializers hold the weights")
    ap.add_argument("--inputs", required=True, help='inputs JSON: {"input_ids": [[...]], "token_type_ids"?: [[...]]}')
    ap.add_argument("--out", required=True, help="where to write the outputs JSON ('-' for stdout)")
    ap.add_argument("--float64", action="store_true", help="compute in float64 (weights cast to double)")
    return ap.parse_args(argv)


def check_ids(name, ids, limit):
    """Clear errors before torch's IndexError: rectangular, non-empty, values in [0, limit)."""
    if not isinstance(ids, list) or not ids or not all(isinstance(r, list) for r in ids):
        raise ValueError(f"{name} must be a non-empty list of lists")
    if len({len(r) for r in ids}) != 1:
        raise ValueError(f"{name} rows differ in length")
    flat = [v for r in ids for v in r]
    bad = [v for v in flat if not isinstance(v, int) or v < 0 or v >= limit]
    if bad:
        raise ValueError(f"{name} has values outside [0, {limit}): {bad[:5]}")


def run(config, onnx_path, inputs, float64=False):
    """Returns (OrderedDict name -> torch tensor, load report)."""
    import torch
    from torch_model import ReferenceModel, load_from_onnx

    model = ReferenceModel(config)
    c = model.config
    if float64:
        model = model.double()
    report = load_from_onnx(model, onnx_path)
    model.eval()

    check_ids("input_ids", inputs.get("input_ids"), c["vocab"])
    ids = torch.tensor(inputs["input_ids"], dtype=torch.int64)
    if ids.shape[1] > c["context"]:
        raise ValueError(f"seq {ids.shape[1]} exceeds context {c['context']}")
    tt = None
    if c["tokenTypes"] > 0 and inputs.get("token_type_ids") is not None:
        check_ids("token_type_ids", inputs["token_type_ids"], c["tokenTypes"])
        tt = torch.tensor(inputs["token_type_ids"], dtype=torch.int64)
        if tt.shape != ids.shape:
            raise ValueError(f"token_type_ids shape {list(tt.shape)} != input_ids shape {list(ids.shape)}")
    with torch.no_grad():
        outs = model(ids, tt)
    return outs, report


def main(argv=None):
    a = parse_args(argv)
    with open(a.config) as f:
        config = json.load(f)
    with open(a.inputs) as f:
        inputs = json.load(f)
    outs, report = run(config, a.onnx, inputs, a.float64)
    result = {
        "outputs": {
            name: {"shape": list(t.shape), "data": t.double().reshape(-1).tolist()} for name, t in outs.items()
        },
        "unused_initializers": report["unused"],
        "constants": report["constants"],
    }
    if report["unused"]:
        print(f"run_reference: initializers not used by the reference: {', '.join(report['unused'])}", file=sys.stderr)
    text = json.dumps(result)
    if a.out == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(a.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # one clear line instead of a traceback for expected failures
        from torch_model import ConfigError, ReferenceLoadError

        if isinstance(e, (ConfigError, ReferenceLoadError, ValueError, FileNotFoundError)):
            print(f"run_reference: error: {e}", file=sys.stderr)
            sys.exit(2)
        raise
