import type { FileHandle } from "node:fs/promises";
import { AppError } from "@statescope/core";

/**
 * Just enough of the HDF5 file format (superblock + object headers) to tell
 * how a dataset stores its raw data. h5wasm exposes virtual sources but not
 * the External Data Files message, and both can make the library read other
 * files on the server, so we read the dataset's object header ourselves.
 * Spec: https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html
 */
export interface Superblock {
  /** Absolute offset of the superblock (0, 512, 1024, …). */
  superblockAt: number;
  sizeOfOffsets: number;
  sizeOfLengths: number;
  /** Absolute offset that stored addresses are relative to. */
  baseAddress: number;
}

export interface StorageInfo {
  /** Layout class: 0 compact, 1 contiguous, 2 chunked, 3 virtual; null if no layout message. */
  layoutClass: number | null;
  /** True when the header holds an External Data Files message (type 0x0007). */
  externalFiles: boolean;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const MSG_EXTERNAL_FILES = 0x0007;
const MSG_LAYOUT = 0x0008;
const MSG_CONTINUATION = 0x0010;
const MAX_CHUNKS = 4096;
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

function readUInt(buf: Buffer, pos: number, size: number): number {
  if (pos + size > buf.length) throw new RangeError("short read");
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + buf[pos + i]!;
  return v;
}

/** Finds and parses the superblock (searched at 0, 512, 1024, 2048, …). */
export async function readSuperblock(fh: FileHandle, label: string): Promise<Superblock> {
  const size = (await fh.stat()).size;
  for (let at = 0; at + 48 <= size; at = at === 0 ? 512 : at * 2) {
    const b = await readAt(fh, at, 48);
    if (b.length < 48 || SIGNATURE.some((x, i) => b[i] !== x)) continue;
    const version = b[8]!;
    let sizeOfOffsets: number;
    let sizeOfLengths: number;
    let base: number;
    if (version === 0 || version === 1) {
      sizeOfOffsets = b[13]!;
      sizeOfLengths = b[14]!;
      const baseAt = version === 0 ? 24 : 28;
      if (![2, 4, 8].includes(sizeOfOffsets) || ![2, 4, 8].includes(sizeOfLengths)) break;
      base = readUInt(b, baseAt, sizeOfOffsets);
    } else if (version === 2 || version === 3) {
      sizeOfOffsets = b[9]!;
      sizeOfLengths = b[10]!;
      if (![2, 4, 8].includes(sizeOfOffsets) || ![2, 4, 8].includes(sizeOfLengths)) break;
      base = readUInt(b, 12, sizeOfOffsets);
    } else {
      throw new AppError("BAD_INPUT", `${label}: unsupported HDF5 superblock version ${version}`);
    }
    // with a user block the library treats the superblock position as the base
    if (base === 0 && at > 0) base = at;
    return { superblockAt: at, sizeOfOffsets, sizeOfLengths, baseAddress: base };
  }
  throw new AppError("BAD_INPUT", `${label}: not an HDF5 file (no valid superblock)`);
}

/**
 * Reads the object header at `address` (as stored in an object reference,
 * i.e. relative to the base address) and reports its storage layout.
 * Throws BAD_INPUT when the header cannot be parsed: callers fail closed.
 */
export async function inspectObjectHeader(
  fh: FileHandle,
  sb: Superblock,
  address: number,
  label: string,
): Promise<StorageInfo> {
  const info: StorageInfo = { layoutClass: null, externalFiles: false };
  const fail = (why: string): never => {
    throw new AppError("BAD_INPUT", `${label}: cannot verify the dataset's storage (${why})`);
  };
  const fileSize = (await fh.stat()).size;
  const abs = (a: number) => sb.baseAddress + a;
  const onMessage = (type: number, body: Buffer) => {
    if (type === MSG_EXTERNAL_FILES) info.externalFiles = true;
    if (type === MSG_LAYOUT && body.length >= 2) {
      const v = body[0]!;
      if (v === 1 || v === 2) info.layoutClass = body.length >= 3 ? body[2]! : null;
      else if (v === 3 || v === 4 || v === 5) info.layoutClass = body[1]!;
      else fail(`unknown layout message version ${v}`);
    }
  };
  const first = await readAt(fh, abs(address), 16);
  if (first.length < 16) fail("object header past end of file");
  const queue: Array<{ at: number; len: number }> = [];
  const isV2 = first.toString("latin1", 0, 4) === "OHDR";
  let chunks = 0;
  const readChunk = async (at: number, len: number): Promise<Buffer> => {
    if (++chunks > MAX_CHUNKS) fail("too many header continuation blocks");
    if (len <= 0 || len > MAX_CHUNK_BYTES || at + len > fileSize) fail("header block outside the file");
    return readAt(fh, at, len);
  };
  const handleContinuation = (body: Buffer) => {
    if (body.length < sb.sizeOfOffsets + sb.sizeOfLengths) fail("short continuation message");
    queue.push({ at: abs(readUInt(body, 0, sb.sizeOfOffsets)), len: readUInt(body, sb.sizeOfOffsets, sb.sizeOfLengths) });
  };
  if (!isV2) {
    if (first[0] !== 1) fail(`unknown object header version ${first[0]}`);
    const size = first.readUInt32LE(8);
    queue.push({ at: abs(address) + 16, len: size });
    while (queue.length > 0) {
      const { at, len } = queue.shift()!;
      const buf = await readChunk(at, len);
      for (let p = 0; p + 8 <= buf.length; ) {
        const type = buf.readUInt16LE(p);
        const msize = buf.readUInt16LE(p + 2);
        const body = buf.subarray(p + 8, p + 8 + msize);
        if (body.length < msize) fail("message runs past its header block");
        if (type === MSG_CONTINUATION) handleContinuation(body);
        else onMessage(type, body);
        p += 8 + msize;
      }
    }
  } else {
    const head = await readAt(fh, abs(address), 32);
    const version = head[4];
    if (version !== 2) fail(`unknown object header version ${version}`);
    const flags = head[5]!;
    let p = 6;
    if (flags & 0x20) p += 16;
    if (flags & 0x10) p += 4;
    const sizeWidth = 1 << (flags & 3);
    const chunk0 = readUInt(head, p, sizeWidth);
    p += sizeWidth;
    const trackOrder = (flags & 0x04) !== 0;
    const msgHead = trackOrder ? 6 : 4;
    // chunk 0: messages from p to p + chunk0, then a 4-byte checksum
    queue.push({ at: abs(address) + p, len: chunk0 });
    let firstChunk = true;
    while (queue.length > 0) {
      const { at, len } = queue.shift()!;
      let buf: Buffer;
      if (firstChunk) {
        buf = await readChunk(at, len);
        firstChunk = false;
      } else {
        const whole = await readChunk(at, len);
        if (whole.toString("latin1", 0, 4) !== "OCHK") fail("continuation block without OCHK signature");
        buf = whole.subarray(4, Math.max(4, whole.length - 4));
      }
      for (let q = 0; q + msgHead <= buf.length; ) {
        const type = buf[q]!;
        const msize = buf.readUInt16LE(q + 1);
        const body = buf.subarray(q + msgHead, q + msgHead + msize);
        if (body.length < msize) fail("message runs past its header block");
        if (type === MSG_CONTINUATION) handleContinuation(body);
        else onMessage(type, body);
        q += msgHead + msize;
      }
    }
  }
  return info;
}
