"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { useTRPC } from "@/app/_lib/trpc";
import { useRecords, type ThreadDraft } from "./records-context";
import { restoredView } from "./hypotheses-panel";
import { useIdempotencyKey } from "./idempotency";
import { MentionInput } from "./mention-input";
import { threadViewState } from "./thread-view";
import type { Comment, Hypothesis, ThreadSummary } from "./types";
import { Avatar, ErrorLine, personName, Time } from "./ui";

type Status = "open" | "resolved" | "all";

/** Comment threads of this dataset: anchored to a token range (+ cells) or to a hypothesis. */
export function CommentsPanel({ view }: { view: ExplorerView }) {
  const c = useRecords();
  if (c.threadId) return <ThreadView id={c.threadId} view={view} />;
  return <ThreadList view={view} />;
}

function useThreads() {
  const c = useRecords();
  const trpc = useTRPC();
  return useQuery(trpc.comment.threads.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
}

/** The dataset's hypotheses by id (the list the Hypotheses tab shows, from the cache). */
function useHypotheses(): Map<string, Hypothesis> {
  const c = useRecords();
  const trpc = useTRPC();
  const q = useQuery(trpc.hypothesis.list.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  return new Map((q.data ?? []).map((h) => [h.id, h]));
}

export function anchorLabel(t: Pick<ThreadSummary, "hypothesisId" | "start" | "end" | "cells">, hyps: Map<string, Hypothesis>): string {
  if (t.hypothesisId) return `on “${hyps.get(t.hypothesisId)?.name ?? "a hypothesis"}”`;
  if (t.start === null || t.end === null) return "on this dataset";
  return `steps ${t.start}–${t.end - 1}${t.cells.length ? ` · ${t.cells.length} cell${t.cells.length === 1 ? "" : "s"}` : ""}`;
}

function ThreadList({ view }: { view: ExplorerView }) {
  const c = useRecords();
  const threads = useThreads();
  const hyps = useHypotheses();
  const [status, setStatus] = useState<Status>("open");
  const b = view.state.brush;
  const all = threads.data ?? [];
  const shown = all.filter((t) => status === "all" || (status === "open" ? !t.resolvedAt : !!t.resolvedAt));
  const open = all.filter((t) => !t.resolvedAt).length;
  return (
    <div className="collab-section" data-testid="comments-panel">
      <div className="section-actions">
        <button
          type="button"
          className="small"
          disabled={!b || !c.canComment}
          title={b ? `Start a thread on steps ${b[0]}–${b[1] - 1}` : "brush a token range first to comment on it"}
          onClick={() => c.setDraft({ kind: "range" })}
          data-testid="new-thread"
        >
          Comment on the brushed range
        </button>
        {!b && c.canComment && <span className="muted hint">brush a range to comment on it</span>}
      </div>
      {c.draft && <NewThread draft={c.draft} view={view} />}
      <div className="segmented" role="tablist" aria-label="Thread status">
        {(["open", "resolved", "all"] as const).map((s) => (
          <button key={s} type="button" role="tab" aria-selected={status === s} className={status === s ? "on" : ""} onClick={() => setStatus(s)}>
            {s === "open" ? `open (${open})` : s === "resolved" ? `resolved (${all.length - open})` : "all"}
          </button>
        ))}
      </div>
      {threads.isPending && <p className="muted empty-line">Loading threads…</p>}
      <ErrorLine error={threads.error} prefix="Could not load the comments" />
      {threads.isSuccess && all.length === 0 && (
        <div className="collab-empty" data-testid="comments-empty">
          <strong>No comments yet</strong>
          <p>Brush a token range and comment on it (mention someone with @), or comment on a saved hypothesis. Threads show as markers above the tokens.</p>
        </div>
      )}
      {threads.isSuccess && all.length > 0 && shown.length === 0 && <p className="muted empty-line">No {status} threads.</p>}
      <ul className="record-list" data-testid="thread-list">
        {shown.map((t) => (
          <ThreadItem key={t.id} t={t} hyps={hyps} />
        ))}
      </ul>
    </div>
  );
}

function ThreadItem({ t, hyps }: { t: ThreadSummary; hyps: Map<string, Hypothesis> }) {
  const c = useRecords();
  return (
    <li className={`record thread-item${t.resolvedAt ? " resolved" : ""}`} data-testid="thread-item" data-id={t.id}>
      <button type="button" className="thread-open" onClick={() => c.openThread(t.id)}>
        <span className="record-head">
          <Avatar id={t.first?.author?.id} name={personName(t.first?.author)} size={18} />
          <strong>{personName(t.first?.author)}</strong>
          <span className="muted small-text">{anchorLabel(t, hyps)}</span>
          {t.resolvedAt && <span className="badge">resolved</span>}
        </span>
        <span className="record-body clamp">{t.first?.deletedAt || !t.first ? <em className="muted">comment deleted</em> : t.first.body}</span>
        <span className="muted small-text">
          {t.commentCount > 1 ? `${t.commentCount - 1} repl${t.commentCount === 2 ? "y" : "ies"} · ` : ""}
          <Time at={t.updatedAt} />
        </span>
      </button>
    </li>
  );
}

function NewThread({ draft, view }: { draft: ThreadDraft; view: ExplorerView }) {
  const c = useRecords();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [body, setBody] = useState("");
  const [withCells, setWithCells] = useState(true);
  const [key, renew] = useIdempotencyKey();
  const b = view.state.brush;
  const li = Math.min(view.state.match.layer, view.state.layers.length - 1);
  const layer = view.state.layers[li];
  const cells = view.selections[li] ?? [];
  const create = useMutation(
    trpc.comment.createThread.mutationOptions({
      onSuccess: (t) => {
        renew();
        setBody("");
        c.setDraft(null);
        void qc.invalidateQueries(trpc.comment.pathFilter());
        c.openThread(t.id);
      },
    }),
  );
  const submit = () => {
    if (!body.trim() || create.isPending) return;
    if (draft.kind === "hypothesis") {
      create.mutate({ workspace: c.workspace, datasetId: c.datasetId, anchor: { kind: "hypothesis", hypothesisId: draft.hypothesisId }, body: body.trim(), idempotencyKey: key });
    } else if (b && layer) {
      create.mutate({
        workspace: c.workspace,
        datasetId: c.datasetId,
        anchor: { kind: "range", source: layer.source, start: b[0], end: b[1], cells: withCells ? cells : [] },
        body: body.trim(),
        idempotencyKey: key,
      });
    }
  };
  const missingRange = draft.kind === "range" && !b;
  return (
    <form
      className="record-form"
      data-testid="thread-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="form-summary">
        {draft.kind === "hypothesis" ? (
          <>New thread on “{draft.name}”</>
        ) : b ? (
          <>
            New thread on steps <span className="mono">{b[0]}–{b[1] - 1}</span>
            {layer && <span className="muted"> of {layer.source}</span>}
          </>
        ) : (
          <span className="muted">Brush a token range to anchor the thread.</span>
        )}
      </div>
      {draft.kind === "range" && cells.length > 0 && (
        <label className="check">
          <input type="checkbox" checked={withCells} onChange={(e) => setWithCells(e.target.checked)} /> include the {cells.length} selected cell{cells.length === 1 ? "" : "s"}
        </label>
      )}
      <MentionInput value={body} onChange={setBody} onSubmit={submit} placeholder="Write a comment… @ to mention" label="Comment" autoFocus testId="thread-body" />
      <ErrorLine error={create.error} prefix="Not posted (press Post to retry; it will not post twice)" />
      <div className="form-actions">
        <button type="submit" className="small" disabled={!body.trim() || create.isPending || missingRange} data-testid="thread-submit">
          {create.isPending ? "Posting…" : "Post"}
        </button>
        <button type="button" className="ghost small" onClick={() => c.setDraft(null)}>Cancel</button>
        <span className="muted hint">Ctrl+Enter posts</span>
      </div>
    </form>
  );
}

function ThreadView({ id, view }: { id: string; view: ExplorerView }) {
  const c = useRecords();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const thread = useQuery(trpc.comment.thread.queryOptions({ workspace: c.workspace, id }));
  const hyps = useHypotheses();
  const [reply, setReply] = useState("");
  const [key, renew] = useIdempotencyKey();
  const [resolveKey, renewResolveKey] = useIdempotencyKey();
  const invalidate = () => void qc.invalidateQueries(trpc.comment.pathFilter());
  const post = useMutation(
    trpc.comment.reply.mutationOptions({
      onSuccess: () => {
        renew();
        setReply("");
        invalidate();
      },
    }),
  );
  const resolve = useMutation(trpc.comment.setResolved.mutationOptions({ onSuccess: () => (renewResolveKey(), invalidate()) }));
  const t = thread.data;
  const canResolve = c.canWrite || (c.canComment && !!t && t.createdBy?.id === c.userId);
  const hyp = t?.hypothesisId ? hyps.get(t.hypothesisId) : undefined;
  const show = () => {
    if (!t) return;
    // a hypothesis opens unpinned when the brush rule gives its cells (restoredView)
    if (hyp) void restoredView(hyp, view).then(c.goTo);
    else {
      const v = threadViewState(t, view.state);
      if (v) c.goTo(v);
    }
  };
  // a link from the mention inbox asks for exactly this view once the thread is here
  const ready = !!t && (!t.hypothesisId || !!hyp);
  useEffect(() => {
    if (ready && c.pendingShow === id) {
      c.clearPendingShow();
      show();
    }
  }, [ready, c.pendingShow, id]);
  const submit = () => {
    if (reply.trim() && !post.isPending) post.mutate({ workspace: c.workspace, threadId: id, body: reply.trim(), idempotencyKey: key });
  };
  return (
    <div className="collab-section thread-view" data-testid="thread-view" data-id={id}>
      <div className="section-row">
        <button type="button" className="ghost small" onClick={() => c.openThread(null)} aria-label="Back to all threads">← threads</button>
        <span className="spacer" />
        {t && (
          <span className="write-wrap" title={canResolve ? undefined : "a viewer can resolve or reopen only the threads they started"}>
            <button
              type="button"
              className="secondary small"
              disabled={!canResolve || resolve.isPending}
              onClick={() => resolve.mutate({ workspace: c.workspace, threadId: id, resolved: !t.resolvedAt, idempotencyKey: resolveKey })}
              data-testid="thread-resolve"
            >
              {t.resolvedAt ? "Reopen" : "Resolve"}
            </button>
          </span>
        )}
      </div>
      {thread.isPending && <p className="muted empty-line">Loading the thread…</p>}
      <ErrorLine error={thread.error} prefix="Could not open the thread" />
      <ErrorLine error={resolve.error} />
      {t && (
        <>
          <div className="thread-anchor">
            <span>{anchorLabel(t, hyps)}</span>
            {t.source && !t.hypothesisId && <span className="muted"> · {t.source}</span>}
            <button type="button" className="linkish" onClick={show} data-testid="thread-show">show in view</button>
          </div>
          {t.resolvedAt && (
            <p className="muted small-text">
              Resolved by {personName(t.resolvedBy)} <Time at={t.resolvedAt} />
            </p>
          )}
          <ol className="comments">
            {t.comments.map((m) => (
              <CommentItem key={m.id} m={m} />
            ))}
          </ol>
          {c.canComment && (
            <form
              className="record-form reply"
              onSubmit={(e) => {
                e.preventDefault();
                submit();
              }}
            >
              <MentionInput value={reply} onChange={setReply} onSubmit={submit} placeholder="Reply… @ to mention" label="Reply" testId="reply-body" />
              <ErrorLine error={post.error} prefix="Not posted (press Reply to retry; it will not post twice)" />
              <div className="form-actions">
                <button type="submit" className="small" disabled={!reply.trim() || post.isPending} data-testid="reply-submit">{post.isPending ? "Posting…" : "Reply"}</button>
                <span className="muted hint">Ctrl+Enter posts</span>
              </div>
            </form>
          )}
        </>
      )}
    </div>
  );
}

function CommentItem({ m }: { m: Comment }) {
  const c = useRecords();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(m.body);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [editKey, renewEditKey] = useIdempotencyKey();
  const [deleteKey] = useIdempotencyKey();
  const invalidate = () => void qc.invalidateQueries(trpc.comment.pathFilter());
  const edit = useMutation(trpc.comment.edit.mutationOptions({ onSuccess: () => (setEditing(false), renewEditKey(), invalidate()) }));
  const del = useMutation(trpc.comment.delete.mutationOptions({ onSuccess: invalidate }));
  const saveEdit = () => {
    if (text.trim() && !edit.isPending) edit.mutate({ workspace: c.workspace, commentId: m.id, body: text.trim(), idempotencyKey: editKey });
  };
  const mine = m.author?.id === c.userId && c.canComment;
  if (m.deletedAt) {
    return (
      <li className="comment deleted" data-testid="comment">
        <span className="muted">comment deleted</span>
      </li>
    );
  }
  return (
    <li className="comment" data-testid="comment">
      <div className="comment-head">
        <Avatar id={m.author?.id} name={personName(m.author)} size={20} />
        <strong>{personName(m.author)}</strong>
        <span className="muted small-text">
          <Time at={m.createdAt} />
          {m.editedAt && <span title={`edited ${new Date(m.editedAt).toLocaleString()}`}> · edited</span>}
        </span>
        <span className="spacer" />
        {mine && !editing && (
          <>
            <button type="button" className="ghost small" onClick={() => (setText(m.body), setEditing(true))}>Edit</button>
            <button type="button" className="ghost small danger-text" onClick={() => setConfirmDelete(true)}>Delete</button>
          </>
        )}
      </div>
      {editing ? (
        <form
          className="record-form"
          onSubmit={(e) => {
            e.preventDefault();
            saveEdit();
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") setEditing(false);
          }}
        >
          <MentionInput value={text} onChange={setText} onSubmit={saveEdit} placeholder="" label="Edit comment" autoFocus />
          <ErrorLine error={edit.error} prefix="Not saved" />
          <div className="form-actions">
            <button type="submit" className="small" disabled={edit.isPending || !text.trim()}>Save</button>
            <button type="button" className="ghost small" onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </form>
      ) : (
        <p className="comment-body">{renderBody(m.body)}</p>
      )}
      {confirmDelete && (
        <div className="confirm" role="alertdialog" aria-label="Delete comment">
          <span>Delete this comment? The thread keeps a “comment deleted” line.</span>
          <ErrorLine error={del.error} prefix="Not deleted" />
          <div className="form-actions">
            <button type="button" className="small danger" autoFocus disabled={del.isPending} onClick={() => del.mutate({ workspace: c.workspace, commentId: m.id, idempotencyKey: deleteKey })}>Delete</button>
            <button type="button" className="ghost small" onClick={() => setConfirmDelete(false)}>Cancel</button>
          </div>
        </div>
      )}
    </li>
  );
}

/** The body with @handles highlighted. */
function renderBody(body: string) {
  const parts = body.split(/(^|\s)(@[\w.+-]+)/g);
  return parts.map((p, i) => (p.startsWith("@") ? <span key={i} className="mention">{p}</span> : p));
}
