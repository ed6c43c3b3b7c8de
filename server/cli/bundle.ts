/**
 * `npm start` runs web, worker and sync from plain JavaScript bundles, not through the tsx loader.
 *
 * The loader costs a process about 2 s at every start (it compiles each TypeScript file it imports,
 * and hooks every module resolution — Next.js's own too), and a supervised process that was killed
 * must serve again within 10 s on a loaded machine (SECURITY.md). The bundles are made with esbuild
 * (what tsx itself compiles with, so the same output per file) at every `npm start`, in well under a
 * second: our TypeScript (server/, packages/, workers/, the generated Prisma client) goes into one
 * file per process, and every npm package stays an ordinary import from node_modules.
 * `npm run dev` keeps tsx (it watches the sources).
 */
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "./runtime";

/** The supervised processes and their entry points. */
export const ENTRIES = { web: "server/http/web-server.ts", worker: "workers/main.ts", sync: "server/sync/main.ts" } as const;
export type BundledProcess = keyof typeof ENTRIES;

/** Where the bundles go: beside the production build, which is rebuilt output too (not in git). */
export const BUNDLE_DIR = path.join(ROOT, ".next", "statescope-processes");

/**
 * Bundles every process; returns each one's file. Throws when esbuild fails (the caller falls back
 * to tsx). A file is replaced by a rename, and only when it changed: another launcher of the same
 * folder (`npm run start:web` beside `start:worker`) may be restarting a process from it right now.
 */
export async function bundleProcesses(): Promise<Record<BundledProcess, string>> {
  const { build } = await import("esbuild");
  fs.mkdirSync(BUNDLE_DIR, { recursive: true });
  const out = {} as Record<BundledProcess, string>;
  await Promise.all(
    (Object.keys(ENTRIES) as BundledProcess[]).map(async (name) => {
      const outfile = path.join(BUNDLE_DIR, `${name}.mjs`);
      const r = await build({
        absWorkingDir: ROOT,
        entryPoints: [ENTRIES[name]],
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        // npm packages are loaded from node_modules as usual; tsconfig's paths (@/…, @statescope/…) are bundled
        packages: "external",
        tsconfig: path.join(ROOT, "tsconfig.json"),
        outfile,
        logLevel: "silent",
        sourcemap: "linked",
        write: false,
      });
      // the map first: a process started from the new bundle finds its map
      for (const f of [...r.outputFiles].sort((a, b) => Number(b.path.endsWith(".map")) - Number(a.path.endsWith(".map")))) {
        if (fs.existsSync(f.path) && fs.readFileSync(f.path).equals(f.contents)) continue;
        const tmp = `${f.path}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, f.contents);
        fs.renameSync(tmp, f.path);
      }
      out[name] = outfile;
    }),
  );
  return out;
}
