/** Helpers shared by the record services: member refs, dataset scoping, record events. */
import { randomBytes } from "node:crypto";
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { Prisma } from "@/prisma/generated/client";
import { publish } from "@/server/pubsub/pg";
import { defineChannel } from "@/server/pubsub/pubsub";
import { ZRecordEvent, type RecordEvent, type UserRef } from "./schemas";

let idCounter = 0;

/**
 * A new record id for rows written without Prisma (which makes cuids): "c", the time in ms and a
 * per-process counter (so ids of one process sort in creation order, like cuids), then 64 random bits.
 */
export function newRecordId(): string {
  idCounter = (idCounter + 1) % 36 ** 4;
  return `c${Date.now().toString(36)}${idCounter.toString(36).padStart(4, "0")}${randomBytes(8).readBigUInt64BE().toString(36).padStart(13, "0")}`;
}

/** A Prisma transaction client or the client itself. */
export type Tx = Prisma.TransactionClient | Db;

export const USER_REF_SELECT = { id: true, name: true, email: true } as const;

/** The mention handle of a member: the local part of the email, lowercased (`ada` for Ada@Lab.org). */
export function handleOf(email: string): string {
  const at = email.lastIndexOf("@");
  return (at < 0 ? email : email.slice(0, at)).toLowerCase();
}

export function userRef(u: { id: string; name: string | null; email: string } | null): UserRef | null {
  return u ? { id: u.id, name: u.name, handle: handleOf(u.email) } : null;
}

/** The dataset, in this workspace, or NOT_FOUND; `ready` also requires a finished import. */
export async function datasetIn(db: Tx, workspaceId: string, datasetId: string, ready = true) {
  const ds = await db.dataset.findUnique({ where: { id: datasetId }, select: { id: true, workspaceId: true, status: true, steps: true } });
  if (!ds || ds.workspaceId !== workspaceId) throw new AppError("NOT_FOUND", `dataset ${datasetId} does not exist in this workspace`);
  if (ready && ds.status !== "READY") {
    throw new AppError("CONFLICT", `dataset ${datasetId} is ${ds.status === "IMPORTING" ? "still importing" : "a failed import"}: wait for a finished import`);
  }
  return ds;
}

/** Live record events: what changed, never the record itself (subscribers read it with their own rights). */
export const RECORD_EVENTS = defineChannel("statescope_events", ZRecordEvent);

/**
 * Queue a record event. Called inside the write's transaction: Postgres delivers NOTIFY only when
 * that transaction commits (and drops it on rollback), so a listener never hears of a record it
 * cannot read yet.
 */
export async function notifyRecord(tx: Tx, event: RecordEvent): Promise<void> {
  await publish(tx, RECORD_EVENTS, event);
}

/** True for a unique-constraint violation (Prisma P2002 or Postgres 23505 through the adapter). */
export function isUniqueViolation(e: unknown): boolean {
  if (e instanceof Prisma.PrismaClientKnownRequestError) return e.code === "P2002";
  const code = (e as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (e as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === "23505" || code === "P2002";
}

/** Validate a token range [start, end) against a length; `what` names it in the message. */
export function checkRange(what: string, start: number, end: number, steps: number): void {
  if (start >= end) throw new AppError("BAD_INPUT", `${what}: start (${start}) must be less than end (${end})`);
  if (end > steps) throw new AppError("BAD_INPUT", `${what}: [${start}, ${end}) is out of range, the dataset has ${steps} steps`);
}

/** Validate cell indices against a source's cell count; returns them sorted ascending, without duplicates check. */
export function checkCells(what: string, cells: readonly number[], cellCount: number, label = "cell"): number[] {
  const seen = new Set<number>();
  for (const c of cells) {
    if (c >= cellCount) throw new AppError("BAD_INPUT", `${what} has ${cellCount} cells, the request selected ${label} ${c}`);
    if (seen.has(c)) throw new AppError("BAD_INPUT", `${what}: ${label} ${c} is listed more than once`);
    seen.add(c);
  }
  return [...cells].sort((a, b) => a - b);
}
