/**
 * The binary COPY streams on a real Postgres: what goes in comes out byte for byte (text, int4,
 * bytea, NULL; rows larger than a socket read), a row is queued without waiting for Postgres,
 * an aborted or failed COPY stores nothing and leaves the connection usable.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { pgPool } from "../db/client";
import { copyOut, CopyIn, int4, literal } from "./pg-copy";

let t: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  t = await freshDatabase();
  pool = pgPool(t.db);
  await pool.query(`create table copy_t (id text not null, n int not null, b bytea, primary key (id, n))`);
  await pool.query(`create table copy_parent (id text primary key)`);
  await pool.query(`create table copy_child (pid text not null references copy_parent (id), n int not null)`);
});

afterAll(async () => {
  await t?.drop();
});

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

async function readAll(where: string): Promise<Array<{ id: string; n: number; b: Buffer | null }>> {
  const rows: Array<{ id: string; n: number; b: Buffer | null }> = [];
  await copyOut(pool, `select id, n, b from copy_t where ${where} order by n`, ([id, n, b]) => rows.push({ id: id!.toString("utf8"), n: int4(n!), b: b ? Buffer.from(b) : null }));
  return rows;
}

describe("COPY (FORMAT binary) streams", () => {
  it("round-trips text, int4, bytea and NULL, rows of several MB included", async () => {
    const c = await pool.connect();
    const big = bytes(3 * 1024 * 1024 + 5, 1);
    const id = "ä'x\"y";
    try {
      const copy = new CopyIn(c, "copy_t", ["id", "n", "b"], ["text", "int4", "bytea"]);
      await copy.row([id, -5, big]);
      await copy.row([id, 0, null]);
      await copy.row([id, 7, new Uint8Array(0)]);
      await copy.row([id, 2147483647, bytes(70_000, 2).subarray(1000)]);
      expect(await copy.end()).toBe(4);
      // the connection is free again
      expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
    } finally {
      c.release();
    }
    const rows = await readAll(`id = ${literal(id)}`);
    expect(rows.map((r) => r.n)).toEqual([-5, 0, 7, 2147483647]);
    expect(rows.every((r) => r.id === id)).toBe(true);
    expect(Buffer.compare(rows[0]!.b!, Buffer.from(big))).toBe(0);
    expect(rows[1]!.b).toBeNull();
    expect(rows[2]!.b!.length).toBe(0);
    expect(Buffer.compare(rows[3]!.b!, Buffer.from(bytes(70_000, 2).subarray(1000)))).toBe(0);
    // what a plain query sees is the same
    const plain = await pool.query<{ b: Buffer }>(`select b from copy_t where id = $1 and n = -5`, [id]);
    expect(Buffer.compare(plain.rows[0]!.b, Buffer.from(big))).toBe(0);
  });

  it("copies a queued row, so the caller may reuse its buffer at once", async () => {
    const c = await pool.connect();
    try {
      const copy = new CopyIn(c, "copy_t", ["id", "n", "b"], ["text", "int4", "bytea"]);
      const buf = new Uint8Array(1024);
      for (let i = 0; i < 20; i++) {
        buf.fill(i);
        await copy.row(["reuse", i, buf]);
      }
      await copy.end();
    } finally {
      c.release();
    }
    const rows = await readAll(`id = 'reuse'`);
    expect(rows).toHaveLength(20);
    rows.forEach((r, i) => expect(r.b!.every((x) => x === i)).toBe(true));
  });

  it("Postgres stores each row as it arrives instead of holding the stream in memory until the end", async () => {
    // A binary COPY's multi-insert buffer counts rows, not bytes (its byte limit reads the text
    // format's line buffer, empty in binary): 1,000 rows of 2.6 MB were held in the server process,
    // 2.6 GB, and stored only at end(), so nothing overlapped the client's work.
    const c = await pool.connect();
    const watch = await pool.connect();
    const rows = 24;
    try {
      const copy = new CopyIn(c, "copy_t", ["id", "n", "b"], ["text", "int4", "bytea"]);
      for (let i = 0; i < rows; i++) await copy.row(["streamed", i, bytes(256 * 1024, i)]);
      let stored = 0;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && stored < rows; ) {
        await new Promise((r) => setTimeout(r, 50));
        const p = await watch.query<{ n: string }>("select tuples_processed::text as n from pg_stat_progress_copy where pid = $1", [(c as unknown as { processID: number }).processID]);
        stored = Number(p.rows[0]?.n ?? 0);
      }
      // every row sent is stored before the stream ends
      expect(stored).toBe(rows);
      expect(await copy.end()).toBe(rows);
    } finally {
      c.release();
      watch.release();
    }
    expect(await readAll(`id = 'streamed'`)).toHaveLength(rows);
  });

  it("stores nothing of an aborted COPY and leaves the connection usable", async () => {
    const c = await pool.connect();
    try {
      const copy = new CopyIn(c, "copy_t", ["id", "n", "b"], ["text", "int4", "bytea"]);
      await copy.row(["aborted", 1, bytes(10, 3)]);
      await copy.row(["aborted", 2, bytes(10, 4)]);
      await copy.abort("the import was cancelled");
      await expect(copy.row(["aborted", 3, null])).rejects.toThrow(/aborted/);
      expect((await c.query("select 2 as two")).rows[0].two).toBe(2);
    } finally {
      c.release();
    }
    expect(await readAll(`id = 'aborted'`)).toEqual([]);
  });

  it("reports a row Postgres refuses (foreign key) from end(), stores nothing, and the connection still works", async () => {
    await pool.query(`insert into copy_parent values ('p1')`);
    const c = await pool.connect();
    try {
      const copy = new CopyIn(c, "copy_child", ["pid", "n"], ["text", "int4"]);
      await copy.row(["p1", 1]);
      await copy.row(["nope", 2]);
      await expect(copy.end()).rejects.toThrow(/COPY copy_child failed: .*foreign key/);
      expect((await c.query("select 3 as three")).rows[0].three).toBe(3);
    } finally {
      c.release();
    }
    expect((await pool.query(`select count(*)::int as n from copy_child`)).rows[0].n).toBe(0);
  });

  it("refuses a value of the wrong type before sending it", async () => {
    const c = await pool.connect();
    try {
      const copy = new CopyIn(c, "copy_t", ["id", "n", "b"], ["text", "int4", "bytea"]);
      await expect(copy.row(["x", 1.5, null])).rejects.toThrow(/wants an integer/);
      await copy.abort();
    } finally {
      c.release();
    }
  });

  it("copyOut reports a bad query as the server's error and keeps the pool usable", async () => {
    await expect(copyOut(pool, `select no_such_column from copy_t`, () => undefined)).rejects.toThrow(/no_such_column/);
    expect((await pool.query("select 4 as four")).rows[0].four).toBe(4);
  });
});
