import { mkdtemp, readFile, rm, writeFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTar, makeZip } from "../../../../tests/fixtures/formats/archives";
import { extractArchive, locateProjectRoot } from "./archive";

let base: string;
let n = 0;
async function file(name: string, data: Buffer): Promise<string> {
  const p = join(base, `${n++}-${name}`);
  await writeFile(p, data);
  return p;
}
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "archive-test-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const project = [
  { name: "proj/" },
  { name: "proj/lstm.yml", data: "name: x\n" },
  { name: "proj/words.dict", data: "a 1\n".repeat(200) },
  { name: "proj/sub/deep.txt", data: "deep" },
];

describe("extractArchive", () => {
  it.each([
    ["zip", () => makeZip(project)],
    ["tar.gz", () => makeTar([{ name: "proj/", type: "5" }, ...project.slice(1)])],
    ["tar", () => makeTar([{ name: "proj/", type: "5" }, ...project.slice(1)], false)],
  ])("extracts a %s and locates the project root", async (kind, make) => {
    const p = await file(`a.${kind}`, make());
    const res = await extractArchive(p);
    expect(res.kind).toBe(kind);
    expect(res.entries).toBe(4);
    expect(await readFile(join(res.dir, "proj/sub/deep.txt"), "utf8")).toBe("deep");
    expect(await locateProjectRoot(res.dir)).toEqual({ root: join(res.dir, "proj"), format: "lstmvis" });
    await res.cleanup();
    await expect(stat(res.dir)).rejects.toThrow();
  });

  it("handles GNU long names in tar", async () => {
    const long = "d/" + "x".repeat(150) + ".txt";
    const res = await extractArchive(await file("long.tgz", makeTar([{ name: long, data: "hi" }])));
    expect(await readFile(join(res.dir, long), "utf8")).toBe("hi");
    await res.cleanup();
  });

  it.each([
    ["zip ..", () => makeZip([{ name: "../evil.txt", data: "x" }]), 'entry "../evil.txt" escapes the archive (path traversal with ..)'],
    ["zip abs", () => makeZip([{ name: "/etc/evil", data: "x" }]), 'entry "/etc/evil" has an absolute path'],
    ["zip backslash", () => makeZip([{ name: "a\\..\\..\\evil", data: "x" }]), "path traversal"],
    ["zip symlink", () => makeZip([{ name: "link", data: "/etc/passwd", mode: 0o120777 }]), 'entry "link" is a symbolic link; links are not allowed'],
    ["tar ..", () => makeTar([{ name: "a/../../evil", data: "x" }]), "path traversal"],
    ["tar symlink", () => makeTar([{ name: "link", type: "2", linkname: "/etc/passwd" }]), 'entry "link" is a symbolic link'],
    ["tar hardlink", () => makeTar([{ name: "link", type: "1", linkname: "/etc/passwd" }]), 'entry "link" is a hard link'],
    ["tar fifo", () => makeTar([{ name: "f", type: "6" }]), 'entry "f" has unsupported type "6"'],
    ["zip duplicate", () => makeZip([{ name: "a", data: "1" }, { name: "./a", data: "2" }]), 'entry "./a" appears twice'],
  ])("rejects %s", async (_, make, msg) => {
    const p = await file("bad", make());
    await expect(extractArchive(p)).rejects.toThrow(msg);
  });

  it("rejects too many entries", async () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, data: "x" }));
    await expect(extractArchive(await file("many.zip", makeZip(entries)), { limits: { maxEntries: 20 } })).rejects.toThrow(
      "30 entries is more than the limit of 20",
    );
    await expect(extractArchive(await file("many.tgz", makeTar(entries)), { limits: { maxEntries: 20 } })).rejects.toThrow(
      'more than 20 entries (at "f20")',
    );
  });

  it("rejects zip bombs by declared and by actual size, and cleans up", async () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    const limits = { maxRatio: 50, ratioFloorBytes: 1024 };
    await expect(extractArchive(await file("bomb.zip", makeZip([{ name: "z", data: zeros }])), { limits })).rejects.toThrow(
      /expands more than 50x its size \(a zip bomb\?\)/,
    );
    // headers lie (claim 10 bytes): caught while inflating
    const dest = join(base, "liar-out");
    await expect(
      extractArchive(await file("liar.zip", makeZip([{ name: "z", data: zeros, declaredSize: 10 }])), { limits, dest }),
    ).rejects.toThrow(/"z" is larger than its declared size/);
    await expect(stat(dest)).rejects.toThrow();
    await expect(extractArchive(await file("bomb.tgz", makeTar([{ name: "z", data: zeros }])), { limits })).rejects.toThrow(/expands/);
  });

  it("rejects corrupt and unknown archives", async () => {
    const zip = makeZip(project);
    await expect(extractArchive(await file("trunc.zip", zip.subarray(0, zip.length - 30)))).rejects.toThrow(/corrupt zip archive/);
    const tgz = makeTar(project.slice(1));
    await expect(extractArchive(await file("trunc.tgz", tgz.subarray(0, tgz.length - 40)))).rejects.toThrow(/trunc.tgz: corrupt tar.gz archive|truncated/);
    await expect(extractArchive(await file("x.rar", Buffer.from("Rar!....")))).rejects.toThrow("not a .zip, .tar.gz or .tar archive");
  });
});

describe("locateProjectRoot", () => {
  it("finds a NumPy folder and refuses ambiguous or empty archives", async () => {
    const res = await extractArchive(await file("np.zip", makeZip([{ name: "data/tokens.txt", data: "a\nb\n" }, { name: "__MACOSX/x/lstm.yml", data: "" }])));
    expect(await locateProjectRoot(res.dir)).toEqual({ root: join(res.dir, "data"), format: "numpy" });
    await res.cleanup();
    const two = await extractArchive(await file("two.zip", makeZip([{ name: "a/lstm.yml", data: "" }, { name: "b/lstm.yml", data: "" }])));
    await expect(locateProjectRoot(two.dir)).rejects.toThrow('the archive holds several projects (lstm.yml in "a", "b"); upload one');
    await two.cleanup();
    const none = await extractArchive(await file("none.zip", makeZip([{ name: "readme.md", data: "hi" }])));
    await expect(locateProjectRoot(none.dir)).rejects.toThrow("no project found");
    await none.cleanup();
  });
});
