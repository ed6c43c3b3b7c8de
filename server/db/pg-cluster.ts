/**
 * One PostgreSQL cluster run from the embedded binaries: `initdb` once, then a `postgres`
 * server process that this object owns (as the `postgres` user when we are root). It knows when
 * the server exits, so its owner can start it again on the same port and data dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { PgBinaries, RunAs } from "./pg-binaries";

export interface PgClusterOptions {
  bins: PgBinaries;
  dir: string;
  port: number;
  user: string;
  password: string;
  /** Server settings given on the command line (`-c name=value`): they win over postgresql.conf. */
  settings?: Readonly<Record<string, string>>;
  /** Run initdb/postgres as this user (root must); undefined: as ourselves. */
  runAs?: RunAs;
  log?: (line: string) => void;
}

/** The server's last stderr lines, for an error message when it fails to start. */
class Tail {
  private lines: string[] = [];
  push(chunk: string) {
    for (const l of chunk.split("\n")) if (l.trim()) this.lines.push(l.trim());
    if (this.lines.length > 20) this.lines.splice(0, this.lines.length - 20);
  }
  last(n: number) {
    return this.lines.slice(-n).join(" | ");
  }
  toString() {
    return this.last(6);
  }
}

function run(cmd: string, args: string[], who: RunAs | undefined, tail: Tail): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...(who ? { uid: who.uid, gid: who.gid } : {}), env: { ...process.env, LC_MESSAGES: "C" }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => tail.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => tail.push(d.toString()));
    child.once("error", reject);
    child.once("close", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} failed (${code ?? signal}): ${tail.toString()}`)),
    );
  });
}

/** Does a server answer a query with these settings? */
export async function canConnect(config: pg.ClientConfig): Promise<boolean> {
  const c = new pg.Client(config);
  c.on("error", () => undefined);
  try {
    await c.connect();
    await c.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export class PgCluster {
  private child: ChildProcess | undefined;
  private exitedP: Promise<string> | undefined;

  constructor(private readonly o: PgClusterOptions) {}

  get initialised(): boolean {
    return fs.existsSync(path.join(this.o.dir, "PG_VERSION"));
  }

  /** The running postmaster's process id. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Resolves (with a description) when the running server exits, for whatever reason. */
  get exited(): Promise<string> {
    return this.exitedP ?? Promise.resolve("not started");
  }

  async initialise(): Promise<void> {
    const { dir, runAs } = this.o;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
    // The password file must be readable by the server's user and nobody else.
    const pwfile = path.join(os.tmpdir(), `statescope-pw-${randomBytes(6).toString("hex")}`);
    fs.writeFileSync(pwfile, this.o.password + "\n", { mode: 0o600 });
    if (runAs) fs.chownSync(pwfile, runAs.uid, runAs.gid);
    try {
      await run(
        this.o.bins.initdb,
        [
          `--pgdata=${dir}`,
          "--auth=password",
          `--username=${this.o.user}`,
          `--pwfile=${pwfile}`,
          "--encoding=UTF8",
          "--locale=C",
          "--locale-provider=builtin",
          "--builtin-locale=C.UTF-8",
          "--lc-messages=C",
        ],
        runAs,
        new Tail(),
      );
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  }

  /**
   * A server of this data dir left running by an owner that died (kill -9) holds its
   * postmaster.pid and would keep a new one from starting: ask it to stop (fast shutdown) first.
   */
  private async stopOrphan(): Promise<void> {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(path.join(this.o.dir, "postmaster.pid"), "utf8").split("\n")[0]);
    } catch {
      return;
    }
    const isOurs = () => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(this.o.dir);
      } catch {
        return false;
      }
    };
    if (!Number.isInteger(pid) || pid <= 0 || !isOurs()) return;
    this.o.log?.(`stopping the PostgreSQL server (process ${pid}) left running in ${this.o.dir}`);
    process.kill(pid, "SIGINT");
    for (let i = 0; i < 150 && isOurs(); i++) await new Promise((r) => setTimeout(r, 100));
  }

  /** Start the server and wait until it accepts connections. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.pid) return;
    await this.stopOrphan();
    const tail = new Tail();
    const settings = Object.entries(this.o.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
    const child = spawn(this.o.bins.postgres, ["-D", this.o.dir, "-p", String(this.o.port), ...settings], {
      ...(this.o.runAs ? { uid: this.o.runAs.uid, gid: this.o.runAs.gid } : {}),
      env: { ...process.env, LC_MESSAGES: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    // Whatever way this process exits, the server must not outlive it (a later start would find
    // its data dir in use); SIGINT asks for a fast shutdown, which the server completes alone.
    const onExit = () => child.kill("SIGINT");
    process.on("exit", onExit);
    // Always drain its output: a full pipe would block the server.
    child.stdout.on("data", (d: Buffer) => tail.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => tail.push(d.toString()));
    this.exitedP = new Promise<string>((resolve) => {
      child.once("error", (e) => resolve(`could not run ${this.o.bins.postgres}: ${e.message}`));
      child.once("exit", (code, signal) => {
        process.off("exit", onExit);
        // a crash's reason is in its last lines; a kill's is the signal
        resolve(signal ? `killed by ${signal}` : `exited with code ${code}${tail.toString() ? `: ${tail.last(2)}` : ""}`);
      });
    });
    const deadline = Date.now() + timeoutMs;
    let gone: string | undefined;
    void this.exitedP.then((why) => (gone = why));
    for (;;) {
      if (gone !== undefined) throw new Error(`postgres exited while starting (${gone})`);
      if (await this.accepting()) return;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`postgres did not accept connections within ${timeoutMs / 1000} s (${tail})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private accepting(): Promise<boolean> {
    return canConnect({ host: "127.0.0.1", port: this.o.port, user: this.o.user, password: this.o.password, database: "postgres", connectionTimeoutMillis: 1000 });
  }

  /** Fast shutdown (SIGINT: roll back open transactions, checkpoint); SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = this.exited;
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
