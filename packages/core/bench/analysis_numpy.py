"""NumPy reference for `npm run bench:analysis` (issue 16): the same statistics, computed directly.

usage:
  analysis_numpy.py cells SPEC.json     cell search + threshold-guidance reference
  analysis_numpy.py pairs SPEC.json     exact correlations of given cell pairs, one cell's partners,
                                        and the sample correlation matrix (timed)

SciPy is not installed here: mid-ranks (ties averaged) come from np.argsort and tie groups.
Values are V = float32(tanh(raw)) with tanh in float64, as the app computes them.
Prints one JSON object on stdout.
"""
import json
import resource
import sys
import time

import numpy as np

ROWS = 1 << 15


def now_ms():
    return time.perf_counter() * 1000.0


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def tanh_file(path, T, D):
    """The transformed source, row-major float32 (T × D), read in row blocks."""
    raw = np.memmap(path, dtype=np.float32, mode="r", shape=(T, D))
    V = np.empty((T, D), dtype=np.float32)
    for a in range(0, T, ROWS):
        V[a:a + ROWS] = np.tanh(raw[a:a + ROWS].astype(np.float64)).astype(np.float32)
    return V


def midranks(x):
    """1-based ranks with ties averaged (float64)."""
    order = np.argsort(x, kind="quicksort")
    s = x[order]
    n = len(s)
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(s[1:], s[:-1], out=start[1:])
    starts = np.flatnonzero(start)
    ends = np.append(starts[1:], n)
    avg = (starts + 1 + ends) / 2.0
    r = np.empty(n, dtype=np.float64)
    r[order] = np.repeat(avg, ends - starts)
    return r


def rank_columns(V):
    """Mid-ranks of every column as float32 (exact: half-integers below 2^23), row-major like V."""
    T, D = V.shape
    R = np.empty((T, D), dtype=np.float32)
    B = 32
    for c0 in range(0, D, B):
        blk = np.ascontiguousarray(V[:, c0:c0 + B].T)
        out = np.empty(blk.shape, dtype=np.float32)
        for i in range(blk.shape[0]):
            out[i] = midranks(blk[i])
        R[:, c0:c0 + B] = out.T
    return R


def column_sums(M, idx=None, weights=None):
    """Σ over rows (all, or idx) of M in float64, or Σ weights[t]·M[t] with float64 weights; in row blocks."""
    T, D = M.shape
    acc = np.zeros(D, dtype=np.float64)
    if idx is not None:
        for a in range(0, len(idx), ROWS):
            acc += M[idx[a:a + ROWS]].astype(np.float64).sum(axis=0)
        return acc
    for a in range(0, T, ROWS):
        blk = M[a:a + ROWS].astype(np.float64)
        acc += blk.sum(axis=0) if weights is None else weights[a:a + ROWS] @ blk
    return acc


def moments(V):
    T = V.shape[0]
    mean = column_sums(V) / T
    sxx = np.zeros(V.shape[1])
    for a in range(0, T, ROWS):
        d = V[a:a + ROWS].astype(np.float64) - mean
        sxx += (d * d).sum(axis=0)
    return mean, sxx


def label_stats(V, R, mean, sxx, pos):
    n = len(pos)
    nP = int(pos.sum())
    nN = n - nP
    idx = np.flatnonzero(pos)
    rP = column_sums(R, idx)
    sx = column_sums(V, idx)
    auc = (rP - nP * (nP + 1) / 2.0) / (nP * nN)
    with np.errstate(divide="ignore", invalid="ignore"):
        pb = (sx - nP * mean) / np.sqrt(sxx * nP * nN / n)
    pb[sxx == 0] = np.nan
    return auc, pb


def scalar_stats(V, R, mean, sxx, y):
    n = len(y)
    ry = midranks(y) - (n + 1) / 2.0
    dy = y.astype(np.float64) - y.astype(np.float64).mean()
    rr = column_sums(R, weights=ry) - (n + 1) / 2.0 * ry.sum()
    # Σ (R − (n+1)/2)² per column
    srr = np.zeros(V.shape[1])
    for a in range(0, n, ROWS):
        d = R[a:a + ROWS].astype(np.float64) - (n + 1) / 2.0
        srr += (d * d).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = rr / np.sqrt(srr * (ry * ry).sum())
        r = column_sums(V, weights=dy) / np.sqrt(sxx * (dy * dy).sum())
    rho[srr == 0] = np.nan
    r[sxx == 0] = np.nan
    return r, rho


def runs_at_least_2(on):
    d = np.diff(np.concatenate(([0], on.astype(np.int8), [0])))
    s = np.flatnonzero(d == 1)
    e = np.flatnonzero(d == -1)
    return int(((e - s) >= 2).sum())


def clean(a):
    return [None if not np.isfinite(v) else float(v) for v in a]


