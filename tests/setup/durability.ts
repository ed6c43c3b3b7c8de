/**
 * Durability under kill -9, against a real launcher (tests/setup/launcher.ts): a member posts
 * comments through the web process's tRPC endpoint at a steady rate, retrying each one with its
 * idempotency key until it is acknowledged (HTTP 200) or the run ends, while a part is killed.
 * Afterwards every acknowledged comment must be in the database exactly once.
 * Used by the supervision test (one trial per target) and by `npm run test:soak` (many).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "next-auth/jwt";
import { createDb, type Db } from "../../server/db/client";
import { importDataset } from "../../server/services/datasets/import";
import { createThread } from "../../server/services/records/comments";
import { createUser } from "../../server/services/users";
import { createWorkspace } from "../../server/services/workspaces";
import { makeLstmVisProject } from "../fixtures/formats/projects";
import { killTrial, serving, TARGETS, type Launcher, type Target } from "./launcher";

/** The launcher's AUTH_SECRET: pass it in `startLauncher({ env: { AUTH_SECRET } })` to sign sessions. */
export const LAUNCHER_AUTH_SECRET = "durability-secret-durability-secret-0123";

export interface Commenter {
  db: Db;
  userId: string;
  workspaceId: string;
  workspace: string;
  datasetId: string;
  /** A second dataset (another realtime room). */
  otherDatasetId: string;
  threadId: string;
  /** Cookie header of a signed-in session (a next-auth JWT, as the sign-in page would set). */
  cookie: string;
  close(): Promise<void>;
}

/** Cookie header of a signed-in session of this user against the launcher (a next-auth JWT, as the sign-in page would set). */
export async function sessionCookie(userId: string, email: string, name: string): Promise<string> {
  const salt = "authjs.session-token";
  return `${salt}=${await encode({ token: { sub: userId, email, name }, secret: LAUNCHER_AUTH_SECRET, salt })}`;
}

