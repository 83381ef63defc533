"""Quantization reference in numpy, written from docs/optimize.md's formulas (not from the compiler).

usage: quant_reference.py in.json out.json

in.json: {"cases": [{"kind": "int8"|"int4"|"embedding8"|"embedding4"|"fp16", ...}]}; every case
gives its weight `w` ([rows, cols], row-major) and how it is read, and `x` or `ids`. out.json gives,
per case, the quantized weight (`q`, `scales`, `zero_points`) and the float64 result `y`.
"""
import json
import sys

import numpy as np


def round_half_even(v):
    return np.rint(v)  # numpy rounds half to even


def affine(lo, hi, qmin, qmax, symmetric):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if symmetric:
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    scale = np.float32((hi - lo) / (qmax - qmin))
    if not scale > 0:
        return np.float32(1.0), (0 if qmin < 0 or not symmetric else (qmin + qmax + 1) // 2)
    zp = int(np.clip(round_half_even(qmin - lo / np.float64(scale)), qmin, qmax))
    return scale, zp


def quantize(v, scale, zp, qmin, qmax):
    return np.clip(round_half_even((v.astype(np.float32) / np.float32(scale)).astype(np.float32)) + zp, qmin, qmax)


def int8_weight(w_nk, per_channel, symmetric):
    """w_nk: [N, K] (rows are output channels). Returns q [N, K], scales [N] or [1], zps."""
    qmin, qmax = (-127, 127) if symmetric else (-128, 127)
    groups = [w_nk[n] for n in range(w_nk.shape[0])] if per_channel else [w_nk.reshape(-1)]
    params = [affine(float(g.min()), float(g.max()), qmin, qmax, symmetric) for g in groups]
    if per_channel:
        q = np.stack([quantize(w_nk[n], *params[n], qmin, qmax) for n in range(w_nk.shape[0])])
    else:
        q = quantize(w_nk, *params[0], qmin, qmax)
    scales = np.array([p[0] for p in params], dtype=np.float32)
    zps = np.array([p[1] for p in params], dtype=np.float64)
    return q, scales, zps


def int4_weight(w_nk, block, symmetric):
    n, k = w_nk.shape
    blocks = -(-k // block)
    padded = np.zeros((n, blocks * block), dtype=np.float32)
    padded[:, :k] = w_nk
    q = np.zeros_like(padded)
    scales = np.zeros((n, blocks), dtype=np.float32)
    zps = np.zeros((n, blocks))
    for r in range(n):
        for b in range(blocks):
            v = padded[r, b * block:(b + 1) * block]
            if symmetric:
                extreme = v[np.argmax(np.abs(v))] if np.any(v) else 0.0
                scale, zp = (np.float32(extreme / -8.0), 8) if extreme != 0 else (np.float32(1.0), 8)
            else:
                scale, zp = affine(float(v.min()), float(v.max()), 0, 15, False)
            scales[r, b], zps[r, b] = scale, zp
            q[r, b * block:(b + 1) * block] = quantize(v, scale, zp, 0, 15)
    deq = ((q - np.repeat(zps, block, axis=1)) * np.repeat(scales, block, axis=1).astype(np.float64))[:, :k]
    return q, scales, zps, deq


def dynamic_quantize(x):
    """ONNX DynamicQuantizeLinear: uint8, the range widened to include 0."""
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(round_half_even(0 - lo / np.float64(scale)), 0, 255))
    return quantize(x, scale, zp, 0, 255), scale, zp


def run_case(c):
    w = np.array(c["w"], dtype=np.float32).reshape(c["wShape"])
    # Channels are rows of the [N, K] view: a linear stores [K, N] unless transposed.
    w_nk = w if c.get("transposed") or c["kind"].startswith("embedding") else w.T
    out = {}
    if c["kind"] in ("int8", "embedding8"):
        q, scales, zps = int8_weight(w_nk, c["perChannel"], c["symmetric"])
        if c["perChannel"]:
            deq = (q - zps[:, None]) * scales[:, None].astype(np.float64)
        else:
            deq = (q - zps[0]) * np.float64(scales[0])
        stored = q if c.get("transposed") or c["kind"] == "embedding8" else q.T
        out.update(q=stored.reshape(-1).tolist(), scales=scales.tolist(), zero_points=zps.tolist())
    elif c["kind"] in ("int4", "embedding4"):
        q, scales, zps, deq = int4_weight(w_nk, c["blockSize"], c["symmetric"])
        out.update(q=q.reshape(-1).tolist(), scales=scales.reshape(-1).tolist(), zero_points=zps.reshape(-1).tolist())
    if c["kind"].startswith("embedding"):
        ids = np.array(c["ids"], dtype=np.int64)
        out["y"] = deq[ids].reshape(-1).tolist()
        return out
    x = np.array(c["x"], dtype=np.float32).reshape(c["xShape"]).astype(np.float64)
    if c["kind"] == "fp16":
        out["half_bits"] = np.array(c["w"], dtype=np.float32).astype(np.float16).view(np.uint16).tolist()
        return out
    mode = c.get("mode", "weight_only")
    if mode == "dynamic":
        xq, xs, xzp = dynamic_quantize(x.astype(np.float32))
        integers = (xq - xzp) @ (q - (zps[:, None] if c["perChannel"] else zps[0])).T
        y = integers * (np.float64(xs) * (scales.astype(np.float64) if c["perChannel"] else np.float64(scales[0])))
    elif mode == "static":
        xs, xzp = affine(c["range"][0], c["range"][1], 0, 255, False)
        xd = (quantize(x.astype(np.float32), xs, xzp, 0, 255) - xzp) * np.float64(xs)
        y = xd @ deq.T
    else:
        y = x @ deq.T
    out["y"] = y.reshape(-1).tolist()
    return out


def main():
    cases = json.load(open(sys.argv[1]))["cases"]
    json.dump({"cases": [run_case(c) for c in cases]}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