def cmd_cells(spec):
    T, D = spec["steps"], spec["cells"]
    out = {"timingsMs": {}}
    t0 = now_ms()
    V = tanh_file(spec["source"], T, D)
    t1 = now_ms()
    R = rank_columns(V)
    mean, sxx = moments(V)
    t2 = now_ms()
    out["timingsMs"]["prepare_tanh"] = t1 - t0
    out["timingsMs"]["prepare_ranks"] = t2 - t1
    label = np.fromfile(spec["label"], dtype=np.int32)
    depth = np.fromfile(spec["depth"], dtype=np.float32)
    level = np.fromfile(spec["level"], dtype=np.float32)
    out["labels"] = {}
    for L in spec["labels"]:
        ts = []
        for _ in range(spec["runs"]):
            a = now_ms()
            auc, pb = label_stats(V, R, mean, sxx, label == L)
            ts.append(now_ms() - a)
        out["labels"][str(L)] = {"ms": ts, "auc": clean(auc), "pointBiserial": clean(pb)}
    ts = []
    for _ in range(spec["runs"]):
        a = now_ms()
        r, rho = scalar_stats(V, R, mean, sxx, depth)
        ts.append(now_ms() - a)
    out["depth"] = {"ms": ts, "r": clean(r), "rho": clean(rho)}
    # missing steps: ranks over the defined steps only
    a = now_ms()
    keep = np.flatnonzero(np.isfinite(level))
    Vk = V[keep]
    del R
    Rk = rank_columns(Vk)
    mk, sk = moments(Vk)
    b = now_ms()
    r, rho = scalar_stats(Vk, Rk, mk, sk, level[keep])
    c = now_ms()
    out["level"] = {"prepareMs": b - a, "ms": [c - b], "r": clean(r), "rho": clean(rho), "excluded": int(T - len(keep))}
    del Vk, Rk
    # threshold guidance: candidate runs and rule picks at a few thresholds, directly
    out["guide"] = []
    for g in spec["guides"]:
        cells = np.array(g["cells"])
        sub = V[:, cells]
        w0, w1 = g["window"]
        b0, b1 = g["brush"]
        win = V[w0:w1]
        rng_ = win[b0 - w0:b1 - w0]
        pad = np.concatenate((win[:b0 - w0], win[b1 - w0:]))
        rec = {"thresholds": g["thresholds"], "candidates": [], "picked": [], "ms": []}
        for thr in g["thresholds"]:
            f = np.float32(thr)
            a = now_ms()
            rec["candidates"].append(runs_at_least_2((sub >= f).all(axis=1)))
            rec["ms"].append(now_ms() - a)
            ok = (rng_ >= f).all(axis=0)
            if len(pad):
                ok &= (pad < f).all(axis=0)
            rec["picked"].append(int(ok.sum()))
        out["guide"].append(rec)
    out["peakRssMB"] = peak_rss_mb()
    return out


def column_pass(path, T, D, cols):
    """The given columns of a raw row-major file, transformed, as a (len(cols) × T) float64 array: one pass."""
    raw = np.memmap(path, dtype=np.float32, mode="r", shape=(T, D))
    out = np.empty((len(cols), T), dtype=np.float64)
    for a in range(0, T, ROWS):
        out[:, a:a + ROWS] = np.tanh(raw[a:a + ROWS][:, cols].astype(np.float64)).astype(np.float32).T
    return out


def pearson_rows(X, y):
    Xc = X - X.mean(axis=1, keepdims=True)
    yc = y - y.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        return (Xc @ yc) / np.sqrt((Xc * Xc).sum(axis=1) * (yc * yc).sum())


def cmd_pairs(spec):
    T, D = spec["steps"], spec["cells"]
    out = {}
    pairs = spec["pairs"]
    ca = sorted({p[0] for p in pairs} | {spec["partnerCell"]})
    cb = sorted({p[1] for p in pairs})
    a = now_ms()
    XA = column_pass(spec["sourceA"], T, D, ca)
    XB = column_pass(spec["sourceB"], T, D, cb)
    ia = {c: i for i, c in enumerate(ca)}
    ib = {c: i for i, c in enumerate(cb)}
    out["exact"] = [float(pearson_rows(XA[ia[p[0]]][None, :], XB[ib[p[1]]])[0]) for p in pairs]
    out["exactMs"] = now_ms() - a
    del XB
    # one cell's partners: all of B against it, one pass over B
    a = now_ms()
    x = XA[ia[spec["partnerCell"]]]
    xc = x - x.mean()
    raw = np.memmap(spec["sourceB"], dtype=np.float32, mode="r", shape=(T, D))
    s1 = np.zeros(D)
    s2 = np.zeros(D)
    sxy = np.zeros(D)
    for r0 in range(0, T, ROWS):
        blk = np.tanh(raw[r0:r0 + ROWS].astype(np.float64)).astype(np.float32).astype(np.float64)
        s1 += blk.sum(axis=0)
        s2 += (blk * blk).sum(axis=0)
        sxy += xc[r0:r0 + ROWS] @ blk
    var = s2 - s1 * s1 / T
    with np.errstate(divide="ignore", invalid="ignore"):
        out["partners"] = clean(sxy / np.sqrt(var * (xc * xc).sum()))
    out["partnersMs"] = now_ms() - a
    # the sampled correlation matrix at the same sample size (its cost; values differ by sample)
    n = spec["sampleSteps"]
    steps = np.sort(np.random.default_rng(1).choice(T, size=n, replace=False))
    a = now_ms()
    rawA = np.memmap(spec["sourceA"], dtype=np.float32, mode="r", shape=(T, D))
    ZA = np.tanh(rawA[steps].astype(np.float64))
    ZB = np.tanh(raw[steps].astype(np.float64))
    ZA -= ZA.mean(axis=0)
    ZB -= ZB.mean(axis=0)
    ZA /= np.sqrt((ZA * ZA).sum(axis=0))
    ZB /= np.sqrt((ZB * ZB).sum(axis=0))
    C = ZA.T @ ZB
    out["sampleMatrixMs"] = now_ms() - a
    out["sampleMatrixShape"] = list(C.shape)
    out["peakRssMB"] = peak_rss_mb()
    return out


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        spec = json.load(f)
    out = cmd_cells(spec) if cmd == "cells" else cmd_pairs(spec)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
