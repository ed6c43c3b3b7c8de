/**
 * The web server answers /api/trpc itself (server/http/trpc-front.ts) instead of Next.js's route:
 * the same requests to this server (front on) and to a second web process of the same build with
 * TRPC_FRONT=0 (Next.js's route, as in dev mode) get the same status, the same response headers —
 * names, case, order, values; only Date, Server-Timing's durations and the framing differ (a JSON
 * answer leaves the front in one write, gzipped only from 1 KiB) — and the same body:
 * queries, batches, errors, the session (next-auth cookie) and its Origin check, a guest's class
 * credential cookie, the body limit before and after sign-in, gzip, a subscription's event stream.
 * Over real sockets, raw HTTP (fetch would merge and decompress).
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import zlib from "node:zlib";
import { expect, test } from "@playwright/test";

const FRONT = Number(process.env.E2E_PORT ?? 3100);
/** The second web process (Next.js's route); beside the e2e server's ports. */
const NEXT_ROUTE = FRONT + 7;
const SYNC_PORT = Number(process.env.E2E_SYNC_PORT ?? 1334);

interface Raw {
  status: number;
  headers: [string, string][];
  body: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer, firstChunkOnly = false): Promise<Raw> {
  return new Promise((ok, fail) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${FRONT}`, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => {
        const raw = Buffer.concat(chunks);
        const text = res.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString() : raw.toString();
        const pairs: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        ok({ status: res.statusCode!, headers: pairs, body: text });
      };
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        if (firstChunkOnly) {
          res.destroy();
          done();
        }
      });
      res.on("end", done);
      res.on("error", () => {});
    });
    // an answer given before the body was sent (too large) may end the upload with EPIPE
    req.on("response", () => req.removeAllListeners("error").on("error", () => {}));
    req.on("error", (e) => (firstChunkOnly ? undefined : fail(e)));
    req.end(body);
  });
}

/** What may differ between two answers to the same request: the clock, durations, request ids, per-request secrets and ids. */
function normalise(r: Raw): Raw {
  // framing: the front sends a JSON answer in one write (below 1 KiB not gzipped),
  // Next.js in pieces (chunked, gzipped) — the decoded body is compared below
  const headers = r.headers
    .filter(([k]) => !["date", "content-length", "transfer-encoding", "content-encoding"].includes(k.toLowerCase()))
    .map(([k, v]): [string, string] => [
      k,
      k.toLowerCase() === "server-timing" ? v.replace(/dur=[\d.]+/g, "dur=…") : k.toLowerCase() === "set-cookie" ? v.replace(/=[^;]*/, "=…") : v,
    ]);
  const body = r.body
    .replace(/request id [0-9a-f]+/g, "request id …")
    .replace(/"(sessionId|participantId|id|token|requestId|room|credential|color)":"[^"]+"/g, '"$1":"…"').replace(/"(expiresAt|createdAt)":"[^"]+"/g, '"$1":"…"');
  return { status: r.status, headers, body };
}

let route: ChildProcess | undefined;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  // the same launcher as the e2e server, on its database and data dir; only the front is off
  route = spawn(process.execPath, ["--import", "tsx", "server/cli/launch.ts", "web"], {
    env: {
      ...process.env,
      PORT: String(NEXT_ROUTE),
      SYNC_PORT: String(SYNC_PORT),
      HOSTNAME: "127.0.0.1",
      STATESCOPE_DATA_DIR: process.env.E2E_DATA_DIR ?? ".test-data/e2e",
      EMBEDDED_PG_PORT: process.env.E2E_PG_PORT ?? "54500",
      TRPC_FRONT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  route.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  route.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const until = Date.now() + 170_000;
  for (;;) {
    if (route.exitCode !== null) throw new Error(`the second web process exited: ${log}`);
    if (/tRPC by Next\.js/.test(log)) {
      try {
        if ((await send(NEXT_ROUTE, "GET", "/api/trpc/health")).status === 200) break;
      } catch {
        /* not yet */
      }
    }
    if (Date.now() > until) throw new Error(`the second web process did not answer: ${log}`);
    await new Promise((r) => setTimeout(r, 300));
  }
});

test.afterAll(async () => {
  if (!route || route.exitCode !== null) return;
  const exited = new Promise((r) => route!.once("exit", r));
  process.kill(-route.pid!, "SIGTERM");
  await exited;
});

test("the tRPC front answers exactly as Next.js's route does", async () => {
  test.setTimeout(120_000);
  const both = async (label: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer, firstChunkOnly = false) => {
    const [a, b] = [await send(FRONT, method, path, headers, body, firstChunkOnly), await send(NEXT_ROUTE, method, path, headers, body, firstChunkOnly)];
    expect(normalise(a), label).toEqual(normalise(b));
    return a;
  };
  const json = { "content-type": "application/json" };
  const input = (v: unknown) => encodeURIComponent(JSON.stringify({ json: v }));
  const batch = (vs: unknown[]) => encodeURIComponent(JSON.stringify(Object.fromEntries(vs.map((v, i) => [i, { json: v }]))));

  await both("a query", "GET", "/api/trpc/health");
  const small = await both("a query, gzip", "GET", "/api/trpc/health", { "accept-encoding": "gzip, deflate, br" });
  const header = (r: Raw, name: string) => r.headers.find(([k]) => k.toLowerCase() === name)?.[1];
  expect(header(small, "content-encoding"), "a small JSON answer is not gzipped").toBeUndefined();
  await both("a batch of queries", "GET", `/api/trpc/health,health?batch=1&input=${batch([undefined, undefined])}`, { "trpc-accept": "application/json" });
  await both("no such procedure", "GET", "/api/trpc/no.such");
  const large = await both("a long error, gzip", "GET", `/api/trpc/${"x".repeat(1500)}`, { "accept-encoding": "gzip" });
  expect(header(large, "content-encoding"), "a JSON answer from 1 KiB is gzipped").toBe("gzip");
  await both("bad input", "POST", "/api/trpc/classroom.answer", json, JSON.stringify({ json: { sessionId: 5 } }));
  await both("not JSON", "POST", "/api/trpc/classroom.join", json, "{");
  await both("a query posted", "POST", "/api/trpc/health", json, "{}");
  await both("a mutation as GET", "GET", `/api/trpc/classroom.join?input=${input({ code: "X" })}`);
  await both("signed out: no workspace", "GET", `/api/trpc/dataset.list?input=${input({ workspace: "demo" })}`);
  const big = JSON.stringify({ json: { code: "A", name: "x".repeat(70 * 1024) } });
  await both("over the signed-out body limit", "POST", "/api/trpc/classroom.join", json, big);

  // signed in (the demo user): the next-auth session cookie, Server-Timing, the Origin check
  const csrf = await fetch(`http://127.0.0.1:${FRONT}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  let cookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const signIn = await fetch(`http://127.0.0.1:${FRONT}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ email: "demo@statescope.dev", password: "statescope-demo", csrfToken, callbackUrl: "/w" }),
  });
  cookie = [cookie, ...signIn.headers.getSetCookie().map((c) => c.split(";")[0])].join("; ");
  const me = { cookie };
  const list = await both("signed in: a query", "GET", `/api/trpc/dataset.list?input=${input({ workspace: "demo" })}`, me);
  expect(list.headers.some(([k]) => k.toLowerCase() === "server-timing"), "a signed-in caller gets Server-Timing").toBe(true);
  const datasets = (JSON.parse(list.body) as { result: { data: { json: { id: string }[] | { items: { id: string }[] } } } }).result.data.json;
  const datasetId = (Array.isArray(datasets) ? datasets : datasets.items)[0]!.id;
  await both("signed in: gzip", "GET", `/api/trpc/dataset.list?input=${input({ workspace: "demo" })}`, { ...me, "accept-encoding": "gzip" });
  await both("signed in: another site's POST", "POST", "/api/trpc/classroom.start", { ...json, ...me, origin: "https://evil.example" }, JSON.stringify({ json: { workspace: "demo", datasetId } }));
  await both("signed in: over the body limit", "POST", "/api/trpc/classroom.start", { ...json, ...me }, JSON.stringify({ json: { workspace: "demo", datasetId, title: "x".repeat(1100 * 1024) } }));
  const own = { ...json, ...me, origin: `http://127.0.0.1:${FRONT}` };
  const started = await send(FRONT, "POST", "/api/trpc/classroom.start", own, JSON.stringify({ json: { workspace: "demo", datasetId, title: "front parity" } }));
  expect(started.status).toBe(200);
  const { sessionId, code } = (JSON.parse(started.body) as { result: { data: { json: { sessionId: string; code: string } } } }).result.data.json;

  // a guest: the class credential cookie set by the join, then used
  const joined = await both("a guest joins", "POST", "/api/trpc/classroom.join", json, JSON.stringify({ json: { code, name: "Parity guest" } }));
  const guest = { cookie: joined.headers.filter(([k]) => k.toLowerCase() === "set-cookie").map(([, v]) => v.split(";")[0]).join("; ") };
  await both("a guest reads the tasks", "GET", `/api/trpc/classroom.tasks?input=${input({ sessionId })}`, guest);
  await both("a guest from another site", "POST", "/api/trpc/classroom.ticket", { ...json, ...guest, origin: "https://evil.example" }, JSON.stringify({ json: { sessionId } }));
  await both("a guest outside the session", "GET", `/api/trpc/dataset.list?input=${input({ workspace: "demo" })}`, guest);
  // a guest's answer: the front reads a small JSON body whole before the handler (wholeBodyLength);
  // it refuses what the route refuses, and reads the body as a Request does
  const answer = (v: unknown) => JSON.stringify({ json: { sessionId, taskId: "no-such-task", choice: 0, ...(v as object) } });
  await both("a guest's answer from another site", "POST", "/api/trpc/classroom.answer", { ...json, ...guest, origin: "https://evil.example" }, answer({}));
  await both("a guest's answer to no such task", "POST", "/api/trpc/classroom.answer", { ...json, ...guest, origin: `http://127.0.0.1:${FRONT}` }, answer({}));
  await both("a guest's answer, bad input", "POST", "/api/trpc/classroom.answer", { ...json, ...guest, origin: `http://127.0.0.1:${FRONT}` }, answer({ choice: "one" }));
  await both("a guest's answer, batched", "POST", "/api/trpc/classroom.answer?batch=1", { ...json, ...guest, origin: `http://127.0.0.1:${FRONT}` }, JSON.stringify({ 0: JSON.parse(answer({})) as unknown }));
  await both("a body with a byte-order mark", "POST", "/api/trpc/classroom.answer", { ...json, ...guest, origin: `http://127.0.0.1:${FRONT}` }, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(answer({}))]));
  await both("not UTF-8", "POST", "/api/trpc/classroom.answer", { ...json, ...guest, origin: `http://127.0.0.1:${FRONT}` }, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  await both("JSON with a charset", "POST", "/api/trpc/classroom.answer", { "content-type": "Application/JSON; charset=utf-8", ...guest, origin: `http://127.0.0.1:${FRONT}` }, answer({}));
  await both("an empty body", "POST", "/api/trpc/classroom.answer", { ...json, ...guest, origin: `http://127.0.0.1:${FRONT}` }, "");

  // a subscription: the event stream's headers and first event, then the client leaves
  await both("a subscription", "GET", `/api/trpc/events.onInbox?input=${input({ workspace: "demo" })}`, { ...me, accept: "text/event-stream" }, undefined, true);
  await send(FRONT, "POST", "/api/trpc/classroom.end", own, JSON.stringify({ json: { sessionId } }));
});
