/**
 * The production build of the web app (`next build`), made when there is none or the sources
 * changed since the last one: `npm start` (launch.ts) and the benchmarks that run the web server
 * (tests/bench/classroom-bench.ts, also for another checkout's tree) share this.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { runStep } from "./processes";

/** A fingerprint of everything in the checkout at `root` that goes into its Next build. */
export function sourceFingerprint(root: string): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name === "node_modules" || e.name.startsWith(".") || e.name === "generated") continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(tsx?|css|json|js|cjs|mjs|prisma|svg|png|webp|ico)$/.test(e.name)) {
        const st = fs.statSync(p);
        h.update(`${path.relative(root, p)}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  for (const d of ["app", "server", "packages", "prisma"]) walk(path.join(root, d));
  for (const f of ["next.config.js", "proxy.ts", "package-lock.json", "tsconfig.json", "package.json"]) {
    const p = path.join(root, f);
    if (fs.existsSync(p)) h.update(`${f}:${fs.statSync(p).size}:${fs.statSync(p).mtimeMs}\n`);
  }
  return h.digest("hex");
}

/** Builds the web app of the checkout at `root` unless its build is current (NODE_ENV=production). */
export async function ensureNextBuild(root: string, log: (l: string) => void, sink?: NodeJS.WritableStream): Promise<void> {
  const stamp = path.join(root, ".next", "statescope-build-fingerprint");
  const fp = sourceFingerprint(root);
  const current = fs.existsSync(path.join(root, ".next", "BUILD_ID")) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === fp;
  if (current) return;
  log(`building the web app of ${root} for production (first start or sources changed; about a minute)…`);
  const nextCli = path.join(root, "node_modules", "next", "dist", "bin", "next");
  await runStep("build", process.execPath, [nextCli, "build"], { cwd: root, env: { ...process.env, NODE_ENV: "production" } }, sink);
  fs.writeFileSync(stamp, fp);
}
