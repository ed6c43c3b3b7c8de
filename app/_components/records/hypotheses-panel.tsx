"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { hypothesisFromView, hypothesisViewState, type HypothesisView } from "@statescope/collab";
import { DEFAULT_K, type ExplorerViewState } from "@statescope/core";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { computeSelection } from "@/app/_components/explorer/select-view";
import { PublishButton } from "@/app/_components/findings/publish-dialog";
import { useTRPC } from "@/app/_lib/trpc";
import { explorerKey, useRecords } from "./records-context";
import { FrozenEvidence } from "@/app/_components/analysis/frozen-evidence";
import { useShownResult } from "./frozen-result";
import type { Hypothesis } from "./types";
import { Avatar, ErrorLine, personName, Time, WriteButton } from "./ui";

const MAX_TAGS = 20;

function parseTags(s: string): string[] {
  return [...new Set(s.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean))].slice(0, MAX_TAGS);
}

function shortSource(s: string): string {
  const i = s.lastIndexOf("::");
  return i >= 0 ? s.slice(i + 2) : s;
}

function summary(h: Pick<HypothesisView, "source" | "start" | "end" | "threshold" | "cells" | "padLeft" | "padRight">): string {
  return `${shortSource(h.source)} · steps ${h.start}–${h.end - 1} · ${h.cells.length} cell${h.cells.length === 1 ? "" : "s"} ≥ ${h.threshold.toFixed(3)} · pad ${h.padLeft}/${h.padRight}`;
}

/** The record fields of a view, as the API takes them. */
function fieldsOf(v: HypothesisView) {
  return {
    source: v.source,
    start: v.start,
    end: v.end,
    padLeft: v.padLeft,
    padRight: v.padRight,
    threshold: v.threshold,
    cells: [...v.cells],
    addedCells: [...v.addedCells],
    excludedCells: [...v.excludedCells],
    mode: v.mode === "fast" ? ("fast" as const) : ("precise" as const),
    length: v.length,
  };
}

/**
 * The view a hypothesis opens: unpinned (the brush rule plus its edits, as when it was saved from
 * a brush) when that gives exactly the saved cells on the data, else the saved cells pinned.
 */
export async function restoredView(h: HypothesisView, view: ExplorerView): Promise<ExplorerViewState> {
  const pinned = hypothesisViewState(h, view.state);
  const src = view.info.sources.find((s) => s.name === h.source);
  if (!src) return pinned;
  try {
    const lo = Math.max(0, h.start - h.padLeft);
    const hi = Math.min(src.steps, h.end + h.padRight);
    const matrix = await view.data.states(h.source, lo, hi);
    const free = hypothesisViewState(h, view.state, { pin: false });
    const cells = computeSelection(free.layers[0]!, src, free, { matrix, origin: lo });
    return cells && cells.join() === [...h.cells].join() ? free : pinned;
  } catch {
    return pinned; // the pinned view is exact without reading the data
  }
}

const sameView = (a: HypothesisView, b: HypothesisView) =>
  a.source === b.source && a.start === b.start && a.end === b.end && a.threshold === b.threshold && a.padLeft === b.padLeft && a.padRight === b.padRight && a.cells.join() === b.cells.join();

