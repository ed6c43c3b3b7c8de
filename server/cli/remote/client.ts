/**
 * The `statescope` command line against a server (`--server URL --token T`): a small client of the
 * HTTP API (/api/v1). Errors come back as the server's `{"error":{code,message}}` and are raised
 * as the same AppError codes a local run raises, so output and exit codes match. The token is
 * sent only in the Authorization header and never printed.
 */
import { AppError, type AppErrorCode } from "@statescope/core";

const CODES: ReadonlySet<string> = new Set<AppErrorCode>(["BAD_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "TOO_LARGE", "UNSUPPORTED", "TOO_MANY_REQUESTS", "INTERNAL"]);

/** The connection failed (no answer): worth retrying, unlike an answer that refuses. */
export class NetworkError extends AppError {
  constructor(message: string) {
    super("INTERNAL", message);
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class ApiClient {
  readonly base: string;
  constructor(
    server: string,
    private readonly token: string,
    readonly workspace: string,
  ) {
    let u: URL;
    try {
      u = new URL(server);
    } catch {
      throw new AppError("BAD_INPUT", `--server must be a URL like https://statescope.example.org, got ${JSON.stringify(server)}`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new AppError("BAD_INPUT", `--server must be an http(s) URL, got ${JSON.stringify(server)}`);
    this.base = u.origin + u.pathname.replace(/\/+$/, "");
  }

  /** A path below the workspace: `ws("/datasets")` → /api/v1/workspaces/<slug>/datasets. */
  ws(path: string): string {
    return `/workspaces/${encodeURIComponent(this.workspace)}${path}`;
  }

  async request(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const url = new URL(`${this.base}/api/v1${path}`);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...o.headers };
    let body = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers["content-type"] = "application/json";
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    } catch (e) {
      if (o.signal?.aborted) throw new AppError("BAD_INPUT", "interrupted");
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new NetworkError(`could not reach ${this.base}: ${cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e))}`);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    return (await (await this.request(method, path, o)).json()) as T;
  }
}

async function errorOf(res: Response): Promise<AppError> {
  const text = await res.text().catch(() => "");
  type ErrorBody = { error?: { code?: unknown; message?: unknown } } | null;
  let parsed: ErrorBody = null;
  try {
    parsed = JSON.parse(text) as ErrorBody;
  } catch {
    /* not our JSON: a proxy's page */
  }
  const code = typeof parsed?.error?.code === "string" && CODES.has(parsed.error.code) ? (parsed.error.code as AppErrorCode) : res.status >= 500 ? "INTERNAL" : "BAD_INPUT";
  const message = typeof parsed?.error?.message === "string" ? parsed.error.message : `the server answered ${res.status} ${res.statusText}`;
  const retry = res.headers.get("retry-after");
  return new AppError(code, message, retry && /^\d+$/.test(retry) ? { retryAfterSeconds: Number(retry) } : {});
}

/** Waits `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}