/** A user with a workspace, a small dataset and a thread to reply to, in the launcher's database. */
export async function seedCommenter(l: Launcher, slug: string): Promise<Commenter> {
  const db = createDb(l.databaseUrl);
  const tmp = await mkdtemp(join(tmpdir(), "durability-"));
  try {
    const email = `${slug}@durability.test`;
    const user = await createUser(db, { email, password: "password1", name: "Durable" });
    const ws = await createWorkspace(db, user.userId, { slug });
    const fx = await makeLstmVisProject(join(tmp, "p"), { n: 40 });
    const { datasetId } = await importDataset(db, { workspaceId: ws.workspaceId, userId: user.userId, path: fx.dir, name: "durable" });
    const other = await importDataset(db, { workspaceId: ws.workspaceId, userId: user.userId, path: fx.dir, name: "durable 2" });
    const thread = await createThread(db, ws.workspaceId, user.userId, {
      datasetId,
      anchor: { kind: "range", source: "states::states1", start: 0, end: 4 },
      body: "replies arrive here",
      idempotencyKey: `${slug}-thread`,
    });
    return {
      db,
      userId: user.userId,
      workspaceId: ws.workspaceId,
      workspace: slug,
      datasetId,
      otherDatasetId: other.datasetId,
      threadId: thread.id,
      cookie: await sessionCookie(user.userId, email, "Durable"),
      close: () => db.$disconnect(),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface CommentLoad {
  /** Comments acknowledged so far. */
  acked(): number;
  /** Stop sending new comments, finish retrying the open ones (up to `drainMs`), and report. */
  stop(drainMs?: number): Promise<{ sent: number; acknowledged: string[]; ackedAt: number[]; latencyMs: number[]; abandoned: number; perSecond: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` every 50 ms; throws naming `what` after `ms`. */
async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * `clients` members' browsers posting `comment.reply`, together `perSecond` when the server keeps
 * up: each client sends its next comment when the previous one was acknowledged (HTTP 200), paced
 * to perSecond / clients, and retries an unanswered one with the same idempotency key (a network
 * error or a 5xx: backoff 100 ms → 2 s) — as a page's outbox does. A 4xx fails the run.
 */
export function commentLoad(l: Launcher, c: Commenter, run: string, perSecond = 100, clients = 10): CommentLoad {
  const acknowledged: string[] = [];
  const ackedAt: number[] = [];
  /** ms from a comment's first attempt to its acknowledgement, in the order of ackedAt. */
  const latencyMs: number[] = [];
  let sent = 0;
  let abandoned = 0;
  let sending = true;
  let drainUntil = Number.POSITIVE_INFINITY;
  const t0 = Date.now();
  let tEnd = 0;

  const post = async (key: string): Promise<void> => {
    const first = Date.now();
    let wait = 100;
    for (;;) {
      try {
        const r = await fetch(`${l.webUrl}/api/trpc/comment.reply`, {
          method: "POST",
          headers: { "content-type": "application/json", cookie: c.cookie, origin: l.webUrl },
          body: JSON.stringify({ json: { workspace: c.workspace, threadId: c.threadId, body: `durable ${key}`, idempotencyKey: key } }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await r.text();
        if (r.status === 200) {
          acknowledged.push(key);
          ackedAt.push(Date.now());
          latencyMs.push(Date.now() - first);
          return;
        }
        // a 4xx is the server refusing this comment for good: a bug in the trial, not a crash to ride out
        if (r.status < 500) throw new Error(`comment ${key}: HTTP ${r.status}: ${text.slice(0, 300)}`);
      } catch (e) {
        if (e instanceof Error && e.message.startsWith(`comment ${key}:`)) throw e;
        // connection refused / reset / timed out: the web process or the database is down, retry
      }
      if (Date.now() > drainUntil) {
        abandoned++;
        return;
      }
      await sleep(wait);
      wait = Math.min(2_000, wait * 2);
    }
  };

  const client = async (n: number): Promise<void> => {
    const interval = (1000 * clients) / perSecond;
    for (let i = 0; sending; i++) {
      const due = t0 + i * interval + (n * interval) / clients;
      if (due > Date.now()) await sleep(due - Date.now());
      if (!sending) break;
      sent++;
      await post(`${run}-${n}-${i}`);
    }
  };
  const all = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));

  return {
    acked: () => ackedAt.length,
    async stop(drainMs = 30_000) {
      sending = false;
      tEnd = Date.now();
      drainUntil = tEnd + drainMs;
      await all;
      return { sent, acknowledged, ackedAt, latencyMs, abandoned, perSecond: acknowledged.length / ((tEnd - t0) / 1000) };
    },
  };
}

export interface CommentCheck {
  acknowledged: number;
  /** Acknowledged but not stored. */
  lost: number;
  /** Stored more than once. */
  duplicated: number;
}

/** Compares what was acknowledged with what the database holds for this run. */
export async function checkComments(c: Commenter, run: string, acknowledged: readonly string[]): Promise<CommentCheck> {
  const rows = await c.db.comment.findMany({
    where: { authorId: c.userId, idempotencyKey: { startsWith: `${run}-` } },
    select: { idempotencyKey: true, body: true },
  });
  const stored = new Set(rows.map((r) => r.idempotencyKey));
  // the body names the key, so one comment stored twice under any key shows as two rows of one body
  const duplicated = rows.length - new Set(rows.map((r) => r.body)).size;
  const lost = acknowledged.filter((k) => !stored.has(k)).length;
  return { acknowledged: acknowledged.length, lost, duplicated };
}

export interface CommentKillTrial extends CommentCheck {
  sent: number;
  /** Acknowledged comments per second over the trial (the offered rate when the server keeps up). */
  perSecond: number;
  /** Comments still unacknowledged when the run gave up on them (retried for 30 s after the end). */
  abandoned: number;
  /** ms from the kill until every killed part served again (Infinity: not within 20 s). */
  backMs: number;
  /** Comments acknowledged before the kill, and after the killed parts served again. */
  ackedBefore: number;
  ackedAfter: number;
}

/**
 * Comments at `perSecond` for `beforeMs`, kill -9 of `targets` (together), comments until
 * `afterMs` after they are back, then the check. One target goes through `killTrial` (which also
 * checks that the others kept serving).
 */
export async function commentKillTrial(
  l: Launcher,
  c: Commenter,
  targets: readonly Target[],
  run: string,
  o: { perSecond?: number; beforeMs?: number; afterMs?: number } = {},
): Promise<CommentKillTrial> {
  // each trial starts from a serving system (PostgreSQL's crash recovery can outlast the last trial)
  const settleEnd = Date.now() + 120_000;
  for (;;) {
    const up = await Promise.all(TARGETS.map((t) => serving(l, t, 5_000)));
    if (up.every(Boolean)) break;
    const down = TARGETS.filter((_, i) => !up[i]).join(", ");
    if (Date.now() > settleEnd) throw new Error(`${down} not serving 120 s after the last trial:\n${l.output().replace(/^.*invites:purge.*\n/gm, "").slice(-3000)}`);
    await sleep(500);
  }
  const load = commentLoad(l, c, run, o.perSecond ?? 100);
  // the kill comes once comments are being acknowledged (at least beforeMs, and ≥ 3 acks: a loaded
  // machine may take longer than beforeMs for its first), so every trial spans the kill
  await sleep(o.beforeMs ?? 1_500);
  await until(() => load.acked() >= 3, 60_000, "3 comments acknowledged before the kill");
  let backMs: number;
  const killedAt = Date.now();
  if (targets.length === 1) {
    const trial = await killTrial(l, targets[0]!);
    backMs = Object.values(trial.othersServing).every(Boolean) ? trial.backMs : Number.POSITIVE_INFINITY;
  } else {
    const pids = l.pids();
    const t0 = Date.now();
    for (const t of targets) process.kill(pids[t], "SIGKILL");
    backMs = Number.POSITIVE_INFINITY;
    while (Date.now() - t0 < 20_000) {
      const up = await Promise.all(targets.map((t) => serving(l, t, 2_000)));
      if (up.every(Boolean)) {
        backMs = Date.now() - t0;
        break;
      }
      await sleep(100);
    }
  }
  await sleep(o.afterMs ?? 1_500);
  // and it ends once comments are acknowledged again after the return (bounded when a part never came back)
  if (Number.isFinite(backMs)) {
    const ackedAtReturn = load.acked();
    await until(() => load.acked() >= ackedAtReturn + 3, 60_000, "3 comments acknowledged after the return").catch(() => undefined);
  }
  const sent = await load.stop();
  const check = await checkComments(c, run, sent.acknowledged);
  const backAt = killedAt + backMs;
  return {
    ...check,
    sent: sent.sent,
    abandoned: sent.abandoned,
    perSecond: sent.perSecond,
    backMs,
    ackedBefore: sent.ackedAt.filter((t) => t < killedAt).length,
    ackedAfter: sent.ackedAt.filter((t) => t > backAt).length,
  };
}
