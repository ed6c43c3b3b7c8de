/**
 * Findings (issue 17): publish a view or a saved hypothesis as an immutable snapshot behind a
 * short random id, publish new versions, change who may see it, withdraw it; and read it, for
 * members and for strangers alike, from the snapshot alone.
 *
 * Who sees what: PRIVATE — the finding's authors (publishers and member authors); WORKSPACE —
 * members; UNLISTED — anyone with the link; PUBLIC — anyone, and listed on /p/<slug>. Whoever may
 * not see a finding gets "not found" (never "forbidden": that would say it exists). A withdrawn
 * finding answers "withdrawn" to those who could see it. Managing (new version, visibility,
 * withdraw) is for its authors, and for workspace OWNERs unless it is PRIVATE.
 */
import { createHash } from "node:crypto";
import { AppError, packStates, unpackStates, type FindingData, type SnapshotAuthor } from "@statescope/core";
import { Prisma } from "@/prisma/generated/client";
import type { Db } from "@/server/db/client";
import { ROLE_RANK, type Actor } from "@/server/services/authz";
import { handleOf, isUniqueViolation } from "@/server/services/records/common";
import type { Role } from "@/server/services/schemas";
import { parseInput } from "@/server/services/validate";
import { newFindingId } from "./ids";
import { resetFigureCaches } from "./render";
import {
  ZDatasetMetaInput,
  ZFindingListInput,
  ZFindingSnapshot,
  ZFindingViewInput,
  ZPublishInput,
  ZVisibility,
  type FindingSummary,
  type PublishInput,
  type PublishOutput,
  type Visibility,
} from "./schemas";
import { buildSnapshot, type MatchRunner } from "./snapshot";

/** The URL of a finding (version n, or the latest when n is omitted). */
export function findingUrl(publicUrl: string, id: string, version?: number): string {
  return `${publicUrl.replace(/\/+$/, "")}/f/${id}${version ? `/v${version}` : ""}`;
}

function displayName(u: { name: string | null; email: string }): string {
  return u.name?.trim() || handleOf(u.email);
}

async function authorsOf(db: Db, workspaceId: string, publisherId: string, raw: PublishInput["authors"]): Promise<{ authors: SnapshotAuthor[]; memberIds: string[] }> {
  const list = raw && raw.length > 0 ? raw : [{ userId: publisherId }];
  const ids = list.flatMap((a) => ("userId" in a ? [a.userId] : []));
  const members = await db.membership.findMany({ where: { workspaceId, userId: { in: ids } }, select: { user: { select: { id: true, name: true, email: true } } } });
  const byId = new Map(members.map((m) => [m.user.id, m.user]));
  const authors: SnapshotAuthor[] = [];
  for (const a of list) {
    if ("userId" in a) {
      const u = byId.get(a.userId);
      if (!u) throw new AppError("BAD_INPUT", `author ${a.userId} is not a member of this workspace: add them by name instead`);
      authors.push({ name: displayName(u), member: true });
    } else authors.push({ name: a.name, member: false });
  }
  return { authors, memberIds: [...new Set(ids)] };
}

/** The view a hypothesis saved, as a publish view (its one layer, brush, padding, match settings). */
async function hypothesisView(db: Db, workspaceId: string, datasetId: string, hypothesisId: string) {
  const h = await db.hypothesis.findUnique({ where: { id: hypothesisId } });
  if (!h || h.workspaceId !== workspaceId) throw new AppError("NOT_FOUND", `hypothesis ${hypothesisId} does not exist in this workspace`);
  if (h.datasetId !== datasetId) throw new AppError("BAD_INPUT", `hypothesis "${h.name}" belongs to dataset ${h.datasetId}, not ${datasetId}`);
  return ZFindingViewInput.parse({
    layers: [{ source: h.source, threshold: h.threshold, cells: h.cells, added: h.addedCells, excluded: h.excludedCells }],
    brush: [h.start, h.end],
    pad: [Math.min(20, h.padLeft), Math.min(20, h.padRight)],
    match: { layer: 0, mode: h.mode === "precise" ? "precise" : "fast", length: h.length ?? 0 },
  });
}