/** Saved hypotheses of this dataset: save the current view, filter, open, edit (versions), delete. */
export function HypothesesPanel({ view }: { view: ExplorerView }) {
  const c = useRecords();
  const trpc = useTRPC();
  const [tag, setTag] = useState("");
  const [author, setAuthor] = useState("");
  const [saving, setSaving] = useState(false);
  const list = useQuery(trpc.hypothesis.list.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const current = useMemo(() => hypothesisFromView(view.state, view.selections), [view.state, view.selections]);
  const items = list.data ?? [];
  const threads = useQuery(trpc.comment.threads.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  // threads on each hypothesis, newest activity first (the list comes sorted that way)
  const threadsOf = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const t of threads.data ?? []) if (t.hypothesisId) m.set(t.hypothesisId, [...(m.get(t.hypothesisId) ?? []), t.id]);
    return m;
  }, [threads.data]);
  const tags = useMemo(() => [...new Set(items.flatMap((h) => h.tags))].sort(), [items]);
  const authors = useMemo(() => {
    const m = new Map<string, string>();
    for (const h of items) if (h.author) m.set(h.author.id, personName(h.author));
    return [...m].sort((a, b) => a[1].localeCompare(b[1]));
  }, [items]);
  const shown = items.filter((h) => (!tag || h.tags.includes(tag)) && (!author || h.author?.id === author));

  return (
    <div className="collab-section" data-testid="hypotheses-panel">
      <div className="section-actions">
        <WriteButton
          className="small"
          data-testid="save-hypothesis"
          disabled={!current.ok || saving}
          title={current.ok ? "Save the brushed range, its cells, threshold, padding and match settings" : current.reason}
          onClick={() => setSaving(true)}
        >
          Save as hypothesis
        </WriteButton>
        <PublishButton
          workspace={c.workspace}
          datasetId={c.datasetId}
          userId={c.userId}
          canWrite={c.canWrite && current.ok}
          label="Publish view"
          className="secondary small"
          title="Publish the current view (all layers) as a citable finding"
          testId="publish-view"
          source={() => ({ kind: "view", state: view.state, selections: view.selections, title: current.ok ? summary(current.view) : "" })}
        />
        {!current.ok && c.canWrite && <span className="muted hint">{current.reason}</span>}
      </div>
      {saving && current.ok && <SaveForm view={view} hv={current.view} onDone={() => setSaving(false)} />}

      {items.length > 0 && (
        <div className="filters" role="group" aria-label="Filter hypotheses">
          <select aria-label="Filter by tag" value={tag} onChange={(e) => setTag(e.target.value)}>
            <option value="">all tags</option>
            {tags.map((t) => (
              <option key={t} value={t}>#{t}</option>
            ))}
          </select>
          <select aria-label="Filter by author" value={author} onChange={(e) => setAuthor(e.target.value)}>
            <option value="">everyone</option>
            {authors.map(([id, name]) => (
              <option key={id} value={id}>{id === c.userId ? `${name} (you)` : name}</option>
            ))}
          </select>
          {(tag || author) && (
            <button type="button" className="linkish" onClick={() => (setTag(""), setAuthor(""))}>clear</button>
          )}
        </div>
      )}

      {list.isPending && <p className="muted empty-line">Loading hypotheses…</p>}
      <ErrorLine error={list.error} prefix="Could not load the hypotheses" />
      {list.isSuccess && items.length === 0 && (
        <div className="collab-empty" data-testid="hypotheses-empty">
          <strong>No hypotheses yet</strong>
          <p>Brush a token range where some cells switch on, adjust the threshold and cells, then “Save as hypothesis” to keep the view for the team. Everyone sees it here at once.</p>
        </div>
      )}
      {list.isSuccess && items.length > 0 && shown.length === 0 && <p className="muted empty-line">No hypothesis matches these filters.</p>}
      <ul className="record-list" data-testid="hypothesis-list">
        {shown.map((h) => (
          <HypothesisItem key={h.id} h={h} view={view} isCurrent={current.ok && sameView(current.view, h)} onTag={setTag} threadIds={threadsOf.get(h.id) ?? []} />
        ))}
      </ul>
    </div>
  );
}

type Hypo = Hypothesis;

function SaveForm({ view, hv, onDone }: { view: ExplorerView; hv: HypothesisView; onDone: () => void }) {
  const c = useRecords();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const result = useShownResult(explorerKey(c.workspace, c.datasetId), hv);
  const [name, setName] = useState(() => `${shortSource(hv.source)} ${hv.start}–${hv.end - 1}: ${hv.cells.length} cells`);
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [freeze, setFreeze] = useState(true);
  const nameRef = useRef<HTMLInputElement>(null);
  useEffect(() => nameRef.current?.select(), []);
  const create = useMutation(
    trpc.hypothesis.create.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries(trpc.hypothesis.pathFilter());
        onDone();
      },
    }),
  );
  const submit = () => {
    if (!name.trim()) return;
    create.mutate({
      workspace: c.workspace,
      datasetId: c.datasetId,
      name: name.trim(),
      description: description.trim(),
      tags: parseTags(tags),
      ...fieldsOf(hv),
      // the server stores the result of this exact query (from its result store: the one shown)
      freezeResults: freeze && !!result,
      freeze: { k: result?.input.k ?? DEFAULT_K, before: view.state.match.before, after: view.state.match.after },
    });
  };
  return (
    <form
      className="record-form"
      data-testid="hypothesis-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onDone();
      }}
    >
      <p className="muted form-summary">{summary(hv)}</p>
      <label>
        Name
        <input ref={nameRef} autoFocus required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} aria-label="Hypothesis name" />
      </label>
      <label>
        Description <span className="muted">(optional)</span>
        <textarea rows={2} maxLength={4000} value={description} onChange={(e) => setDescription(e.target.value)} aria-label="Description" />
      </label>
      <label>
        Tags <span className="muted">(comma separated)</span>
        <input value={tags} maxLength={400} placeholder="e.g. syntax, nesting" onChange={(e) => setTags(e.target.value)} aria-label="Tags" />
      </label>
      {result ? (
        <label className="check">
          <input type="checkbox" checked={freeze} onChange={(e) => setFreeze(e.target.checked)} data-testid="freeze-results" /> freeze the {result.results.length} match results shown below
        </label>
      ) : (
        <p className="muted hint">Run a match first to freeze its results with the hypothesis.</p>
      )}
      <ErrorLine error={create.error} prefix="Not saved" />
      <div className="form-actions">
        <button type="submit" className="small" disabled={create.isPending || !name.trim()} data-testid="hypothesis-submit">
          {create.isPending ? "Saving…" : "Save"}
        </button>
        <button type="button" className="ghost small" onClick={onDone}>Cancel</button>
      </div>
    </form>
  );
}

