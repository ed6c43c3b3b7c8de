/**
 * After the class: the presenter's timeline (the views they settled on, replayable), every task
 * with its answers' aggregate and poll results, as a read-only archive behind an unguessable link
 * (`/c/a/<archive token>`, which works after the guests' credentials expired), and as CSV.
 */
import { AppError } from "@statescope/core";
import { ZSharedView, type SharedView } from "@statescope/collab";
import { z } from "zod";
import type { Db } from "@/server/db/client";
import { formatCsv } from "@/server/services/records/csv";
import { aggregateAnswers } from "./aggregate";
import { ZAggregate } from "./schemas";
import type { Participant } from "./sessions";

/** A presenter's settled view, recorded at most this often (a step, not every frame). */
export const MIN_STEP_MS = 500;

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
    select: { id: true, title: true, createdAt: true, endedAt: true, datasetId: true, workspace: { select: { slug: true } }, dataset: { select: { name: true, steps: true } } },
  });
  if (!s) throw new AppError("NOT_FOUND", "no class archive has this link: check that you copied all of it");
  return s;
}

export async function readArchive(db: Db, token: string): Promise<Archive> {
  const s = await sessionByToken(db, token);
  const [steps, tasks, students] = await Promise.all([
    db.classStep.findMany({ where: { sessionId: s.id }, orderBy: { at: "asc" }, take: 5000, select: { at: true, by: true, view: true } }),
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