/** SHA-256 over the snapshot document and the state bytes. */
export function versionHash(snapshot: Uint8Array, states: Uint8Array): string {
  return createHash("sha256").update(snapshot).update(states).digest("hex");
}

/**
 * Publishes a finding (or, with `findingId`, its next version). Needs EDITOR; a new version
 * needs the right to manage the finding. The snapshot is built first (it may run the match);
 * the rows are written in one transaction.
 */
export async function publishFinding(
  db: Db,
  actor: Actor,
  access: { workspaceId: string; role: Role },
  raw: PublishInput,
  runMatch: MatchRunner,
  publicUrl: string,
): Promise<PublishOutput> {
  const input = parseInput(ZPublishInput, raw, "finding");
  if (ROLE_RANK[access.role] < ROLE_RANK.EDITOR) throw new AppError("FORBIDDEN", `publishing a finding needs the EDITOR role; you are ${access.role}`);
  const existing = input.findingId ? await manageable(db, actor, access, input.findingId) : null;
  if (existing) {
    if (existing.withdrawnAt) throw new AppError("CONFLICT", `finding ${existing.id} was withdrawn: publish a new finding instead`);
    if (existing.datasetId !== input.datasetId) {
      throw new AppError("BAD_INPUT", existing.datasetId === null ? `the dataset of finding ${existing.id} was deleted: publish a new finding` : `finding ${existing.id} was published from dataset ${existing.datasetId}, not ${input.datasetId}`);
    }
  }
  const view = input.view ? ZFindingViewInput.parse(input.view) : input.hypothesisId ? await hypothesisView(db, access.workspaceId, input.datasetId, input.hypothesisId) : null;
  if (!view) throw new AppError("BAD_INPUT", "give the view to publish, or the hypothesis it comes from");
  if (input.hypothesisId && input.view) await hypothesisView(db, access.workspaceId, input.datasetId, input.hypothesisId); // it must exist here
  const { authors, memberIds } = await authorsOf(db, access.workspaceId, actor.userId, input.authors);
  const data = await buildSnapshot(db, access.workspaceId, input.datasetId, view, { title: input.title, abstract: input.abstract, authors }, runMatch);
  const snapshotBytes = Buffer.from(JSON.stringify(data.snapshot), "utf8");
  const stateBytes = Buffer.from(packStates(data.states));
  const hash = versionHash(snapshotBytes, stateBytes);
  const authorIds = [...new Set([...(existing?.authorIds ?? []), actor.userId, ...memberIds])];

  if (existing) {
    const version = existing.latestVersion + 1;
    await db.$transaction(async (tx) => {
      const r = await tx.finding.updateMany({
        where: { id: existing.id, latestVersion: existing.latestVersion, withdrawnAt: null },
        data: { latestVersion: version, title: input.title, authorIds, ...(input.visibility ? { visibility: input.visibility } : {}), ...(input.hypothesisId ? { hypothesisId: input.hypothesisId } : {}) },
      });
      if (r.count !== 1) throw new AppError("CONFLICT", `finding ${existing.id} changed while you published (another version, or withdrawn): reload it and publish again`);
      await tx.findingVersion.create({ data: { findingId: existing.id, version, title: input.title, snapshot: snapshotBytes, states: stateBytes, snapshotHash: hash, publishedById: actor.userId } });
    });
    return { findingId: existing.id, version, url: findingUrl(publicUrl, existing.id, version) };
  }
  for (let attempt = 0; ; attempt++) {
    const id = newFindingId();
    try {
      await db.$transaction(async (tx) => {
        await tx.finding.create({
          data: {
            id,
            workspaceId: access.workspaceId,
            datasetId: input.datasetId,
            hypothesisId: input.hypothesisId ?? null,
            visibility: input.visibility ?? "UNLISTED",
            title: input.title,
            latestVersion: 1,
            authorIds,
            createdById: actor.userId,
          },
        });
        await tx.findingVersion.create({ data: { findingId: id, version: 1, title: input.title, snapshot: snapshotBytes, states: stateBytes, snapshotHash: hash, publishedById: actor.userId } });
      });
      return { findingId: id, version: 1, url: findingUrl(publicUrl, id, 1) };
    } catch (e) {
      // 60 random bits: a collision is astronomically rare, but a retry costs nothing
      if (!isUniqueViolation(e) || attempt >= 3) throw e;
    }
  }
}

