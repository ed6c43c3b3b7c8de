import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { lingerOnClose } from "./linger";

const MiB = 1024 * 1024;

/** A request body of `total` bytes produced on demand; `sent()` says how much the client produced. */
function streamedBody(total: number) {
  const filler = new Uint8Array(256 * 1024).fill(120);
  let produced = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (produced >= total) return c.close();
      produced += filler.byteLength;
      c.enqueue(filler);
    },
  });
  return { body, sent: () => produced };
}

let server: http.Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = null;
});

/** A server that refuses a body once it passed 64 KiB, as the body limits do: 413, `Connection: close`, the rest unread. */
async function refusingServer(linger: boolean): Promise<string> {
  server = http.createServer((req, res) => {
    let read = 0;
    const onData = (chunk: Buffer) => {
      read += chunk.byteLength;
      if (read <= 64 * 1024) return;
      req.off("data", onData);
      req.pause();
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: { code: "TOO_LARGE", message: "the request body is larger than 64 KiB" } }));
    };
    req.on("data", onData);
  });
  if (linger) server.on("connection", (s) => lingerOnClose(s));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function offer(url: string): Promise<{ status: number | string; sent: number }> {
  const b = streamedBody(200 * MiB);
  try {
    const r = await fetch(url, { method: "POST", body: b.body, duplex: "half" } as RequestInit);
    await r.json();
    return { status: r.status, sent: b.sent() };
  } catch (e) {
    return { status: String((e as { cause?: { code?: string } }).cause?.code ?? e), sent: b.sent() };
  }
}

describe("lingering close after an early answer", () => {
  it("a client streaming a body past the limit reads the 413 every time, and cannot stream the rest", async () => {
    const url = await refusingServer(true);
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await offer(url));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 413));
    for (const a of answers) expect(a.sent).toBeLessThan(20 * MiB);
  }, 120_000);
});
