/**
 * Bulk transfer through `COPY … (FORMAT binary)` (see ./DESIGN.md, "Bulk writes and reads").
 * Writes stream rows to Postgres without a statement per row and without waiting for each one
 * (the import reads and encodes its next slice while Postgres stores this one); reads receive
 * `bytea` as raw bytes (a normal query result carries it as hex text: twice the bytes, decoded
 * again by node-postgres). Both are node-postgres `Submittable`s on a checked-out connection.
 * Pure data access, like ./dataset-store.ts.
 */
import type pg from "pg";

/** The column types these streams encode (binary wire format). */
export type CopyType = "text" | "int4" | "bytea";
export type CopyValue = string | number | Uint8Array | null;

/** A pool (a connection is checked out for the COPY) or one checked-out connection. */
export type CopyTarget = pg.Pool | pg.PoolClient;

/** What node-postgres hands a Submittable: its connection (the parts used here). */
interface PgConnection {
  query(text: string): void;
  stream: NodeJS.WritableStream & { writableLength: number; cork(): void; uncork(): void };
  sendCopyFail(message: string): void;
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
/** Signature, flags (0: no OIDs), header extension length (0). */
const HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
const TRAILER = Buffer.from([0xff, 0xff]);
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]); // 'c'

/**
 * Bytes a {@link CopyIn} lets wait in the socket before `row` waits for Postgres. The kernel's
 * socket buffers hold tens of MB more (loopback TCP autotunes its receive buffer up to
 * tcp_rmem's max, 32 MB here), which already covers reading and encoding the next import slice
 * (~0.2 s); more would only let progress run ahead of what is stored (`end()` then waits for
 * the backlog: 11.6 s under load with 32 MB here).
 */
export const COPY_HIGH_WATER = 8 * 1024 * 1024;

/**
 * Makes Postgres store each row of a COPY as it arrives. Without it, a COPY into a plain table
 * collects rows into a multi-insert buffer flushed at 1,000 rows or 64 KB of input — but the byte
 * count reads the text format's line buffer, which the binary format never fills, so a binary
 * COPY of 2.6 MB state chunks held up to 1,000 of them (2.6 GB) in the server process and stored
 * them only at the end: the backend received for the whole import, then wrote for another 26 s
 * (measured, 1M × 650), and nothing overlapped the client's work. A WHERE clause with a volatile
 * function is one of the documented conditions under which COPY inserts row by row (the others —
 * a BEFORE trigger, a volatile column default — would change the table); for rows of megabytes the
 * multi-insert's saving (one WAL record for several small heap tuples) is nil: their TOAST chunks
 * are inserted one by one either way. `random() >= 0` holds for every row.
 */
export const ROW_AT_A_TIME = "where random() >= 0";

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function copyError(what: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  return new Error(`${what} failed: ${msg}`, { cause: e });
}

/**
 * One `COPY table (columns) FROM STDIN (FORMAT binary)` on a checked-out connection (which it
 * holds until `end()` or `abort()`). `row` queues a row and returns at once while less than
 * COPY_HIGH_WATER bytes wait in the socket, else when Postgres has taken them. Values are copied
 * when queued: the caller may reuse its buffers. Nothing is visible before `end()` resolves;
 * `abort()` (or any failure) sends CopyFail and nothing of the stream is stored.
 */
export class CopyIn implements pg.Submittable {
  private connection: PgConnection | null = null;
  private failure: Error | null = null;
  private started: Promise<void>;
  private settle!: { resolve(): void; reject(e: Error): void };
  private finished: Promise<void>;
  private finish!: { resolve(): void; reject(e: Error): void };
  private drainWait: { resolve(): void; reject(e: Error): void } | null = null;
  private state: "open" | "ending" | "done" = "open";
  readonly text: string;
  rows = 0;

