/**
 * After the class: the presenter's timeline (the views they settled on, replayable), every task
 * with its answers' aggregate and poll results, as a read-only archive behind an unguessable link
 * (`/c/a/<archive token>`, which works after the guests' credentials expired), and as CSV.
 *
 * A step stores the presenter's view (source, window, brush, padding, threshold, cells: the
 * shared view, about a kilobyte). To draw it, the archive link reads that step's window of the
 * session's dataset (`readArchiveFrame`): at most ARCHIVE_FRAME_STEPS steps of the one source the
 * step shows, its tokens and every cell's values — what the presenter's screen showed, nothing a
 * step did not show, nothing of another dataset. The session (and with it the archive) is deleted
 * with its dataset, so every step of an archive stays drawable.
 */
import { AppError, SNAPSHOT_MAX_STEPS } from "@statescope/core";
import { ZSharedView, type SharedView } from "@statescope/collab";
import { z } from "zod";
import type { Db } from "@/server/db/client";
import { readStatesEncoded, readTokens } from "@/server/services/datasets/datasets";
import { ZStatesOutput } from "@/server/services/datasets/schemas";
import { formatCsv } from "@/server/services/records/csv";
import { aggregateAnswers } from "./aggregate";
import { ZAggregate } from "./schemas";
import type { Participant } from "./sessions";

/** A presenter's settled view, recorded at most this often (a step, not every frame). */
export const MIN_STEP_MS = 500;

/** Steps an archive's timeline shows (the first ones: a class of hours settles on far fewer views). */
export const ARCHIVE_MAX_STEPS = 5000;

/** Record the presenter's settled view as a timeline step (the presenter only). */
export async function recordStep(db: Db, p: Participant, view: SharedView): Promise<void> {
  if (p.session.presenterId !== p.id) throw new AppError("FORBIDDEN", "only the presenter records the timeline");
  const last = await db.classStep.findFirst({ where: { sessionId: p.sessionId }, orderBy: { at: "desc" }, select: { at: true, view: true } });
  if (last && JSON.stringify(last.view) === JSON.stringify(view)) return;
  if (last && Date.now() - last.at.getTime() < MIN_STEP_MS) {
    // the presenter is still moving: the newer view replaces the step
    await db.classStep.updateMany({ where: { sessionId: p.sessionId, at: last.at }, data: { view, by: p.name } });
    return;
  }
  await db.classStep.create({ data: { sessionId: p.sessionId, view, by: p.name } });
}

export const ZArchive = z.object({
  title: z.string(),
  datasetName: z.string(),
  workspace: z.string(),
  datasetId: z.string(),
  startedAt: z.date(),
  endedAt: z.date().nullable(),
  students: z.number().int(),
  steps: z.array(z.object({ at: z.date(), by: z.string(), view: ZSharedView })),
  tasks: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(["VIEW", "POLL"]),
      prompt: z.string(),
      options: z.array(z.string()),
      createdAt: z.date(),
      aggregate: ZAggregate,
    }),
  ),
});
export type Archive = z.infer<typeof ZArchive>;

async function sessionByToken(db: Db, token: string) {
  const s = await db.classSession.findUnique({
    where: { archiveToken: token },
    select: { id: true, title: true, createdAt: true, endedAt: true, workspaceId: true, datasetId: true, workspace: { select: { slug: true } }, dataset: { select: { name: true, steps: true } } },
  });
  if (!s) throw new AppError("NOT_FOUND", "no class archive has this link: check that you copied all of it");
  return s;
}

/** Steps of a recorded view the archive draws at most (a finding's snapshot bound: 650 cells × 256 steps ≈ 650 KB). */
export const ARCHIVE_FRAME_STEPS = SNAPSHOT_MAX_STEPS;

/**
 * The steps [from, to) of a `steps`-step source drawn for a recorded view: its window from its
 * position, at most `max` steps; a longer window is cut around its brush (so the brush is drawn).
 */
export function frameRange(view: Pick<SharedView, "position" | "window" | "brush">, steps: number, max = ARCHIVE_FRAME_STEPS): [number, number] {
  const w = Math.max(1, Math.min(view.window, max, steps));
  let from = view.position;
  if (view.brush && view.window > max) from = view.brush[0] - Math.max(0, Math.floor((w - (view.brush[1] - view.brush[0])) / 2));
  from = Math.max(0, Math.min(from, steps - w));
  return [from, from + w];
}

