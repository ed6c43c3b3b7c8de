/**
 * `npm run bench:extract [-- --tokens N --threads 2 --skip-torch]`
 *
 * One continuous sequence of N tokens (default 100,000) through a 2-layer
 * 650-unit LSTM with a 10,000-word embedding (the size of LSTMVis's PTB
 * model), random weights generated deterministically and saved to a temporary
 * safetensors file that both sides read. Ours: every layer's c_t and h_t,
 * streamed in blocks (no head). PyTorch: nn.LSTM over the same ids
 * (packages/core/bench/extract_torch.py, Debian python3-torch).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeSafetensors, readSafetensors } from "../../formats/src/safetensors";
import { loadRnnModel, runRnnChunks, type Tensor } from "../src/rnn";
import { mulberry32 as rng } from "../src/random";

const VOCAB = 10_000;
const HIDDEN = 650;
const LAYERS = 2;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function uniform(shape: number[], scale: number, next: () => number): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (2 * next() - 1) * scale;
  return { data, shape };
}

function main(): void {
  const tokens = Number(arg("tokens", "100000"));
  const threads = arg("threads", "2");
  const skipTorch = process.argv.includes("--skip-torch");
  const next = rng(42);
  const k = 1 / Math.sqrt(HIDDEN); // PyTorch's LSTM init range
  const tensors: Record<string, Tensor> = { "emb.weight": uniform([VOCAB, HIDDEN], 1, next) };
  for (let l = 0; l < LAYERS; l++) {
    tensors[`lstm.weight_ih_l${l}`] = uniform([4 * HIDDEN, HIDDEN], k, next);
    tensors[`lstm.weight_hh_l${l}`] = uniform([4 * HIDDEN, HIDDEN], k, next);
    tensors[`lstm.bias_ih_l${l}`] = uniform([4 * HIDDEN], k, next);
    tensors[`lstm.bias_hh_l${l}`] = uniform([4 * HIDDEN], k, next);
  }
  const ids = new Int32Array(tokens);
  for (let t = 0; t < tokens; t++) ids[t] = Math.floor(next() * VOCAB);

  const dir = mkdtempSync(path.join(tmpdir(), "statescope-bench-"));
  try {
    const weightsPath = path.join(dir, "lstm-2x650.safetensors");
    const idsPath = path.join(dir, "ids.int32");
    const bytes = encodeSafetensors(tensors);
    writeFileSync(weightsPath, bytes);
    writeFileSync(idsPath, new Uint8Array(ids.buffer));

    const model = loadRnnModel(readSafetensors(bytes).tensors);
    const t0 = performance.now();
    let last = 0;
    let lastReport = t0;
    for (const chunk of runRnnChunks(model, ids, { head: false })) {
      const out = chunk.sources.find((s) => s.name === `output${LAYERS}`)!;
      last = 0;
      for (let j = out.data.length - HIDDEN; j < out.data.length; j++) last += out.data[j]!;
      const now = performance.now();
      if (now - lastReport > 10_000) {
        const done = chunk.start + chunk.steps;
        process.stderr.write(`  ours: ${done}/${tokens} tokens, ${((done * 1000) / (now - t0)).toFixed(0)} tokens/s\n`);
        lastReport = now;
      }
    }
    const oursSeconds = (performance.now() - t0) / 1000;
    const ours = tokens / oursSeconds;
    console.log(`model: ${LAYERS}-layer ${HIDDEN}-unit LSTM, vocab ${VOCAB}, random weights (seed 42); ${tokens} tokens, one sequence`);
    console.log(`ours (TypeScript, Node ${process.version}): ${ours.toFixed(1)} tokens/s (${oursSeconds.toFixed(1)} s; all layers' c_t + h_t)`);
    if (skipTorch) return;
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "extract_torch.py");
    const py = process.env.STATESCOPE_PYTHON ?? "/usr/bin/python3";
    const json = execFileSync(py, [script, weightsPath, idsPath, "--threads", threads], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads },
      maxBuffer: 1 << 20,
    });
    const torch = JSON.parse(json.trim().split("\n").pop()!) as {
      tokensPerSecond: number;
      seconds: number;
      threads: number;
      torch: string;
      blasInfo: string;
      blasLibs: string[];
      checksum: number;
    };
    console.log(`pytorch ${torch.torch} (${torch.threads} threads): ${torch.tokensPerSecond.toFixed(1)} tokens/s (${torch.seconds.toFixed(1)} s; nn.LSTM)`);
    console.log(`pytorch BLAS: build ${torch.blasInfo}; loaded ${torch.blasLibs.join(", ") || "none"}`);
    console.log(`ratio ours/pytorch: ${(ours / torch.tokensPerSecond).toFixed(3)} (target ≥ 0.25)`);
    console.log(`checksum Σ h_T (last layer): ours ${last.toFixed(5)}, pytorch ${torch.checksum.toFixed(5)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
