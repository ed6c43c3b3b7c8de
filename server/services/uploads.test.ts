import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { archiveExtension, limitStream, receiveUpload } from "./uploads";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uploads-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function streamOf(chunks: number[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(new Uint8Array(chunks[i++]!).fill(7));
      else c.close();
    },
  });
}

describe("receiveUpload", () => {
  it("stores an accepted archive", async () => {
    const r = await receiveUpload(streamOf([10, 20]), { dir, maxBytes: 100, fileName: "proj.tar.gz" });
    expect(r.bytes).toBe(30);
    expect(fs.statSync(r.path).size).toBe(30);
    expect(r.path.endsWith(".tar.gz")).toBe(true);
  });

  it("cuts off an upload over the limit while streaming and leaves no file", async () => {
    const before = fs.readdirSync(dir).length;
    const e = await receiveUpload(streamOf([60, 60, 60]), { dir, maxBytes: 100, fileName: "big.zip" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe("TOO_LARGE");
    expect((e as AppError).message).toMatch(/"big.zip" is larger than the upload limit of 100 bytes/);
    expect(fs.readdirSync(dir).length).toBe(before);
  });

  it("cuts off a large upload arriving over HTTP without an unhandled stream error (a file write was still in flight)", async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on("uncaughtException", onError);
    const server = http.createServer(async (req, res) => {
      const body = new Request("http://upload.test", { method: "POST", body: req as unknown as BodyInit, duplex: "half" } as RequestInit).body;
      const e = await receiveUpload(body, { dir, maxBytes: 4 * 1024 * 1024, fileName: "huge.zip" }).catch((x: unknown) => x);
      res.setHeader("connection", "close");
      res.end(e instanceof AppError ? e.code : "stored");
    });
    try {
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const { port } = server.address() as AddressInfo;
      for (let i = 0; i < 3; i++) {
        let sent = 0;
        const chunk = new Uint8Array(64 * 1024).fill(7);
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (sent >= 64 * 1024 * 1024) return c.close();
            sent += chunk.byteLength;
            c.enqueue(chunk);
          },
        });
        const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body, duplex: "half" } as RequestInit);
        expect(await res.text()).toBe("TOO_LARGE");
        expect(sent).toBeLessThan(64 * 1024 * 1024);
      }
      await new Promise((r) => setTimeout(r, 300)); // in-flight writes complete (or fail) by now
      expect(errors).toEqual([]);
      expect(fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).size > 1024 * 1024)).toEqual([]); // no partial file left
    } finally {
      process.off("uncaughtException", onError);
      server.close();
    }
  });

  it("refuses a declared size over the limit before reading, and unknown file types", async () => {
    await expect(receiveUpload(streamOf([1]), { dir, maxBytes: 100, fileName: "a.zip", declaredBytes: 5000 })).rejects.toThrow(/4.9 KiB; uploads are limited/);
    expect(() => archiveExtension("states.h5")).toThrow(/not an accepted archive/);
    await expect(receiveUpload(streamOf([]), { dir, maxBytes: 100, fileName: "empty.zip" })).rejects.toThrow(/is empty/);
  });
});

describe("limitStream", () => {
  it("stops reading an endless body at the limit, without cancelling the source", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1000));
      },
      cancel() {
        cancelled = true;
      },
    });
    const tooLarge = new AppError("TOO_LARGE", "over 5000");
    await expect(new Response(limitStream(endless, { maxBytes: 5000, tooLarge: () => tooLarge })).text()).rejects.toBe(tooLarge);
    expect(pulled).toBeLessThan(10); // the source was asked for a few chunks, not for ever
    expect(cancelled).toBe(false); // cancelling a request's body would destroy its socket before the answer
  });

  it("passes a body within the limit through and says when it ended; refuses a declared length at once", async () => {
    let ended = false;
    const text = await new Response(limitStream(streamOf([10, 20]), { maxBytes: 30, tooLarge: () => new Error("no"), onEnd: () => (ended = true) })).arrayBuffer();
    expect(text.byteLength).toBe(30);
    expect(ended).toBe(true);
    let pulled = false;
    const src = new ReadableStream<Uint8Array>({ pull: () => void (pulled = true) }, { highWaterMark: 0 });
    await expect(new Response(limitStream(src, { maxBytes: 30, tooLarge: () => new Error("declared 31"), declaredBytes: 31 })).text()).rejects.toThrow("declared 31");
    expect(pulled).toBe(false);
  });
});
