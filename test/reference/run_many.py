"""Runs the reference and the ONNX checker on many models in one process (torch imports once).

    run_many.py manifest.json

manifest: {"cases": [{"config": {...}, "onnx": "m.onnx", "inputs": {...}, "out": "o.json"}], "float64": true}
Each case writes run_reference.py's output JSON to `out`, plus "checker": "ok" or the checker's error.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402

from run_reference import run  # noqa: E402


def main(path):
    with open(path) as f:
        manifest = json.load(f)
    float64 = manifest.get("float64", True)
    for case in manifest["cases"]:
        try:
            onnx.checker.check_model(onnx.load(case["onnx"]), full_check=True)
            checker = "ok"
        except Exception as e:  # the test reports the checker's message as the failure
            checker = f"{type(e).__name__}: {e}"
        outs, report = run(case["config"], case["onnx"], case["inputs"], float64)
        result = {
            "checker": checker,
            "outputs": {n: {"shape": list(t.shape), "data": t.double().reshape(-1).tolist()} for n, t in outs.items()},
            "unused_initializers": report["unused"],
            "constants": report["constants"],
        }
        with open(case["out"], "w") as f:
            json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