const FINDING_SELECT = {
  id: true,
  workspaceId: true,
  datasetId: true,
  hypothesisId: true,
  visibility: true,
  title: true,
  latestVersion: true,
  authorIds: true,
  withdrawnAt: true,
  createdAt: true,
  updatedAt: true,
} as const;
type FindingRow = Prisma.FindingGetPayload<{ select: typeof FINDING_SELECT }>;

function canManage(f: Pick<FindingRow, "authorIds" | "visibility">, actor: Actor, role: Role): boolean {
  return f.authorIds.includes(actor.userId) || (role === "OWNER" && f.visibility !== "PRIVATE");
}

/** A member may see it: everything but another's PRIVATE finding. */
function memberSees(f: Pick<FindingRow, "authorIds" | "visibility">, actor: Actor): boolean {
  return f.visibility !== "PRIVATE" || f.authorIds.includes(actor.userId);
}

async function manageable(db: Db, actor: Actor, access: { workspaceId: string; role: Role }, id: string): Promise<FindingRow> {
  const f = await db.finding.findUnique({ where: { id }, select: FINDING_SELECT });
  if (!f || f.workspaceId !== access.workspaceId || !memberSees(f, actor)) throw new AppError("NOT_FOUND", `finding ${id} does not exist in this workspace`);
  if (!canManage(f, actor, access.role)) throw new AppError("FORBIDDEN", `finding "${f.title}" is managed by its authors${f.visibility !== "PRIVATE" ? " and the workspace's OWNERs" : ""}`);
  return f;
}

async function summaries(db: Db, actor: Actor, role: Role, rows: FindingRow[], publicUrl: string): Promise<FindingSummary[]> {
  if (rows.length === 0) return [];
  const latest = await db.findingVersion.findMany({
    where: { OR: rows.map((r) => ({ findingId: r.id, version: r.latestVersion })) },
    select: { findingId: true, publishedAt: true, snapshot: true },
  });
  const byId = new Map(latest.map((v) => [v.findingId, v]));
  return rows.map((r) => {
    const v = byId.get(r.id);
    const snap = v ? ZFindingSnapshot.parse(JSON.parse(Buffer.from(v.snapshot).toString("utf8"))) : null;
    return {
      id: r.id,
      title: r.title,
      visibility: r.visibility,
      latestVersion: r.latestVersion,
      datasetId: r.datasetId,
      datasetName: snap?.dataset.name ?? "",
      hypothesisId: r.hypothesisId,
      authors: snap?.authors.map((a) => a.name) ?? [],
      publishedAt: v?.publishedAt ?? r.updatedAt,
      withdrawnAt: r.withdrawnAt,
      url: findingUrl(publicUrl, r.id),
      canManage: canManage(r, actor, role),
    };
  });
}

/** The workspace's findings this member may see, newest first. */
export async function listFindings(db: Db, actor: Actor, access: { workspaceId: string; role: Role }, raw: unknown, publicUrl: string): Promise<FindingSummary[]> {
  const input = parseInput(ZFindingListInput, raw, "finding list request");
  // a filter naming another workspace's dataset or hypothesis is NOT_FOUND, as every other id is
  if (input.datasetId && !(await db.dataset.findFirst({ where: { id: input.datasetId, workspaceId: access.workspaceId }, select: { id: true } })))
    throw new AppError("NOT_FOUND", `dataset ${input.datasetId} not found in this workspace`);
  if (input.hypothesisId && !(await db.hypothesis.findFirst({ where: { id: input.hypothesisId, dataset: { workspaceId: access.workspaceId } }, select: { id: true } })))
    throw new AppError("NOT_FOUND", `hypothesis ${input.hypothesisId} not found in this workspace`);
  const rows = await db.finding.findMany({
    where: {
      workspaceId: access.workspaceId,
      ...(input.datasetId ? { datasetId: input.datasetId } : {}),
      ...(input.hypothesisId ? { hypothesisId: input.hypothesisId } : {}),
      OR: [{ visibility: { not: "PRIVATE" } }, { authorIds: { has: actor.userId } }],
    },
    orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
    take: input.limit,
    select: FINDING_SELECT,
  });
  return summaries(db, actor, access.role, rows, publicUrl);
}

