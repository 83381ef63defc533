#!/usr/bin/python3
"""Run the ONNX checker (full_check: strict shape inference too) on each file.

  check_onnx.py model.onnx [more.onnx ...]

The checker is given the path, not a loaded model, so models with external data (past the 2 GiB
protobuf limit) are checked too: it verifies each external tensor's file lies beside the model.

Prints one JSON line per file, {"file": ..., "ok": true} or {"file": ..., "ok": false, "error": ...};
exits 1 if any file fails.
"""

import json
import sys


def check(path):
    import onnx

    try:
        onnx.checker.check_model(path, full_check=True)
        return {"file": path, "ok": True}
    except Exception as e:  # a load failure (missing/corrupt file) is a failed check too
        return {"file": path, "ok": False, "error": f"{type(e).__name__}: {e}".strip()}


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 0 if argv else 2
    ok = True
    for p in argv:
        r = check(p)
        ok = ok and r["ok"]
        print(json.dumps(r), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
