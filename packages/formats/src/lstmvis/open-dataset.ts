import { stat } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "@statescope/core";
import { isNumpyFolder, openNumpyFolder } from "../numpy-folder/numpy-folder";
import type { DatasetReader } from "./dataset-reader";
import { openLstmVisProject } from "./project";

/**
 * Opens a project folder as whichever format it holds: `lstm.yml` (LSTMVis)
 * or a NumPy folder. For archives, run `extractArchive` + `locateProjectRoot` first.
 */
export async function openDataset(root: string, opts: { signal?: AbortSignal; name?: string } = {}): Promise<DatasetReader> {
  const st = await stat(root).catch(() => null);
  if (!st?.isDirectory()) throw new AppError("BAD_INPUT", `${root} is not a folder`);
  if (await stat(join(root, "lstm.yml")).then((s) => s.isFile(), () => false)) return openLstmVisProject(root, opts);
  if (await isNumpyFolder(root)) return openNumpyFolder(root, opts);
  throw new AppError("BAD_INPUT", "not a project folder: expected lstm.yml, or tokens.txt / ids.npy + vocab.json");
}