export async function setFindingVisibility(db: Db, actor: Actor, access: { workspaceId: string; role: Role }, id: string, visibilityRaw: Visibility, publicUrl: string): Promise<FindingSummary> {
  const visibility = parseInput(ZVisibility, visibilityRaw, "visibility");
  const f = await manageable(db, actor, access, id);
  if (f.withdrawnAt) throw new AppError("CONFLICT", `finding "${f.title}" was withdrawn: its visibility no longer matters`);
  if (visibility === "PRIVATE" && !f.authorIds.includes(actor.userId)) throw new AppError("FORBIDDEN", `only an author of "${f.title}" can make it private`);
  const row = await db.finding.update({ where: { id }, data: { visibility }, select: FINDING_SELECT });
  return (await summaries(db, actor, access.role, [row], publicUrl))[0]!;
}

/** Withdraws a finding for good: every URL of it answers 410 with a tombstone from now on. */
export async function withdrawFinding(db: Db, actor: Actor, access: { workspaceId: string; role: Role }, id: string, publicUrl: string): Promise<FindingSummary> {
  const f = await manageable(db, actor, access, id);
  if (f.withdrawnAt) return (await summaries(db, actor, access.role, [f], publicUrl))[0]!;
  const row = await db.finding.update({ where: { id }, data: { withdrawnAt: new Date(), withdrawnById: actor.userId }, select: FINDING_SELECT });
  return (await summaries(db, actor, access.role, [row], publicUrl))[0]!;
}

/** Published, not withdrawn findings of a dataset (deleting the dataset names them). */
export async function datasetFindings(db: Db, datasetId: string): Promise<{ id: string; title: string }[]> {
  return db.finding.findMany({ where: { datasetId, withdrawnAt: null }, orderBy: { createdAt: "asc" }, select: { id: true, title: true } });
}

export async function updateDatasetMeta(db: Db, access: { workspaceId: string; role: Role }, raw: unknown) {
  const input = parseInput(ZDatasetMetaInput, raw, "dataset description");
  if (ROLE_RANK[access.role] < ROLE_RANK.EDITOR) throw new AppError("FORBIDDEN", `editing a dataset's description needs the EDITOR role; you are ${access.role}`);
  const ds = await db.dataset.findUnique({ where: { id: input.datasetId }, select: { workspaceId: true } });
  if (!ds || ds.workspaceId !== access.workspaceId) throw new AppError("NOT_FOUND", `dataset ${input.datasetId} does not exist in this workspace`);
  return db.dataset.update({
    where: { id: input.datasetId },
    data: { ...(input.description !== undefined ? { description: input.description } : {}), ...(input.citation !== undefined ? { citation: input.citation } : {}) },
    select: { description: true, citation: true, contentHash: true },
  });
}

// ---------------------------------------------------------------------------
// Reading (the /f routes; the actor may be a stranger)

export interface FindingVersionInfo {
  version: number;
  title: string;
  publishedAt: Date;
}

export type FindingRead =
  | { status: "not-found" }
  | { status: "withdrawn"; withdrawnAt: Date; title: string }
  | {
      status: "ok";
      id: string;
      version: number;
      latestVersion: number;
      visibility: Visibility;
      publishedAt: Date;
      snapshotHash: string;
      data: FindingData;
      versions: FindingVersionInfo[];
      /** For members: where "Open in workspace" goes. */
      member: { workspaceSlug: string; datasetId: string | null } | null;
    };

/** Decoded versions: immutable, so a version decoded once serves every later request. */
const decoded = new Map<string, FindingData>();
const DECODED_MAX = 64;

/** Forgets decoded versions and cached renders (tests). */
export function resetFindingCaches(): void {
  decoded.clear();
  resetFigureCaches();
}