export const ZArchiveFrame = z.object({
  /** The step's index in the archive's timeline. */
  step: z.number().int(),
  tokens: z.array(z.string()),
  /** Every cell's stored values over the frame's steps [states.from, states.to). */
  states: ZStatesOutput,
  /** The source's raw value range (the explorer's plot domain). */
  min: z.number(),
  max: z.number(),
});
export type ArchiveFrame = z.infer<typeof ZArchiveFrame>;

/** What step `step` of the archive showed: its window's tokens and values, read by the archive's link alone. */
export async function readArchiveFrame(db: Db, token: string, step: number): Promise<ArchiveFrame> {
  const s = await sessionByToken(db, token);
  const row = (await db.classStep.findMany({ where: { sessionId: s.id }, orderBy: { at: "asc" }, skip: step, take: 1, select: { view: true } }))[0];
  const view = row ? ZSharedView.safeParse(row.view) : null;
  if (!view?.success) throw new AppError("NOT_FOUND", `this class archive has no step ${step + 1}`);
  const v = view.data;
  const src = await db.datasetSource.findUnique({ where: { datasetId_name: { datasetId: s.datasetId, name: v.source } }, select: { steps: true, min: true, max: true } });
  if (!src) throw new AppError("NOT_FOUND", `step ${step + 1} shows source “${v.source}”, which dataset “${s.dataset.name}” no longer has`);
  const [from, to] = frameRange(v, src.steps);
  const input = { datasetId: s.datasetId, from, to };
  const [tokens, states] = await Promise.all([readTokens(db, s.workspaceId, input), readStatesEncoded(db, s.workspaceId, { ...input, source: v.source })]);
  return { step, tokens: tokens.tokens, states, min: src.min, max: src.max };
}

export async function readArchive(db: Db, token: string): Promise<Archive> {
  const s = await sessionByToken(db, token);
  const [steps, tasks, students] = await Promise.all([
    db.classStep.findMany({ where: { sessionId: s.id }, orderBy: { at: "asc" }, take: ARCHIVE_MAX_STEPS, select: { at: true, by: true, view: true } }),
    // while the class runs, only what the staff revealed; everything once it ended
    db.classTask.findMany({
      where: { sessionId: s.id, ...(s.endedAt ? {} : { revealedAt: { not: null } }) },
      orderBy: { createdAt: "asc" },
      select: { id: true, kind: true, prompt: true, options: true, createdAt: true, answers: { select: { start: true, end: true, cells: true, choice: true } } },
    }),
    db.classParticipant.count({ where: { sessionId: s.id, role: "STUDENT" } }),
  ]);
  return {
    title: s.title,
    datasetName: s.dataset.name,
    workspace: s.workspace.slug,
    datasetId: s.datasetId,
    startedAt: s.createdAt,
    endedAt: s.endedAt,
    students,
    steps: steps.flatMap((x) => {
      const v = ZSharedView.safeParse(x.view);
      return v.success ? [{ at: x.at, by: x.by, view: v.data }] : [];
    }),
    tasks: tasks.map((t) => ({ id: t.id, kind: t.kind, prompt: t.prompt, options: t.options, createdAt: t.createdAt, aggregate: aggregateAnswers(t.answers, { steps: s.dataset.steps, options: t.options.length }) })),
  };
}

/** Every answer of the session as CSV: task, kind, question, participant, range, cells, threshold, choice, text, time. */
export async function answersCsv(db: Db, token: string): Promise<{ filename: string; csv: string }> {
  const s = await sessionByToken(db, token);
  if (!s.endedAt) throw new AppError("CONFLICT", "the answers can be downloaded once the class has ended");
  const rows = await db.classAnswer.findMany({
    where: { task: { sessionId: s.id } },
    orderBy: [{ task: { createdAt: "asc" } }, { createdAt: "asc" }],
    select: { source: true, start: true, end: true, cells: true, threshold: true, choice: true, text: true, updatedAt: true, participant: { select: { name: true } }, task: { select: { id: true, kind: true, prompt: true, options: true } } },
  });
  // formatCsv neutralises formula-like text (a guest's name or note is anyone's text)
  const csv = formatCsv([
    ["task", "kind", "question", "participant", "source", "start", "end", "cells", "threshold", "choice", "text", "answered_at"],
    ...rows.map((r) => [
      r.task.id,
      r.task.kind,
      r.task.prompt,
      r.participant.name,
      r.source ?? "",
      r.start ?? "",
      r.end ?? "",
      r.cells.join(" "),
      r.threshold ?? "",
      r.choice === null ? "" : (r.task.options[r.choice] ?? String(r.choice)),
      r.text,
      r.updatedAt.toISOString(),
    ]),
  ]);
  return { filename: `${s.title.replace(/[^\w.-]+/g, "_").slice(0, 60) || "class"}-answers.csv`, csv };
}
