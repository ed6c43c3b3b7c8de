import type { ParseArgsConfig } from "node:util";
import type { Db } from "@/server/db/client";
import type { ApiClient } from "./remote/client";

export interface RemoteContext {
  client: ApiClient;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  note: (l: string) => void;
}

/** One `statescope` command: its usage, options, what it does and how its result reads as text. */
export interface CommandSpec {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(ctx: { db: Db; values: Record<string, string | boolean | undefined>; positionals: string[]; note: (l: string) => void }): Promise<Record<string, unknown>>;
  /**
   * The same command against a server (`--server URL --token T --workspace SLUG`) through the HTTP
   * API: same output and exit codes. Absent: local administration only (`user create`, `token …`).
   */
  remote?(ctx: RemoteContext): Promise<Record<string, unknown>>;
  /** Human-readable rendering of the JSON result. */
  text(out: Record<string, unknown>): string;
}
