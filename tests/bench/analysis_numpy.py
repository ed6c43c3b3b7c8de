"""NumPy reference for `npm run bench:analysis` (issue 16): the same statistics, computed directly.

usage:
  analysis_numpy.py cells SPEC.json     cell search + threshold-guidance reference
  analysis_numpy.py pairs SPEC.json     exact correlations of given cell pairs, one cell's partners,
                                        and the sample correlation matrix (timed)

Streaming, so the reference never holds the source (2.6 GB at 1M × 650) in memory: its one-time
preparation writes the transformed values and their per-cell mid-ranks cell-major to two files in
the spec's scratch folder (one pass over the source's rows for the values, then one cell at a time
for the ranks), and every statistic then reads blocks of CELLS cells at a time from those files
(plain reads into reused buffers, from the page cache once they are warm). SciPy is not installed
here: mid-ranks (ties averaged) come from np.argsort and tie groups.
Values are V = float32(tanh(raw)) with tanh in float64, as the app computes them.
Prints one JSON object on stdout.
"""
import json
import os
import resource
import sys
import time

import numpy as np

ROWS = 1 << 15
CELLS = 16


def now_ms():
    return time.perf_counter() * 1000.0


def peak_rss_mb():
    """This process's peak resident set (VmHWM): getrusage's ru_maxrss would include the parent's
    peak before exec (node, several GB by the time the pairs reference runs)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_rows(fd, a, n, D):
    """Rows [a, a + n) of a raw row-major float32 file."""
    out = np.empty((n, D), dtype=np.float32)
    os.preadv(fd, [memoryview(out).cast("B")], a * D * 4)
    return out


class CellMajor:
    """A T × D matrix stored cell-major in a file: blocks of whole cells are one read each."""

    def __init__(self, path, T, D, create=False):
        self.path, self.T, self.D = path, T, D
        self.fd = os.open(path, os.O_RDWR | (os.O_CREAT | os.O_TRUNC if create else 0), 0o600)
        if create:
            os.ftruncate(self.fd, T * D * 4)
        self.buf = np.empty((CELLS, T), dtype=np.float32)

    def write_cell_rows(self, c, a, values):
        os.pwrite(self.fd, np.ascontiguousarray(values, dtype=np.float32).tobytes(), (c * self.T + a) * 4)

    def write_cell(self, c, values):
        self.write_cell_rows(c, 0, values)

    def cells(self, c0, k):
        """Cells [c0, c0 + k) as a (k × T) view of a reused buffer (k ≤ CELLS)."""
        out = self.buf[:k]
        os.preadv(self.fd, [memoryview(out).cast("B")], c0 * self.T * 4)
        return out

    def pick(self, cells):
        """The given cells as a fresh (len(cells) × T) array."""
        out = np.empty((len(cells), self.T), dtype=np.float32)
        for i, c in enumerate(cells):
            os.preadv(self.fd, [memoryview(out[i]).cast("B")], int(c) * self.T * 4)
        return out

    def blocks(self):
        for c0 in range(0, self.D, CELLS):
            k = min(CELLS, self.D - c0)
            yield c0, self.cells(c0, k)

    def close(self):
        os.close(self.fd)
        os.unlink(self.path)


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


def transform_cell_major(path, T, D, out):
    """One pass over the raw rows: V = float32(tanh(raw)), written cell-major."""
    fd = os.open(path, os.O_RDONLY)
    try:
        for a in range(0, T, ROWS):
            n = min(ROWS, T - a)
            blk = np.tanh(read_rows(fd, a, n, D).astype(np.float64)).astype(np.float32).T
            for c in range(D):
                out.write_cell_rows(c, a, blk[c])
    finally:
        os.close(fd)


def prepare(V, R, T):
    """Per cell: mid-ranks (written to R, float32: half-integers below 2^23 are exact), mean, Σ(V − mean)², Σ(R − (T+1)/2)²."""
    D = V.D
    mean = np.zeros(D)
    sxx = np.zeros(D)
    srr = np.zeros(D)
    for c0, blk in V.blocks():
        for j in range(blk.shape[0]):
            x = blk[j].astype(np.float64)
            m = x.mean()
            mean[c0 + j] = m
            sxx[c0 + j] = ((x - m) ** 2).sum()
            r = midranks(blk[j])
            srr[c0 + j] = ((r - (T + 1) / 2.0) ** 2).sum()
            R.write_cell(c0 + j, r.astype(np.float32))
    return mean, sxx, srr


def label_stats(V, R, mean, sxx, pos):
    n = len(pos)
    nP = int(pos.sum())
    nN = n - nP
    idx = np.flatnonzero(pos)
    D = V.D
    rP = np.zeros(D)
    sx = np.zeros(D)
    for c0, blk in R.blocks():
        rP[c0:c0 + len(blk)] = blk[:, idx].sum(axis=1, dtype=np.float64)
    for c0, blk in V.blocks():
        sx[c0:c0 + len(blk)] = blk[:, idx].sum(axis=1, dtype=np.float64)
    auc = (rP - nP * (nP + 1) / 2.0) / (nP * nN)
    with np.errstate(divide="ignore", invalid="ignore"):
        pb = (sx - nP * mean) / np.sqrt(sxx * nP * nN / n)
    pb[sxx == 0] = np.nan
    return auc, pb


def scalar_stats(V, R, sxx, srr, y):
    n = len(y)
    ry = midranks(y) - (n + 1) / 2.0
    dy = y.astype(np.float64) - y.astype(np.float64).mean()
    D = V.D
    rr = np.zeros(D)
    vy = np.zeros(D)
    for c0, blk in R.blocks():
        rr[c0:c0 + len(blk)] = blk.astype(np.float64) @ ry
    for c0, blk in V.blocks():
        vy[c0:c0 + len(blk)] = blk.astype(np.float64) @ dy
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = rr / np.sqrt(srr * (ry * ry).sum())
        r = vy / np.sqrt(sxx * (dy * dy).sum())
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
    scratch = spec["scratch"]
    out = {"timingsMs": {}}
    V = CellMajor(os.path.join(scratch, "V.cm.f32"), T, D, create=True)
    R = CellMajor(os.path.join(scratch, "R.cm.f32"), T, D, create=True)
    try:
        t0 = now_ms()
        transform_cell_major(spec["source"], T, D, V)
        t1 = now_ms()
        mean, sxx, srr = prepare(V, R, T)
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
            r, rho = scalar_stats(V, R, sxx, srr, depth)
            ts.append(now_ms() - a)
        out["depth"] = {"ms": ts, "r": clean(r), "rho": clean(rho)}
        # missing steps: per cell, the defined steps' values, their own ranks and moments (the
        # restricted preparation), then the statistics over them
        keep = np.flatnonzero(np.isfinite(level))
        yk = level[keep]
        n = len(keep)
        ry = midranks(yk) - (n + 1) / 2.0
        dy = yk.astype(np.float64) - yk.astype(np.float64).mean()
        r = np.zeros(D)
        rho = np.zeros(D)
        prep_ms = 0.0
        stat_ms = 0.0
        for c0, blk in V.blocks():
            for j in range(blk.shape[0]):
                a = now_ms()
                x = blk[j][keep]
                xr = midranks(x) - (n + 1) / 2.0
                xd = x.astype(np.float64)
                xd -= xd.mean()
                sx2 = (xd * xd).sum()
                sr2 = (xr * xr).sum()
                b = now_ms()
                with np.errstate(divide="ignore", invalid="ignore"):
                    r[c0 + j] = (xd @ dy) / np.sqrt(sx2 * (dy * dy).sum()) if sx2 > 0 else np.nan
                    rho[c0 + j] = (xr @ ry) / np.sqrt(sr2 * (ry * ry).sum()) if sr2 > 0 else np.nan
                stat_ms += now_ms() - b
                prep_ms += b - a
        out["level"] = {"prepareMs": prep_ms, "ms": [stat_ms], "r": clean(r), "rho": clean(rho), "excluded": int(T - n)}
        # threshold guidance: candidate runs and rule picks at a few thresholds, directly
        out["guide"] = []
        for g in spec["guides"]:
            sub = V.pick(g["cells"])
            w0, w1 = g["window"]
            b0, b1 = g["brush"]
            fd = os.open(spec["source"], os.O_RDONLY)
            win = np.tanh(read_rows(fd, w0, w1 - w0, D).astype(np.float64)).astype(np.float32)
            os.close(fd)
            rng_ = win[b0 - w0:b1 - w0]
            pad = np.concatenate((win[:b0 - w0], win[b1 - w0:]))
            rec = {"thresholds": g["thresholds"], "candidates": [], "picked": [], "ms": []}
            for thr in g["thresholds"]:
                f = np.float32(thr)
                a = now_ms()
                rec["candidates"].append(runs_at_least_2((sub >= f).all(axis=0)))
                rec["ms"].append(now_ms() - a)
                ok = (rng_ >= f).all(axis=0)
                if len(pad):
                    ok &= (pad < f).all(axis=0)
                rec["picked"].append(int(ok.sum()))
            out["guide"].append(rec)
            del sub
    finally:
        V.close()
        R.close()
    out["peakRssMB"] = peak_rss_mb()
    return out


def column_pass(path, T, D, cols):
    """The given columns of a raw row-major file, transformed, as a (len(cols) × T) float64 array: one pass."""
    fd = os.open(path, os.O_RDONLY)
    out = np.empty((len(cols), T), dtype=np.float64)
    try:
        for a in range(0, T, ROWS):
            n = min(ROWS, T - a)
            out[:, a:a + n] = np.tanh(read_rows(fd, a, n, D)[:, cols].astype(np.float64)).astype(np.float32).T
    finally:
        os.close(fd)
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
    x = XA[ia[spec["partnerCell"]]].copy()
    del XA, XB
    # one cell's partners: all of B against it, one pass over B's rows
    a = now_ms()
    xc = x - x.mean()
    fd = os.open(spec["sourceB"], os.O_RDONLY)
    s1 = np.zeros(D)
    s2 = np.zeros(D)
    sxy = np.zeros(D)
    try:
        for r0 in range(0, T, ROWS):
            n = min(ROWS, T - r0)
            blk = np.tanh(read_rows(fd, r0, n, D).astype(np.float64)).astype(np.float32).astype(np.float64)
            s1 += blk.sum(axis=0)
            s2 += (blk * blk).sum(axis=0)
            sxy += xc[r0:r0 + n] @ blk
    finally:
        os.close(fd)
    var = s2 - s1 * s1 / T
    with np.errstate(divide="ignore", invalid="ignore"):
        out["partners"] = clean(sxy / np.sqrt(var * (xc * xc).sum()))
    out["partnersMs"] = now_ms() - a
    # the sampled correlation matrix at the same sample size (its cost; values differ by sample)
    n = spec["sampleSteps"]
    steps = np.sort(np.random.default_rng(1).choice(T, size=n, replace=False))
    a = now_ms()
    rawA = np.memmap(spec["sourceA"], dtype=np.float32, mode="r", shape=(T, D))
    rawB = np.memmap(spec["sourceB"], dtype=np.float32, mode="r", shape=(T, D))
    ZA = np.tanh(rawA[steps].astype(np.float64))
    ZB = np.tanh(rawB[steps].astype(np.float64))
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