  constructor(
    client: pg.PoolClient,
    readonly table: string,
    columns: readonly string[],
    private readonly types: readonly CopyType[],
  ) {
    if (columns.length !== types.length) throw new Error(`COPY ${table}: ${columns.length} columns, ${types.length} types`);
    // ROW_AT_A_TIME: Postgres stores each row as it arrives (see there).
    this.text = `copy ${quoteIdent(table)} (${columns.map(quoteIdent).join(", ")}) from stdin (format binary) ${ROW_AT_A_TIME}`;
    this.started = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.finished = new Promise((resolve, reject) => (this.finish = { resolve, reject }));
    // rejections are reported by row()/end(); never an unhandled one
    this.started.catch(() => undefined);
    this.finished.catch(() => undefined);
    client.query(this);
  }

  // ---- node-postgres Submittable ----
  submit(connection: unknown): void {
    this.connection = connection as PgConnection;
    this.connection.query(this.text);
  }
  handleCopyInResponse(): void {
    this.connection!.stream.write(this.frame([HEADER]));
    this.settle.resolve();
  }
  handleCopyData(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleReadyForQuery(): void {
    this.state = "done";
    if (this.failure) this.finish.reject(this.failure);
    else this.finish.resolve();
  }
  handleError(err: Error): void {
    this.failure ??= copyError(`COPY ${this.table}`, err);
    this.state = "done";
    this.settle.reject(this.failure);
    this.finish.reject(this.failure);
    this.drainWait?.reject(this.failure);
    this.drainWait = null;
  }
  /** node-postgres sets this for its query_timeout. */
  callback(): void {}

  /** One CopyData message around `parts`. */
  private frame(parts: Buffer[]): Buffer {
    let n = 0;
    for (const p of parts) n += p.length;
    const head = Buffer.allocUnsafe(5);
    head[0] = COPY_DATA;
    head.writeUInt32BE(n + 4, 1);
    return parts.length === 1 ? Buffer.concat([head, parts[0]!]) : Buffer.concat([head, ...parts], n + 5);
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.state !== "open") throw new Error(`COPY ${this.table} is already ended`);
  }

  /** Queues one row (values in column order); waits only while the socket holds COPY_HIGH_WATER bytes. */
  async row(values: readonly CopyValue[]): Promise<void> {
    this.check();
    await this.started;
    this.check();
    if (values.length !== this.types.length) throw new Error(`COPY ${this.table}: ${values.length} values for ${this.types.length} columns`);
    const parts: Buffer[] = [];
    const count = Buffer.allocUnsafe(2);
    count.writeInt16BE(values.length, 0);
    parts.push(count);
    values.forEach((v, i) => {
      const len = Buffer.allocUnsafe(4);
      parts.push(len);
      if (v === null) {
        len.writeInt32BE(-1, 0);
        return;
      }
      const type = this.types[i]!;
      if (type === "int4") {
        if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`COPY ${this.table}: column ${i} wants an integer, got ${String(v)}`);
        len.writeInt32BE(4, 0);
        const b = Buffer.allocUnsafe(4);
        b.writeInt32BE(v, 0);
        parts.push(b);
        return;
      }
      let bytes: Buffer;
      if (type === "text") bytes = Buffer.from(String(v), "utf8");
      else if (v instanceof Uint8Array) bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      else throw new TypeError(`COPY ${this.table}: column ${i} wants bytes`);
      len.writeInt32BE(bytes.length, 0);
      parts.push(bytes);
    });
    // one message per row, copied here (Buffer.concat): the caller may reuse its arrays
    const stream = this.connection!.stream;
    stream.write(this.frame(parts));
    this.rows++;
    if (stream.writableLength > COPY_HIGH_WATER) await this.drain();
  }

  private drain(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.drainWait = { resolve, reject };
      this.connection!.stream.once("drain", () => {
        this.drainWait = null;
        if (this.failure) reject(this.failure);
        else resolve();
      });
    });
  }

  /** Ends the stream; resolves (with the row count) when Postgres has stored every row. */
  async end(): Promise<number> {
    this.check();
    await this.started;
    this.check();
    this.state = "ending";
    const stream = this.connection!.stream;
    stream.write(this.frame([TRAILER]));
    stream.write(COPY_DONE);
    await this.finished;
    return this.rows;
  }

  /** Cancels the stream (CopyFail): nothing of it is stored; the connection can be used again. */
  async abort(reason = "cancelled"): Promise<void> {
    if (this.state !== "open") return;
    try {
      await this.started;
    } catch {
      return;
    }
    if (this.state !== "open") return;
    this.state = "ending";
    this.failure ??= new Error(`COPY ${this.table} was aborted: ${reason}`);
    this.connection!.sendCopyFail(reason);
    await this.finished.catch(() => undefined);
  }
}

