#!/usr/bin/python3
"""PyTorch side of `npm run bench:extract`: one continuous sequence through the
model in a safetensors file (nn.Embedding + nn.LSTM/GRU, weights from the same
file our runtime reads), zero initial state, batch 1. Prints one JSON line.

usage: /usr/bin/python3 extract_torch.py MODEL.safetensors IDS.int32 [--threads 2]
"""
import json
import re
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        arr = np.frombuffer(raw[base + b:base + end], dtype=DTYPES[e["dtype"]]).astype(np.float32)
        out[name] = torch.from_numpy(arr.reshape(e["shape"]).copy())
    return out


def blas_in_use():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if re.search(r"(blas|mkl|blis|atlas)", path, re.I):
                libs.add(path)
    return sorted(libs)


def main():
    args = sys.argv[1:]
    threads = 2
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    model_path, ids_path = args
    torch.set_num_threads(threads)
    sd = read_safetensors(model_path)
    ids = torch.from_numpy(np.fromfile(ids_path, dtype="<i4").astype(np.int64))
    emb_w = sd["emb.weight"]
    layers = len([k for k in sd if re.fullmatch(r"lstm\.weight_ih_l\d+", k)])
    hidden = sd["lstm.weight_hh_l0"].shape[1]
    emb = nn.Embedding(*emb_w.shape)
    lstm = nn.LSTM(emb_w.shape[1], hidden, layers, batch_first=True)
    emb.load_state_dict({"weight": emb_w})
    lstm.load_state_dict({k[len("lstm."):]: v for k, v in sd.items() if k.startswith("lstm.")})
    with torch.no_grad():
        lstm(emb(ids[:200]).unsqueeze(0))  # warm-up
        t0 = time.perf_counter()
        out, _ = lstm(emb(ids).unsqueeze(0))
        seconds = time.perf_counter() - t0
    info = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", info)
    print(json.dumps({
        "tokens": int(ids.numel()),
        "seconds": seconds,
        "tokensPerSecond": ids.numel() / seconds,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "blasInfo": m.group(1) if m else "?",
        "blasLibs": blas_in_use(),
        "checksum": float(out[0, -1].double().sum()),
    }))


if __name__ == "__main__":
    main()
