import { readFileSync } from "node:fs";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LISTEN_BACKLOG, listenFor } from "./listen";

/** The kernel's cap on any listen backlog (older kernels: 128, current: 4096). */
const somaxconn = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));
  } catch {
    return 0;
  }
})();

const CLASS = 1200;

describe("listenFor", () => {
  const open: net.Socket[] = [];
  let server: net.Server | null = null;
  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  });

  it("resolves with the port it was given or picked, and rejects when the port is taken", async () => {
    server = net.createServer();
    const port = await listenFor(server, 0, "127.0.0.1");
    expect(port).toBeGreaterThan(0);
    const second = net.createServer();
    await expect(listenFor(second, port, "127.0.0.1")).rejects.toThrow(/EADDRINUSE/);
  });

  // A class connecting at once while the server's loop is busy: with Node's default backlog (511)
  // the kernel dropped the handshakes past it, and those clients came back only after their SYN
  // timeout (1 s); with LISTEN_BACKLOG every one is waiting when the loop is free again.
  it.skipIf(somaxconn < CLASS)(`holds ${CLASS} connections made while the event loop is busy, none retried after a SYN timeout`, async () => {
    expect(LISTEN_BACKLOG).toBeGreaterThanOrEqual(CLASS);
    server = net.createServer();
    let accepted = 0;
    server.on("connection", (s) => {
      accepted++;
      open.push(s);
    });
    const port = await listenFor(server, 0, "127.0.0.1");
    for (let i = 0; i < CLASS; i++) {
      const s = net.connect(port, "127.0.0.1");
      s.on("error", () => undefined);
      open.push(s);
    }
    // the connects are issued on the next tick; then the loop is busy while the kernel completes them
    await new Promise((r) => process.nextTick(r));
    const t0 = performance.now();
    while (performance.now() < t0 + 200);
    // all accepted before the 1 s a dropped handshake waits for its first retry (from t0; some slack for a loaded machine)
    while (accepted < CLASS && performance.now() - t0 < 900) await new Promise((r) => setTimeout(r, 10));
    expect(accepted).toBe(CLASS);
  });
});
