"""An independent safetensors reader and writer (json + struct + torch), to check tfc's both ways.

Written from the format's description, not from tfc's code: an 8-byte little-endian header length,
a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then
the data section. The writer lays files out as the reference (Rust) implementation does: tensors
sorted by dtype (its enum order, widest first) then by name, back to back; compact JSON with
`__metadata__` first; the header padded with spaces to a multiple of 8.

  safetensors_ref.py write OUT --seed N   writes F32/F16/BF16 tensors (edge values included) and
                                          prints {name: {dtype, shape, f32}} (f32: base64 float32 LE)
  safetensors_ref.py read FILE            prints {metadata, tensors: {name: {dtype, shape, raw, f32,
                                          as_f16?, as_bf16?}}}: raw bytes, widened float32, and for
                                          F32 tensors torch's own narrowing to F16 and BF16 (raw bits)
"""
import base64
import json
import struct
import sys

import torch

DTYPES = {  # name: (torch dtype, element bytes), in the reference implementation's enum order
    "BOOL": (torch.bool, 1), "U8": (torch.uint8, 1), "I8": (torch.int8, 1),
    "I16": (torch.int16, 2), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2),
    "I32": (torch.int32, 4), "F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8),
}
ENUM_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    # bfloat16 has no numpy dtype: reinterpret its bits as int16 first.
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def from_bytes(raw: bytes, dtype: str, shape) -> torch.Tensor:
    tdtype, size = DTYPES[dtype]
    if len(raw) == 0:
        return torch.zeros(shape, dtype=tdtype)
    return torch.frombuffer(bytearray(raw), dtype=tdtype).reshape(shape)


def write(path: str, tensors: dict, metadata=None) -> None:
    order = sorted(tensors, key=lambda n: (-ENUM_ORDER.index(tensors[n][0]), n.encode("utf-8")))
    header, blobs, at = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name in order:
        dtype, t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read(path: str):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} runs past the file")
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n :]
    covered = 0
    out = {}
    for name, info in sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
        begin, end = info["data_offsets"]
        if begin != covered:
            raise ValueError(f"{path}: tensor {name}: offsets {begin} != {covered}")
        _, size = DTYPES[info["dtype"]]
        count = 1
        for d in info["shape"]:
            count *= d
        if count * size != end - begin:
            raise ValueError(f"{path}: tensor {name}: shape and offsets disagree")
        covered = end
        out[name] = (info["dtype"], from_bytes(data[begin:end], info["dtype"], info["shape"]), data[begin:end])
    if covered != len(data):
        raise ValueError(f"{path}: {len(data) - covered} trailing bytes")
    return metadata, out


def edge_values(seed: int, count: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(count, generator=g) * torch.exp(torch.randn(count, generator=g) * 6)
    specials = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 65520.0, 1e6, -1e-8, 6e-8, 5.96e-8, 2.98e-8, 1e-40,
                             float("inf"), -float("inf"), 3.0e38, 1.0009765625, 1.00048828125, 1.00146484375])
    return torch.cat([specials, values])


def main() -> None:
    command = sys.argv[1]
    if command == "write":
        path = sys.argv[2]
        seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 0
        base = edge_values(seed, 300)
        tensors = {
            "h.0.attn.weight": ("F32", base[:240].reshape(8, 30)),
            "h.0.attn.bias": ("F32", base[240:258]),
            "half.values": ("F16", base[:300].reshape(3, 100).to(torch.float16)),
            "brain.values": ("BF16", base[:300].reshape(10, 30).to(torch.bfloat16)),
            "scalar": ("F32", torch.tensor(3.5)),
            "empty": ("F16", torch.zeros(0, 4, dtype=torch.float16)),
            "positions": ("I64", torch.arange(7, dtype=torch.int64)),
            "mask": ("BOOL", torch.tensor([True, False, True])),
        }
        write(path, tensors, {"format": "pt", "source": "safetensors_ref.py"})
        print(json.dumps({name: {"dtype": d, "shape": list(t.shape), "f32": b64(t.float().numpy().tobytes()) if d in ("F32", "F16", "BF16") else None} for name, (d, t) in tensors.items()}))
    elif command == "read":
        metadata, tensors = read(sys.argv[2])
        result = {}
        for name, (dtype, t, raw) in tensors.items():
            entry = {"dtype": dtype, "shape": list(t.shape), "raw": b64(raw)}
            if dtype in ("F32", "F16", "BF16"):
                entry["f32"] = b64(t.float().numpy().tobytes())
            if dtype == "F32":
                entry["as_f16"] = b64(tensor_bytes(t.to(torch.float16)))
                entry["as_bf16"] = b64(tensor_bytes(t.to(torch.bfloat16)))
            result[name] = entry
        print(json.dumps({"metadata": metadata, "tensors": result}))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
