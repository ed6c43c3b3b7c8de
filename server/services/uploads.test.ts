import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { archiveExtension, receiveUpload } from "./uploads";

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

  it("refuses a declared size over the limit before reading, and unknown file types", async () => {
    await expect(receiveUpload(streamOf([1]), { dir, maxBytes: 100, fileName: "a.zip", declaredBytes: 5000 })).rejects.toThrow(/4.9 KiB; uploads are limited/);
    expect(() => archiveExtension("states.h5")).toThrow(/not an accepted archive/);
    await expect(receiveUpload(streamOf([]), { dir, maxBytes: 100, fileName: "empty.zip" })).rejects.toThrow(/is empty/);
  });
});