function decodeVersion(key: string, snapshot: Uint8Array, states: Uint8Array): FindingData {
  const hit = decoded.get(key);
  if (hit) return hit;
  const s = ZFindingSnapshot.parse(JSON.parse(Buffer.from(snapshot).toString("utf8")));
  const data: FindingData = { snapshot: s, states: unpackStates(s, states) };
  if (decoded.size >= DECODED_MAX) decoded.delete(decoded.keys().next().value!);
  decoded.set(key, data);
  return data;
}

/**
 * A finding as `viewer` may read it (null: a stranger; "admin": the command line, which acts as
 * the machine's administrator): version `version`, else the latest.
 * "not-found" for anything they may not see, a version that does not exist, or a bad id.
 */
export async function readFinding(db: Db, viewer: Actor | null | "admin", id: string, version?: number): Promise<FindingRead> {
  const f = await db.finding.findUnique({ where: { id }, select: { ...FINDING_SELECT, workspace: { select: { slug: true } } } });
  if (!f) return { status: "not-found" };
  const actor = viewer === "admin" ? null : viewer;
  const membership = actor ? await db.membership.findUnique({ where: { workspaceId_userId: { workspaceId: f.workspaceId, userId: actor.userId } }, select: { role: true } }) : null;
  const visible =
    viewer === "admin" ||
    f.visibility === "PUBLIC" ||
    f.visibility === "UNLISTED" ||
    (f.visibility === "WORKSPACE" && membership !== null) ||
    (f.visibility === "PRIVATE" && actor !== null && membership !== null && f.authorIds.includes(actor.userId));
  if (!visible) return { status: "not-found" };
  if (f.withdrawnAt) return { status: "withdrawn", withdrawnAt: f.withdrawnAt, title: f.title };
  const n = version ?? f.latestVersion;
  if (!Number.isSafeInteger(n) || n < 1 || n > f.latestVersion) return { status: "not-found" };
  const [v, versions] = await Promise.all([
    db.findingVersion.findUnique({ where: { findingId_version: { findingId: id, version: n } }, select: { snapshot: true, states: true, snapshotHash: true, publishedAt: true } }),
    db.findingVersion.findMany({ where: { findingId: id }, orderBy: { version: "asc" }, select: { version: true, title: true, publishedAt: true } }),
  ]);
  if (!v) return { status: "not-found" };
  return {
    status: "ok",
    id,
    version: n,
    latestVersion: f.latestVersion,
    visibility: f.visibility,
    publishedAt: v.publishedAt,
    snapshotHash: v.snapshotHash,
    data: decodeVersion(`${id}@${n}:${v.snapshotHash}`, v.snapshot, v.states),
    versions,
    member: membership ? { workspaceSlug: f.workspace.slug, datasetId: f.datasetId } : null,
  };
}

/** The public findings of a workspace (its /p/<slug> page); null when it has none (or no such slug). */
export async function publicFindings(db: Db, slug: string): Promise<{ name: string; findings: { id: string; title: string; authors: string[]; publishedAt: Date; version: number }[] } | null> {
  const ws = await db.workspace.findUnique({ where: { slug }, select: { id: true, name: true } });
  if (!ws) return null;
  const rows = await db.finding.findMany({
    where: { workspaceId: ws.id, visibility: "PUBLIC", withdrawnAt: null },
    orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
    take: 500,
    select: { id: true, title: true, latestVersion: true },
  });
  if (rows.length === 0) return null;
  const versions = await db.findingVersion.findMany({ where: { OR: rows.map((r) => ({ findingId: r.id, version: r.latestVersion })) }, select: { findingId: true, publishedAt: true, snapshot: true } });
  const byId = new Map(versions.map((v) => [v.findingId, v]));
  return {
    name: ws.name,
    findings: rows.map((r) => {
      const v = byId.get(r.id)!;
      const s = ZFindingSnapshot.parse(JSON.parse(Buffer.from(v.snapshot).toString("utf8")));
      return { id: r.id, title: r.title, authors: s.authors.map((a) => a.name), publishedAt: v.publishedAt, version: r.latestVersion };
    }),
  };
}
