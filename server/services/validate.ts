import { AppError } from "@statescope/core";
import type { z } from "zod";

/** Parse `value` with `schema`; a failure becomes BAD_INPUT naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const parts = r.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
  throw new AppError("BAD_INPUT", `invalid ${what}: ${parts.join("; ")}`);
}
