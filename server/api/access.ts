/**
 * Who may call what: the one table of every tRPC procedure's, route handler's and sync action's
 * minimum access. The routers build each procedure with a role; `server/api/authz-matrix.int.test.ts`
 * fails when a procedure's role differs from this table (or one is missing here), and calls every
 * procedure and route with each role below its minimum (FORBIDDEN) and with another workspace's
 * ids (NOT_FOUND / FORBIDDEN). Changing a row is a reviewed decision; SECURITY.md describes it.
 *
 * Some VIEWER procedures have a rule on the record too (enforced in the service, tested in the
 * collaboration tests): a member edits and deletes their own comments and resolves the threads
 * they started; EDITORs and OWNERs resolve any thread.
 */
import type { ClassRole } from "@/server/services/classroom/schemas";
import type { Role } from "@/server/services/schemas";

/**
 * "public": no session; "user": any signed-in user, not scoped to a workspace; "session": a
 * participant of a classroom session (its minimum session role is in SESSION_ACCESS); else the
 * minimum role in the workspace.
 */
export type Access = "public" | "user" | "session" | Role;

export const PROCEDURE_ACCESS = {
  health: "public",
  "auth.signUp": "public",
  "invite.preview": "public",
  "workspace.list": "user",
  "workspace.create": "user",
  "invite.accept": "user",
  "token.list": "user",
  "token.create": "user",
  "token.revoke": "user",

  "workspace.get": "VIEWER",
  "workspace.members": "VIEWER",
  "workspace.rename": "OWNER",
  "workspace.changeRole": "OWNER",
  "workspace.removeMember": "OWNER",
  "invite.create": "OWNER",
  "invite.list": "OWNER",
  "invite.revoke": "OWNER",
  "sync.token": "VIEWER",

  "dataset.list": "VIEWER",
  "dataset.get": "VIEWER",
  "dataset.tokens": "VIEWER",
  "dataset.search": "VIEWER",
  "dataset.states": "VIEWER",
  "dataset.meta": "VIEWER",
  "dataset.windows": "VIEWER",
  "dataset.importProgress": "VIEWER",
  "dataset.cancelImport": "EDITOR",
  "dataset.delete": "EDITOR",
  "match.run": "VIEWER",
  "match.result": "VIEWER",

  "hypothesis.list": "VIEWER",
  "hypothesis.get": "VIEWER",
  "hypothesis.versions": "VIEWER",
  "hypothesis.create": "EDITOR",
  "hypothesis.update": "EDITOR",
  "hypothesis.delete": "EDITOR",
  "annotation.categories": "VIEWER",
  "annotation.list": "VIEWER",
  "annotation.exportCsv": "VIEWER",
  "annotation.createCategory": "EDITOR",
  "annotation.create": "EDITOR",
  "annotation.delete": "EDITOR",
  "annotation.importCsv": "EDITOR",
  "comment.threads": "VIEWER",
  "comment.thread": "VIEWER",
  "comment.inbox": "VIEWER",
  "comment.markRead": "VIEWER",
  "comment.createThread": "VIEWER",
  "comment.reply": "VIEWER",
  "comment.edit": "VIEWER",
  "comment.delete": "VIEWER",
  "comment.setResolved": "VIEWER",
  "analysis.cells": "VIEWER",
  "analysis.guide": "VIEWER",
  "analysis.compare": "VIEWER",
  "analysis.partners": "VIEWER",
  "analysis.status": "VIEWER",
  "analysis.evidence": "VIEWER",
  "finding.publish": "EDITOR",
  "finding.list": "VIEWER",
  "finding.setVisibility": "VIEWER",
  "finding.withdraw": "VIEWER",
  "finding.datasetMeta": "EDITOR",
  "events.onDataset": "VIEWER",
  "events.onInbox": "VIEWER",

  "classroom.start": "EDITOR",
  "classroom.join": "public",
  "classroom.state": "session",
  "classroom.ticket": "session",
  "classroom.lock": "session",
  "classroom.remove": "session",
  "classroom.present": "session",
  "classroom.promote": "session",
  "classroom.demote": "session",
  "classroom.pose": "session",
  "classroom.tasks": "session",
  "classroom.answer": "session",
  "classroom.reveal": "session",
  "classroom.step": "session",
  "classroom.archive": "public",
  "classroom.archiveFrame": "public",
  "classroom.end": "session",
} as const satisfies Record<string, Access>;