function useOpen(view: ExplorerView) {
  const c = useRecords();
  return (h: HypothesisView) => void restoredView(h, view).then(c.goTo);
}

function HypothesisItem({ h, view, isCurrent, onTag, threadIds }: { h: Hypo; view: ExplorerView; isCurrent: boolean; onTag: (t: string) => void; threadIds: string[] }) {
  const c = useRecords();
  const [mode, setMode] = useState<"idle" | "edit" | "delete" | "history">("idle");
  const canDelete = c.role === "OWNER" || (c.canWrite && h.author?.id === c.userId);
  const open = useOpen(view);
  return (
    <li className={`record${isCurrent ? " current" : ""}`} data-testid="hypothesis-item" data-id={h.id}>
      <div className="record-head">
        <button type="button" className="record-title linkish-plain" onClick={() => open(h)} title="Open this view" data-testid="hypothesis-open">
          {h.name}
        </button>
        {isCurrent && <span className="badge">shown</span>}
        {h.version > 1 && <span className="muted small-text">v{h.version}</span>}
      </div>
      <div className="record-meta muted">{summary(h)}{h.mode === "fast" ? " · fast" : ""}{h.length ? ` · length ${h.length}` : ""}</div>
      {h.description && <p className="record-body">{h.description}</p>}
      <div className="record-foot">
        <Avatar id={h.author?.id} name={personName(h.author)} size={18} />
        <span className="muted small-text">
          {personName(h.author)} · <Time at={h.updatedAt} />
        </span>
        {h.tags.map((t) => (
          <button key={t} type="button" className="tag" onClick={() => onTag(t)} title={`Show only #${t}`}>#{t}</button>
        ))}
        {h.hasFrozenResult && <span className="badge" title="Match results were frozen when it was saved">frozen results</span>}
        {threadIds.length > 0 && (
          <button type="button" className="tag" onClick={() => c.openThread(threadIds[0]!)} title="Open its latest comment thread">
            {threadIds.length} thread{threadIds.length === 1 ? "" : "s"}
          </button>
        )}
      </div>
      <div className="record-actions">
        <button type="button" className="secondary small" onClick={() => open(h)}>Open</button>
        <button type="button" className="ghost small" disabled={!c.canComment} onClick={() => c.setDraft({ kind: "hypothesis", hypothesisId: h.id, name: h.name })}>Comment</button>
        <WriteButton className="ghost small" onClick={() => setMode(mode === "edit" ? "idle" : "edit")} data-testid="hypothesis-edit">Edit</WriteButton>
        <button type="button" className="ghost small" onClick={() => setMode(mode === "history" ? "idle" : "history")}>History</button>
        <PublishButton workspace={c.workspace} datasetId={c.datasetId} userId={c.userId} canWrite={c.canWrite} source={() => ({ kind: "hypothesis", hypothesisId: h.id, title: h.name, abstract: h.description })} testId="hypothesis-publish" />
        {canDelete ? (
          <button type="button" className="ghost small danger-text" onClick={() => setMode("delete")} data-testid="hypothesis-delete">Delete</button>
        ) : (
          <span title={c.canWrite ? "only its author or a workspace owner can delete it" : c.readOnlyReason}>
            <button type="button" className="ghost small" disabled>Delete</button>
          </span>
        )}
      </div>
      {mode === "delete" && <DeleteConfirm h={h} onDone={() => setMode("idle")} />}
      {mode === "edit" && <EditForm h={h} view={view} onDone={() => setMode("history")} onCancel={() => setMode("idle")} />}
      {mode === "history" && <History h={h} view={view} />}
    </li>
  );
}

