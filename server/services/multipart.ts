/**
 * A streamed reader of a `multipart/form-data` body with one file: small text fields before it
 * are collected (bounded), the file part is handed on as a stream that ends at its boundary, so a
 * multi-GB file never sits in memory. What follows the file is not read (the file goes last).
 */
import { AppError } from "@statescope/core";

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_FIELDS_BYTES = 64 * 1024;

export interface MultipartFile {
  fields: Record<string, string>;
  fileName: string;
  stream: ReadableStream<Uint8Array>;
}

export function multipartBoundary(contentType: string | null): string {
  const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? "");
  if (!m) throw new AppError("BAD_INPUT", "expected a multipart/form-data body with a `file` field (Content-Type: multipart/form-data; boundary=…)");
  return (m[1] ?? m[2])!;
}

function partHeaders(raw: string): { name: string | null; fileName: string | null } {
  const disp = /^content-disposition:\s*form-data(.*)$/im.exec(raw)?.[1] ?? "";
  const name = /;\s*name="([^"]*)"/i.exec(disp)?.[1] ?? null;
  const fileName = /;\s*filename="([^"]*)"/i.exec(disp)?.[1] ?? null;
  return { name, fileName };
}

/** Reads parts up to the field `field` (a file) and returns the fields before it and the file as a stream. */
export async function multipartFile(body: ReadableStream<Uint8Array> | null, contentType: string | null, field = "file"): Promise<MultipartFile> {
  const boundary = multipartBoundary(contentType);
  if (!body) throw new AppError("BAD_INPUT", "the upload is empty: send the archive in a multipart field `file`");
  const reader = body.getReader();
  let buf = Buffer.alloc(0);
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    buf = buf.length === 0 ? Buffer.from(value) : Buffer.concat([buf, value]);
    return true;
  };
  const until = async (needle: Buffer, limit: number, what: string): Promise<number> => {
    for (;;) {
      const i = buf.indexOf(needle);
      if (i >= 0) return i;
      if (buf.length > limit) throw new AppError("BAD_INPUT", `the multipart body's ${what} is longer than ${limit} bytes`);
      if (!(await more())) throw new AppError("BAD_INPUT", `the multipart body ended inside its ${what}: send a field \`${field}\` with the archive`);
    }
  };
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  const start = await until(delimiter, MAX_HEADER_BYTES, "preamble");
  buf = buf.subarray(start + delimiter.length);
  const fields: Record<string, string> = {};
  let fieldBytes = 0;
  for (;;) {
    const end = await until(Buffer.from("\r\n\r\n"), MAX_HEADER_BYTES, "part headers");
    const { name, fileName } = partHeaders(buf.subarray(0, end).toString("utf8"));
    buf = buf.subarray(end + 4);
    if (name === field) {
      if (fileName === null) throw new AppError("BAD_INPUT", `the multipart field \`${field}\` is not a file`);
      return { fields, fileName, stream: partStream() };
    }
    const valueEnd = await until(next, MAX_FIELDS_BYTES - fieldBytes, "fields before the file");
    if (name !== null) fields[name] = buf.subarray(0, valueEnd).toString("utf8");
    fieldBytes += valueEnd;
    buf = buf.subarray(valueEnd + next.length);
  }

  /** The file's bytes up to `\r\n--boundary`; a tail as long as the delimiter is held back until it is known not to start it. */
  function partStream(): ReadableStream<Uint8Array> {
    let done = false;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        if (done) return c.close();
        for (;;) {
          const i = buf.indexOf(next);
          if (i >= 0) {
            done = true;
            if (i > 0) c.enqueue(new Uint8Array(buf.subarray(0, i)));
            buf = Buffer.alloc(0);
            reader.releaseLock();
            return;
          }
          const safe = buf.length - next.length;
          if (safe > 0) {
            c.enqueue(new Uint8Array(buf.subarray(0, safe)));
            buf = Buffer.from(buf.subarray(safe));
            return;
          }
          if (!(await more())) return c.error(new AppError("BAD_INPUT", `the multipart body ended inside the file \`${field}\` (no closing boundary): the upload was cut off`));
        }
      },
      cancel() {
        reader.releaseLock();
      },
    });
  }
}