/**
 * `COPY (query) TO STDOUT (FORMAT binary)`: hands each row to `visit` as its fields (null for
 * SQL NULL), each the field's binary form (`bytea`: the bytes; `int4`: see {@link int4}). The
 * buffers are views into node-postgres' receive buffer: `visit` must copy what it keeps before
 * it returns. COPY takes no bind parameters: `query` carries its values as literals (strings
 * through {@link literal}).
 */
export async function copyOut(target: CopyTarget, query: string, visit: (fields: (Buffer | null)[]) => void): Promise<number> {
  const owned = !("release" in target);
  const client = owned ? await (target as pg.Pool).connect() : (target as pg.PoolClient);
  try {
    return await new Promise<number>((resolve, reject) => {
      let rows = 0;
      let header = false;
      let ended = false;
      let failure: Error | null = null;
      const fail = (e: unknown) => (failure ??= copyError("COPY TO", e));
      const sub: pg.Submittable & Record<string, unknown> = {
        submit(connection: unknown) {
          (connection as PgConnection).query(`copy (${query}) to stdout (format binary)`);
        },
        handleCopyData(msg: { chunk: Buffer }) {
          if (failure) return;
          try {
            let b = msg.chunk;
            if (!header) {
              if (b.length < 19 || !b.subarray(0, 11).equals(SIGNATURE)) throw new Error("not the binary COPY format");
              b = b.subarray(19 + b.readUInt32BE(15));
              header = true;
              if (b.length === 0) return;
            }
            const count = b.readInt16BE(0);
            if (count === -1) {
              ended = true;
              return;
            }
            const fields: (Buffer | null)[] = [];
            for (let i = 0, o = 2; i < count; i++) {
              const len = b.readInt32BE(o);
              o += 4;
              fields.push(len < 0 ? null : b.subarray(o, o + len));
              if (len > 0) o += len;
            }
            rows++;
            visit(fields);
          } catch (e) {
            fail(e);
          }
        },
        handleCommandComplete() {},
        handleEmptyQuery() {},
        handleCopyInResponse(connection: unknown) {
          (connection as PgConnection).sendCopyFail("not a COPY FROM");
        },
        handleReadyForQuery() {
          if (failure) reject(failure);
          else if (!ended) reject(new Error("COPY TO: the stream ended without its trailer"));
          else resolve(rows);
        },
        handleError(err: Error) {
          reject(failure ?? copyError("COPY TO", err));
        },
        callback() {},
      };
      client.query(sub);
    });
  } finally {
    // every outcome above ends with the server's ReadyForQuery: the connection is reusable
    if (owned) client.release();
  }
}

/** An `int4` field of {@link copyOut}. */
export function int4(b: Buffer | null): number {
  if (!b || b.length !== 4) throw new Error(`expected a 4-byte int4 field, got ${b ? `${b.length} bytes` : "null"}`);
  return b.readInt32BE(0);
}

/** A string as an SQL literal for {@link copyOut} queries (standard_conforming_strings is on from Postgres 9.1). */
export function literal(s: string): string {
  if (s.includes("\0")) throw new Error("an SQL literal cannot hold a NUL character");
  return `'${s.replace(/'/g, "''")}'`;
}
