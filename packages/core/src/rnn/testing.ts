// Test-only helpers (not exported from the package): golden .npy files and the shared model folder.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodeToFloat32, decodeToInt32 } from "../../../formats/src/npy/dtype";
import { parseNpyHeader } from "../../../formats/src/npy/npy";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** `STATESCOPE_SHARED_DIR`, else `<repo>/../shared` (the shared folder is a sibling of the clone in CI). */
export function sharedDir(): string {
  return process.env.STATESCOPE_SHARED_DIR ?? path.resolve(REPO_ROOT, "../shared");
}

export function sharedModelsAvailable(): boolean {
  return existsSync(path.join(sharedDir(), "models"));
}

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

export function readNpyFloat(file: string): NpyArray {
  const buf = new Uint8Array(readFileSync(file));
  const h = parseNpyHeader(buf, path.basename(file));
  if ("needBytes" in h) throw new Error(`${file}: truncated`);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  decodeToFloat32(buf, h.dataOffset, count, h.dtype, h.littleEndian, data);
  return { shape: h.shape, data };
}

export function readNpyInt(file: string): Int32Array {
  const buf = new Uint8Array(readFileSync(file));
  const h = parseNpyHeader(buf, path.basename(file));
  if ("needBytes" in h) throw new Error(`${file}: truncated`);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const out = new Int32Array(count);
  decodeToInt32(buf, h.dataOffset, count, h.dtype, h.littleEndian, out, file);
  return out;
}

/** Largest violation of |ours − ref| ≤ atol + rtol·|ref| (≤ 0 means within tolerance), with its index. */
export function worstError(ours: Float32Array, ref: Float32Array, atol = 1e-5, rtol = 1e-5): { excess: number; index: number; maxAbs: number } {
  let excess = -Infinity;
  let index = -1;
  let maxAbs = 0;
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i]! - ref[i]!);
    const e = Number.isNaN(d) ? Infinity : d - (atol + rtol * Math.abs(ref[i]!));
    if (d > maxAbs) maxAbs = d;
    if (e > excess) {
      excess = e;
      index = i;
    }
  }
  return { excess, index, maxAbs };
}