/**
 * Classroom procedures (access "session"): the minimum role inside the session, from the caller's
 * session credential (a guest) or their account's participant. Workspace roles count only when
 * joining (an EDITOR/OWNER joins as TA).
 */
export const SESSION_ACCESS = {
  "classroom.state": "STUDENT",
  "classroom.ticket": "STUDENT",
  "classroom.lock": "TA",
  "classroom.remove": "TA",
  "classroom.present": "TA",
  "classroom.promote": "INSTRUCTOR",
  "classroom.demote": "INSTRUCTOR",
  "classroom.pose": "TA",
  "classroom.tasks": "STUDENT",
  "classroom.answer": "STUDENT",
  "classroom.reveal": "TA",
  /** the current presenter only (service rule) */
  "classroom.step": "STUDENT",
  "classroom.end": "INSTRUCTOR",
} as const satisfies Record<string, ClassRole>;

/**
 * What a classroom participant's session credential reaches besides the classroom procedures:
 * exploring the session's dataset (reads and match runs), as a VIEWER of that one dataset — any
 * other dataset id, workspace, procedure or route refuses it (server/api/classroom-authz.int.test.ts
 * calls every procedure and route as a guest).
 */
export const CLASSROOM_DATA: ReadonlySet<string> = new Set([
  "dataset.get",
  "dataset.tokens",
  "dataset.search",
  "dataset.states",
  "dataset.meta",
  "dataset.windows",
  "match.run",
  "match.result",
  "GET /api/w/[slug]/datasets/[datasetId]/states",
]);

export type ProcedurePath = keyof typeof PROCEDURE_ACCESS;

/**
 * Mutations a VIEWER may call, each for a reason; every other workspace mutation needs EDITOR or
 * more (the matrix test checks it), so lowering a write takes two edits here, not one.
 */
export const VIEWER_MUTATIONS: Readonly<Record<string, string>> = {
  "comment.createThread": "commenting is how viewers take part",
  "comment.reply": "commenting is how viewers take part",
  "comment.edit": "their own comments only (service rule)",
  "comment.delete": "their own comments only (service rule)",
  "comment.setResolved": "threads they started only (service rule)",
  "comment.markRead": "their own inbox",
  "match.run": "a read: runs or reads a cached match query",
  "analysis.cells": "a read: computes (or reads the cached) statistics of the dataset, stores nothing members see",
  "analysis.guide": "a read, like analysis.cells",
  "analysis.compare": "a read, like analysis.cells",
  "analysis.partners": "a read, like analysis.cells",
  "analysis.evidence": "a read sent as POST only because its ranges do not fit a URL",
  "finding.setVisibility": "its authors only (service rule: a member named as an author, or a workspace OWNER unless private)",
  "finding.withdraw": "its authors only (service rule, as finding.setVisibility)",
  "sync.token": "joining the room read-only (the sync server refuses a viewer's document updates)",
};

/** Route handlers under app/api/w/[slug]/… (method + path). */
export const ROUTE_ACCESS = {
  "POST /api/w/[slug]/datasets/upload": "EDITOR",
  "POST /api/w/[slug]/datasets/extract": "EDITOR",
  "GET /api/w/[slug]/datasets/[datasetId]/states": "VIEWER",
} as const satisfies Record<string, Role>;

/**
 * Reached with a secret in the URL, not a session: a class session's archive (`classroom.archive`;
 * `classroom.archiveFrame`, the window of the session's dataset one recorded step showed; the page
 * /c/a/<token> and its CSV route /c/a/<token>/answers.csv). The token is 128 random bits.
 */
export const TOKEN_ROUTES = {
  "GET /c/a/[token]": "archive token",
  "GET /c/a/[token]/answers.csv": "archive token; the answers once the class ended",
} as const;

