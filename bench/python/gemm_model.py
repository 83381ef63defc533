"""A one-node ONNX model for measuring the machine's large-GEMM throughput in ONNX Runtime.

    /usr/bin/python3 bench/python/gemm_model.py --out gemm.onnx [--m 2048 --k 2048 --n 2048]

y[M, N] = x[M, K] @ w[K, N], fp32, with `w` an initializer (as every weight in a compiled model is,
so ONNX Runtime pre-packs it the same way) and `x` a graph input.
"""

import argparse
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--m", type=int, default=2048)
    p.add_argument("--k", type=int, default=2048)
    p.add_argument("--n", type=int, default=2048)
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args(argv)
    w = np.random.default_rng(0).standard_normal((a.k, a.n), dtype=np.float32) * np.float32(0.02)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="gemm")],
        "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [a.m, a.k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [a.m, a.n])],
        [numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", a.opset)], producer_name="tfc-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, a.out)
    print(json.dumps({"out": a.out, "flops": 2 * a.m * a.k * a.n}))


if __name__ == "__main__":
    main(sys.argv[1:])
