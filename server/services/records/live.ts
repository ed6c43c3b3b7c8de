/**
 * The live streams behind `events.onDataset` and `events.onInbox`: committed record events of
 * one dataset (or the caller's mentions) from the process's pub/sub. Membership is checked
 * again at most every few seconds while events flow; a removed member's stream ends with FORBIDDEN.
 */
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { PubSub } from "@/server/pubsub/pubsub";
import { channelMessages } from "@/server/pubsub/stream";
import { memberRole } from "../authz";
import { datasetIn, RECORD_EVENTS } from "./common";
import { inboxItem } from "./comments";
import type { DatasetEvent, InboxEvent } from "./schemas";

const RECHECK_MS = 5000;

/** `resync`: events may have been missed (the listener reconnected); refetch everything shown. */
export type DatasetStreamEvent = DatasetEvent | { kind: "resync" };
export type InboxStreamEvent = InboxEvent | { op: "resync" };

function membershipGuard(db: Db, workspaceId: string, userId: string) {
  let checkedAt = Date.now();
  return async () => {
    if (Date.now() - checkedAt < RECHECK_MS) return;
    checkedAt = Date.now();
    if (!(await memberRole(db, workspaceId, userId))) throw new AppError("FORBIDDEN", "you are no longer a member of this workspace");
  };
}

export async function* datasetEvents(db: Db, pubsub: PubSub, workspaceId: string, userId: string, datasetId: string, signal: AbortSignal | undefined): AsyncGenerator<DatasetStreamEvent> {
  await datasetIn(db, workspaceId, datasetId, false);
  const guard = membershipGuard(db, workspaceId, userId);
  for await (const m of channelMessages(pubsub, RECORD_EVENTS, signal)) {
    if ("resync" in m) {
      yield { kind: "resync" };
      continue;
    }
    const e = m.message;
    // Mentions are personal: they go to the mentioned member's inbox stream only.
    if (e.workspaceId !== workspaceId || e.datasetId !== datasetId || e.kind === "mention") continue;
    await guard();
    const { workspaceId: _w, ...rest } = e;
    yield rest;
  }
}

export async function* inboxEvents(db: Db, pubsub: PubSub, workspaceId: string, userId: string, signal: AbortSignal | undefined): AsyncGenerator<InboxStreamEvent> {
  const guard = membershipGuard(db, workspaceId, userId);
  for await (const m of channelMessages(pubsub, RECORD_EVENTS, signal)) {
    if ("resync" in m) {
      yield { op: "resync" };
      continue;
    }
    const e = m.message;
    if (e.kind !== "mention" || e.workspaceId !== workspaceId || e.userId !== userId) continue;
    await guard();
    if (e.op === "created") {
      const item = await inboxItem(db, workspaceId, userId, e.id);
      if (item) yield { op: "created", item };
    } else if (e.op === "deleted") yield { op: "deleted", id: e.id };
    else yield { op: "read" };
  }
}