/**
 * The HTTP API (/api/v1, personal API tokens as `Authorization: Bearer ssc_…`): each operation's
 * minimum role in the workspace and the token scope it needs. A token acts with its user's current
 * role, never more; a read token may read (matches and searches included), a write token may also
 * upload, extract and write records. Tokens never create workspaces (no such operation).
 */
export const API_ACCESS = {
  "GET /api/v1/workspaces/{slug}/datasets": { role: "VIEWER", scope: "read" },
  "POST /api/v1/workspaces/{slug}/datasets": { role: "EDITOR", scope: "write" },
  "GET /api/v1/workspaces/{slug}/datasets/{datasetId}": { role: "VIEWER", scope: "read" },
  "PATCH /api/v1/workspaces/{slug}/datasets/{datasetId}": { role: "EDITOR", scope: "write" },
  "GET /api/v1/workspaces/{slug}/datasets/{datasetId}/states": { role: "VIEWER", scope: "read" },
  "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/matches": { role: "VIEWER", scope: "read" },
  "GET /api/v1/workspaces/{slug}/matches/{key}": { role: "VIEWER", scope: "read" },
  "GET /api/v1/workspaces/{slug}/datasets/{datasetId}/hypotheses": { role: "VIEWER", scope: "read" },
  "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/hypotheses": { role: "EDITOR", scope: "write" },
  "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/evidence": { role: "VIEWER", scope: "read" },
  "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/analyses": { role: "VIEWER", scope: "read" },
  "GET /api/v1/workspaces/{slug}/analyses/{key}": { role: "VIEWER", scope: "read" },
  "POST /api/v1/workspaces/{slug}/extractions": { role: "EDITOR", scope: "write" },
  "GET /api/v1/workspaces/{slug}/findings": { role: "VIEWER", scope: "read" },
  "POST /api/v1/workspaces/{slug}/findings": { role: "EDITOR", scope: "write" },
  "GET /api/v1/workspaces/{slug}/findings/{findingId}/files/{file}": { role: "VIEWER", scope: "read" },
  "POST /api/v1/workspaces/{slug}/uploads": { role: "EDITOR", scope: "write" },
  "GET /api/v1/workspaces/{slug}/uploads/{uploadId}": { role: "EDITOR", scope: "write" },
  "PATCH /api/v1/workspaces/{slug}/uploads/{uploadId}": { role: "EDITOR", scope: "write" },
} as const satisfies Record<string, ApiAccess>;

export interface ApiAccess {
  role: Role;
  scope: "read" | "write";
}
export type ApiRoute = keyof typeof API_ACCESS;

/** The realtime room of a dataset (server/sync): joining it, and changing the shared document. */
export const SYNC_ACCESS = {
  /** Connect, receive the document and everyone's presence, publish one's own presence. */
  join: "VIEWER",
  /** Send document updates (view, markers, notes, spotlight): a viewer's are refused. */
  write: "EDITOR",
} as const satisfies Record<string, Role>;

/**
 * A classroom session's room (`class:<id>`): the sync role each session role gets
 * (services/classroom/sessions.ts `syncRoleOf`). Students are read-only listeners (their document
 * updates are dropped) whose presence reaches the instructor and TAs only; the presenter — whoever
 * holds the role, a student too — writes the shared view.
 */
export const CLASS_SYNC_ROLES = {
  INSTRUCTOR: "OWNER",
  TA: "EDITOR",
  presenter: "EDITOR",
  STUDENT: "VIEWER",
} as const satisfies Record<ClassRole | "presenter", Role>;

const byAccess = (a: Access) => new Set(Object.entries(PROCEDURE_ACCESS).flatMap(([p, x]) => (x === a ? [p] : [])));

/** Procedures reachable without a session. */
export const PUBLIC_PROCEDURES: ReadonlySet<string> = byAccess("public");
/** Procedures for any signed-in user that are deliberately not scoped to one workspace. */
export const USER_PROCEDURES: ReadonlySet<string> = byAccess("user");
/** Classroom procedures: scoped to one session, by session role (SESSION_ACCESS). */
export const SESSION_PROCEDURES: ReadonlySet<string> = byAccess("session");
