import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binariesIn, canRun, isRoot, packagedBinaries, postgresUser, runnableBinaries, type PgBinaries, type RunAs } from "./pg-binaries";
import { PgCluster } from "./pg-cluster";

// What happens to `npm start` as root in a checkout under a private folder (e.g. /root, mode 700):
// PostgreSQL runs as the postgres user, which cannot reach node_modules there.
describe.skipIf(!isRoot() || process.platform !== "linux")("embedded PostgreSQL binaries as root", () => {
  let tmp: string;
  let hidden: PgBinaries;
  let runAs: RunAs;
  beforeAll(async () => {
    runAs = postgresUser();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgbin-test-"));
    fs.chmodSync(tmp, 0o755);
    // A real copy of the packaged binaries inside a mode-700 folder, like a clone under /root.
    const real = await packagedBinaries();
    const home = path.join(tmp, "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.cpSync(real.root, path.join(home, "app", "native"), { recursive: true, verbatimSymlinks: true });
    hidden = binariesIn(path.join(home, "app", "native"), `${real.version}-test${process.pid}`);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("runs them from a copy in a reachable folder, made once, and PostgreSQL starts from it", { timeout: 120_000 }, async () => {
    const denied = canRun(hidden, runAs);
    expect(denied).toEqual({ ok: false, reason: "EACCES" });
    const shared = path.join(tmp, "shared");
    fs.mkdirSync(shared, { mode: 0o755 });
    const lines: string[] = [];
    const bins = runnableBinaries(hidden, { runAs, copyParents: [shared], log: (l) => lines.push(l) });
    expect(bins.root.startsWith(shared + path.sep)).toBe(true);
    expect(bins.root).toContain(hidden.version);
    expect(canRun(bins, runAs)).toEqual({ ok: true });
    expect(lines.join("\n")).toMatch(/cannot reach .*running PostgreSQL .* from /);
    // no scratch copies left behind
    expect(fs.readdirSync(shared)).toEqual([path.basename(bins.root)]);

    // made once: a second start reuses it
    const inode = fs.statSync(bins.postgres).ino;
    expect(runnableBinaries(hidden, { runAs, copyParents: [shared] }).root).toBe(bins.root);
    expect(fs.statSync(bins.postgres).ino).toBe(inode);

    // and a real cluster runs from it, as the postgres user
    const dir = path.join(tmp, "cluster");
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const started = new PgCluster({ bins, dir, port, user: "postgres", password: "pw", runAs });
    await started.initialise();
    await started.start();
    try {
      const c = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password: "pw", database: "postgres" });
      await c.connect();
      expect((await c.query<{ u: string }>("select current_user as u")).rows[0]!.u).toBe("postgres");
      await c.end();
    } finally {
      await started.stop();
    }
  });

  it("refuses a copy it did not make (e.g. planted in a shared temp dir)", () => {
    const shared = path.join(tmp, "planted");
    fs.mkdirSync(shared, { mode: 0o755 });
    const planted = path.join(shared, `statescope-postgres-${hidden.version}-${process.platform}-${process.arch}`);
    fs.mkdirSync(planted, { mode: 0o777 });
    fs.chmodSync(planted, 0o777);
    expect(() => runnableBinaries(hidden, { runAs, copyParents: [shared] })).toThrow(/not made by this user or is incomplete/);
  });

  it("stops with a message naming the fixes when no reachable folder works", () => {
    const privateDir = path.join(tmp, "home", "tmp");
    fs.mkdirSync(privateDir, { mode: 0o755 });
    let message = "";
    try {
      runnableBinaries(hidden, { runAs, copyParents: [privateDir] });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/cannot start: running as root, PostgreSQL must run as the "postgres" user/);
    expect(message).toContain(hidden.root);
    expect(message).toContain("EACCES");
    expect(message).toMatch(/set DATABASE_URL/);
    expect(message).toMatch(/move the checkout/);
    expect(message).toMatch(/chmod o\+x/);
  });
});
