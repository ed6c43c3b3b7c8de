// The `statescope` command's bundle cache (used by bin.cjs; plain CommonJS, so it runs before any
// TypeScript loader).
//
// Running main.ts through the tsx loader costs every call seconds on a loaded machine: tsx compiles
// each TypeScript file the command imports, on every run. Instead the command runs from an esbuild
// bundle of main.ts (what tsx itself compiles with, so the same output per file) built on first use
// and reused while its sources are unchanged:
//   .cache/cli-<hash>/main.mjs (+ chunks)  the bundle; <hash> is of its content. Lazily imported
//                                           commands stay separate chunks (`splitting`), so a call
//                                           loads only the npm packages its command needs.
//   .cache/cli.json                         which bundle is current, and the size and mtime of every
//                                           file it was built from (plus tsconfig.json).
// A call stats those files (a few milliseconds) and rebuilds when any differs. Every write is a
// rename of a finished file or folder, so two calls that build at once each end with a complete
// bundle, and the record never names a bundle built from other sources than the ones it lists.
// Our TypeScript is bundled; npm packages stay ordinary imports from node_modules (as server/cli/
// bundle.ts does for `npm start`). The folder is two levels below the project root, as main.ts is,
// so code that finds the root from import.meta.url finds the same one.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** Bumped when the way bundles are built changes, so older records are not trusted. */
const FORMAT = 1;
/** A superseded bundle is deleted once this old (a command still running may load a chunk from it). */
const KEEP_OLD_MS = 24 * 3600 * 1000;

function readRecord(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

function statKey(file) {
  const s = fs.statSync(file, { throwIfNoEntry: false });
  return s ? [s.size, s.mtimeMs] : null;
}

/** The record's bundle when every file it lists is unchanged, else null. */
function currentBundle(root, cacheDir, record, esbuildVersion) {
  if (!record || record.format !== FORMAT || record.esbuild !== esbuildVersion || typeof record.dir !== "string") return null;
  for (const [rel, size, mtimeMs] of record.inputs) {
    const k = statKey(path.join(root, rel));
    if (!k || k[0] !== size || k[1] !== mtimeMs) return null;
  }
  const entry = path.join(cacheDir, record.dir, record.entry);
  return fs.existsSync(entry) ? entry : null;
}

/**
 * Returns the bundle of `entry` (a path relative to `root`), building it when missing or stale.
 * `built` says whether this call built it. Throws when esbuild fails or the cache cannot be written
 * (the caller then runs the sources through tsx).
 * @param {{ root: string, entry: string, cacheDir?: string, name?: string }} o
 * @returns {{ file: string, built: boolean }}
 */
function ensureBundle(o) {
  const root = o.root;
  const name = o.name ?? "cli";
  const cacheDir = o.cacheDir ?? path.join(root, ".cache");
  const recordFile = path.join(cacheDir, `${name}.json`);
  const esbuild = require("esbuild");
  const fresh = currentBundle(root, cacheDir, readRecord(recordFile), esbuild.version);
  if (fresh) return { file: fresh, built: false };

  const started = Date.now();
  const tsconfig = path.join(root, "tsconfig.json");
  const r = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: { main: o.entry },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    ...(fs.existsSync(tsconfig) ? { tsconfig } : {}),
    outdir: path.join(cacheDir, "out"), // only names the files: nothing is written here
    outExtension: { ".js": ".mjs" },
    sourcemap: "linked",
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const hash = crypto.createHash("sha256");
  const files = [...r.outputFiles].sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const f of files) hash.update(path.basename(f.path)).update("\0").update(f.contents);
  const dirName = `${name}-${hash.digest("hex").slice(0, 16)}`;
  const dir = path.join(cacheDir, dirName);
  if (!fs.existsSync(dir)) {
    const tmp = path.join(cacheDir, `.${dirName}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
    fs.mkdirSync(tmp, { recursive: true });
    for (const f of files) fs.writeFileSync(path.join(tmp, path.basename(f.path)), f.contents);
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      // another call built the same bundle first: same name, same content
      if (!fs.existsSync(path.join(dir, "main.mjs"))) throw e;
    }
  }

  // the record: every input as it is now, unless one changed seconds before or while esbuild read
  // it (then this bundle runs this once, and the next call builds again)
  const inputs = [];
  let settled = true;
  for (const rel of [...Object.keys(r.metafile.inputs), ...(fs.existsSync(tsconfig) ? ["tsconfig.json"] : [])]) {
    const k = statKey(path.join(root, rel));
    if (!k || k[1] >= started - 2000) settled = false;
    if (k) inputs.push([rel, k[0], k[1]]);
  }
  if (settled) {
    const tmp = `${recordFile}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ format: FORMAT, esbuild: esbuild.version, dir: dirName, entry: "main.mjs", inputs }));
    fs.renameSync(tmp, recordFile);
  } else {
    fs.rmSync(recordFile, { force: true }); // an older record would vouch for the older bundle
  }
  removeOld(cacheDir, name, dirName);
  return { file: path.join(dir, "main.mjs"), built: true };
}

/** Deletes superseded bundles (and temp folders of crashed builds) older than KEEP_OLD_MS. */
function removeOld(cacheDir, name, keep) {
  for (const e of fs.readdirSync(cacheDir)) {
    if (e === keep || !(e.startsWith(`${name}-`) || e.startsWith(`.${name}-`))) continue;
    const p = path.join(cacheDir, e);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > KEEP_OLD_MS) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // another call removed it
    }
  }
}

module.exports = { ensureBundle };
