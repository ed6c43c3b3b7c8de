"""Straightforward vectorised NumPy implementation of matching.md — the benchmark's denominator.

usage: match_numpy.py V.f32 queries.json   (V: raw little-endian float32, steps × cells, row-major)
queries.json: {"steps", "cells", "threshold", "padL", "padR", "k", "before", "after", "queries": [[cells…]…]}
Prints JSON {"buildMs", "peakRssMB", "fast": [{"ms", "result"}…], "precise": [...]} on stdout.

One boolean on-matrix per threshold (like the engine's index), then per query: count by a column
gather and sum, runs per level with np.diff, dedupe with np.isin, ordering with np.lexsort, scoring
of all candidates of one length at once with a (m, L, D) gather and .all(axis=1).
"""
import json
import resource
import sys
import time

import numpy as np

FAST_CANDIDATES = 1000
CHUNK = 1 << 25  # bools per scoring gather


def runs_of(mask):
    d = np.diff(np.concatenate(([False], mask, [False])).astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def match(on, S, mode, pad_l, pad_r, length, K, before, after):
    T, D = on.shape
    S = np.asarray(S, dtype=np.int64)
    k = len(S)
    count = on[:, S].sum(axis=1, dtype=np.int32)
    cp = np.concatenate(([0], count, [0])).astype(np.int32)  # cp[t+1] = count[t], 0 outside
    seen = np.empty(0, dtype=np.int64)
    ps, ls, bs = [], [], []
    total = 0
    for n in range(k, 0, -1):
        s, e = runs_of(count >= n)
        L = e - s
        keep = (L >= 2) if length == 0 else (L == length)
        s, L = s[keep], L[keep]
        key = s.astype(np.int64) * (T + 1) + L
        new = ~np.isin(key, seen)
        s, L, key = s[new], L[new], key[new]
        seen = np.concatenate((seen, key))
        b = np.full(len(s), n, dtype=np.int64)
        if pad_l > 0:
            b -= cp[s]
        if pad_r > 0:
            b -= cp[s + L + 1]
        ps.append(s)
        ls.append(L)
        bs.append(b)
        total += len(s)
        if mode == "fast" and total >= FAST_CANDIDATES:
            break
    p = np.concatenate(ps) if ps else np.empty(0, dtype=np.int64)
    L = np.concatenate(ls) if ls else np.empty(0, dtype=np.int64)
    b = np.concatenate(bs) if bs else np.empty(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(p)), -b))  # b desc, then discovery order
    if mode == "fast":
        order = order[:FAST_CANDIDATES]
    p, L = p[order], L[order]

    I = np.zeros(len(p), dtype=np.int64)
    A_size = np.zeros(len(p), dtype=np.int64)
    for Lv in np.unique(L):
        idx = np.flatnonzero(L == Lv)
        step = max(1, CHUNK // (int(Lv) * D))
        for c0 in range(0, len(idx), step):
            sub = idx[c0:c0 + step]
            P = p[sub]
            A = on[P[:, None] + np.arange(Lv)[None, :]].all(axis=1)
            for j in range(1, pad_l + 1):
                t = P - j
                A &= ~(on[np.clip(t, 0, T - 1)] & (t >= 0)[:, None])
            for j in range(pad_r):
                t = P + Lv + j
                A &= ~(on[np.clip(t, 0, T - 1)] & (t < T)[:, None])
            I[sub] = A[:, S].sum(axis=1)
            A_size[sub] = A.sum(axis=1)
    U = A_size + k - I

    hist_all, hist_strict = {}, {}
    if len(L):
        lv, cnt = np.unique(L, return_counts=True)
        strict_cnt = {int(x): int(c) for x, c in zip(*np.unique(L[I == k], return_counts=True))}
        for x, c in zip(lv, cnt):
            hist_all[str(int(x))] = int(c)
            hist_strict[str(int(x))] = strict_cnt.get(int(x), 0)
    rank = np.lexsort((p, -L, U, -I))[:K]
    results = []
    for r in rank:
        pos = int(p[r])
        counts = [int(count[t]) if 0 <= t < T else None for t in range(pos - before, pos + after)]
        results.append({"pos": pos, "length": int(L[r]), "I": int(I[r]), "U": int(U[r]), "counts": counts})
    return {"results": results, "histograms": {"all": hist_all, "strict": hist_strict}}


def main():
    raw, qfile = sys.argv[1], sys.argv[2]
    spec = json.load(open(qfile))
    T, D = spec["steps"], spec["cells"]
    V = np.fromfile(raw, dtype=np.float32).reshape(T, D)
    t0 = time.perf_counter()
    on = V >= np.float32(spec["threshold"])  # float32 comparison, NaN never on
    build_ms = (time.perf_counter() - t0) * 1000
    del V
    out = {"buildMs": build_ms, "fast": [], "precise": []}
    for mode in ("fast", "precise"):
        for S in spec["queries"]:
            t = time.perf_counter()
            res = match(on, S, mode, spec["padL"], spec["padR"], spec.get("length", 0), spec["k"], spec["before"], spec["after"])
            out[mode].append({"ms": (time.perf_counter() - t) * 1000, "result": res})
    out["peakRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
