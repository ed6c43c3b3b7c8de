/**
 * The one error type of Statescope. Services, readers and engines throw it;
 * the tRPC layer maps it to a TRPCError, the sync server to a close code,
 * the CLI to an exit code (2 for BAD_INPUT-like codes, 1 otherwise), and
 * workers use `retryable` to decide whether a job should be retried.
 */
export type AppErrorCode =
  | "BAD_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_LARGE"
  | "UNSUPPORTED"
  | "TOO_MANY_REQUESTS"
  | "INTERNAL";

/** Codes that mean "the caller sent something wrong": CLI exit 2, never retried. */
export const CLIENT_ERROR_CODES: ReadonlySet<AppErrorCode> = new Set<AppErrorCode>([
  "BAD_INPUT",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "TOO_LARGE",
  "UNSUPPORTED",
]);

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly options: {
      retryable?: boolean;
      cause?: unknown;
      /** TOO_MANY_REQUESTS: seconds until the caller may try again (HTTP `Retry-After`). */
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  /** True when retrying the same operation may succeed (e.g. a lost connection). */
  get retryable(): boolean {
    return this.options.retryable ?? !CLIENT_ERROR_CODES.has(this.code);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