function DeleteConfirm({ h, onDone }: { h: Hypo; onDone: () => void }) {
  const c = useRecords();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const del = useMutation(trpc.hypothesis.delete.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.hypothesis.pathFilter()) }));
  return (
    <div className="confirm" role="alertdialog" aria-label={`Delete ${h.name}`}>
      <span>Delete “{h.name}” and its comment threads for everyone? This cannot be undone.</span>
      <ErrorLine error={del.error} prefix="Not deleted" />
      <div className="form-actions">
        <button type="button" className="small danger" autoFocus disabled={del.isPending} onClick={() => del.mutate({ workspace: c.workspace, id: h.id })} data-testid="hypothesis-delete-confirm">
          {del.isPending ? "Deleting…" : "Delete"}
        </button>
        <button type="button" className="ghost small" onClick={onDone}>Cancel</button>
      </div>
    </div>
  );
}

function EditForm({ h, view, onDone, onCancel }: { h: Hypo; view: ExplorerView; onDone: () => void; onCancel: () => void }) {
  const c = useRecords();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState(h.name);
  const [description, setDescription] = useState(h.description);
  const [tags, setTags] = useState(h.tags.join(", "));
  const [takeView, setTakeView] = useState(false);
  const now = hypothesisFromView(view.state, view.selections);
  const update = useMutation(
    trpc.hypothesis.update.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries(trpc.hypothesis.pathFilter());
        onDone();
      },
    }),
  );
  return (
    <form
      className="record-form"
      onSubmit={(e) => {
        e.preventDefault();
        const v = takeView && now.ok ? now.view : null;
        update.mutate({
          workspace: c.workspace,
          id: h.id,
          expectedVersion: h.version,
          patch: { name: name.trim(), description: description.trim(), tags: parseTags(tags), ...(v ? fieldsOf(v) : {}) },
        });
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
    >
      <label>
        Name
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} aria-label="Hypothesis name" />
      </label>
      <label>
        Description
        <textarea rows={2} maxLength={4000} value={description} onChange={(e) => setDescription(e.target.value)} aria-label="Description" />
      </label>
      <label>
        Tags
        <input value={tags} maxLength={400} onChange={(e) => setTags(e.target.value)} aria-label="Tags" />
      </label>
      <label className="check" title={now.ok ? summary(now.view) : now.reason}>
        <input type="checkbox" checked={takeView} disabled={!now.ok} onChange={(e) => setTakeView(e.target.checked)} /> replace its view with the current one
        {now.ok && takeView && <span className="muted"> ({summary(now.view)})</span>}
      </label>
      <p className="muted hint">The version before this edit is kept in its history.</p>
      <ErrorLine error={update.error} prefix="Not saved" />
      <div className="form-actions">
        <button type="submit" className="small" disabled={update.isPending || !name.trim()}>{update.isPending ? "Saving…" : "Save changes"}</button>
        <button type="button" className="ghost small" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

function History({ h, view }: { h: Hypo; view: ExplorerView }) {
  const c = useRecords();
  const trpc = useTRPC();
  const versions = useQuery(trpc.hypothesis.versions.queryOptions({ workspace: c.workspace, id: h.id }));
  const detail = useQuery({ ...trpc.hypothesis.get.queryOptions({ workspace: c.workspace, id: h.id }), enabled: h.hasFrozenResult });
  const fr = detail.data?.frozen ?? null;
  const open = useOpen(view);
  return (
    <div className="history" data-testid="hypothesis-history">
      <ErrorLine error={versions.error} />
      {versions.isPending && <p className="muted">Loading the history…</p>}
      <ol className="versions">
        <li>
          <strong>v{h.version}</strong> <span className="muted">(current) · <Time at={h.updatedAt} /></span>
        </li>
        {versions.data?.map((v) => (
          <li key={v.version}>
            <strong>v{v.version}</strong> <span className="muted">“{v.snapshot.name}” · {summary(v.snapshot)} · replaced by {personName(v.replacedBy)} <Time at={v.replacedAt} /></span>{" "}
            <button type="button" className="linkish" onClick={() => open(v.snapshot)}>open this version</button>
          </li>
        ))}
        {versions.data?.length === 0 && <li className="muted">No earlier versions: it was never edited.</li>}
      </ol>
      {fr && (
        <div className="frozen" data-testid="frozen-results">
          <strong>Frozen results</strong> <span className="muted">({fr.result.results.length} ranges, frozen <Time at={fr.frozenAt} />)</span>
          <div className="frozen-hits">
            {fr.result.results.slice(0, 20).map((r) => (
              <button
                key={r.pos}
                type="button"
                className="hit"
                title={`${r.I} selected cells on, ${r.U} others`}
                onClick={() => c.goTo({ ...hypothesisViewState(h, view.state), pos: Math.max(0, r.pos - 3), brush: [r.pos, r.pos + r.length] })}
              >
                {r.pos}
              </button>
            ))}
          </div>
          <FrozenEvidence evidence={fr.evidence} />
        </div>
      )}
    </div>
  );
}
