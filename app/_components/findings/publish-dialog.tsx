"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { ExplorerViewState } from "@statescope/core";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import "./findings.css";

/** What to publish: a saved hypothesis (its saved view), or the explorer's current view. */
export type PublishSource =
  | { kind: "hypothesis"; hypothesisId: string; title: string; abstract: string }
  | { kind: "view"; state: ExplorerViewState; selections: readonly (number[] | null)[]; title: string };

type Visibility = "PRIVATE" | "WORKSPACE" | "UNLISTED" | "PUBLIC";

const VISIBILITY: { value: Visibility; label: string; hint: string }[] = [
  { value: "UNLISTED", label: "Unlisted", hint: "anyone with the link, without an account (for papers)" },
  { value: "PUBLIC", label: "Public", hint: "anyone, and listed on this workspace's public page" },
  { value: "WORKSPACE", label: "Workspace", hint: "members of this workspace" },
  { value: "PRIVATE", label: "Private", hint: "its authors only" },
];

type Author = { userId: string; name: string } | { name: string };

/** The view input of a publish request from the explorer's state (each layer's final selection). */
export function viewInput(state: ExplorerViewState, selections: readonly (number[] | null)[]) {
  if (!state.brush) return null;
  return {
    layers: state.layers.map((l, i) => ({ source: l.source, threshold: l.threshold, ...(selections[i] ? { cells: [...selections[i]!] } : {}), added: l.add, excluded: l.exclude })),
    brush: [state.brush[0], state.brush[1]] as [number, number],
    pad: [Math.min(20, state.pad[0]), Math.min(20, state.pad[1])] as [number, number],
    match: { layer: Math.min(state.match.layer, state.layers.length - 1), mode: state.match.mode, length: state.match.length },
  };
}

/**
 * "Publish as finding": title, Markdown text, authors (members and names typed in), visibility,
 * the dataset's citation, and whether this is a new finding or the next version of one
 * published from the same hypothesis. The server pins the snapshot (and runs the match query).
 */
export function PublishDialog(p: { workspace: string; datasetId: string; userId: string; source: PublishSource; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const members = useQuery(trpc.workspace.members.queryOptions({ workspace: p.workspace }));
  const dataset = useQuery(trpc.dataset.get.queryOptions({ workspace: p.workspace, datasetId: p.datasetId }));
  const earlier = useQuery({
    ...trpc.finding.list.queryOptions({ workspace: p.workspace, datasetId: p.datasetId, ...(p.source.kind === "hypothesis" ? { hypothesisId: p.source.hypothesisId } : {}) }),
    enabled: p.source.kind === "hypothesis",
  });
  const [title, setTitle] = useState(p.source.title);
  const [abstract, setAbstract] = useState(p.source.kind === "hypothesis" ? p.source.abstract : "");
  const [authors, setAuthors] = useState<Author[]>([]);
  const [typed, setTyped] = useState("");
  const [visibility, setVisibility] = useState<Visibility>("UNLISTED");
  const [target, setTarget] = useState<string>("");
  const [citation, setCitation] = useState<string | null>(null);
  const [done, setDone] = useState<{ url: string; version: number } | null>(null);

  useEffect(() => {
    ref.current?.showModal();
  }, []);
  useEffect(() => {
    const me = members.data?.find((m) => m.userId === p.userId);
    if (me && authors.length === 0) setAuthors([{ userId: me.userId, name: me.name ?? me.email.split("@")[0]! }]);
  }, [members.data, p.userId, authors.length]);
  useEffect(() => {
    if (dataset.data && citation === null) setCitation(dataset.data.citation);
  }, [dataset.data, citation]);
  const manageable = (earlier.data ?? []).filter((f) => f.canManage && !f.withdrawnAt);

  const meta = useMutation(trpc.finding.datasetMeta.mutationOptions());
  const publish = useMutation(
    trpc.finding.publish.mutationOptions({
      onSuccess: (out) => {
        setDone({ url: out.url, version: out.version });
        void qc.invalidateQueries(trpc.finding.pathFilter());
      },
    }),
  );
  const view = p.source.kind === "view" ? viewInput(p.source.state, p.source.selections) : null;
  const submit = async () => {
    if (citation !== null && dataset.data && citation !== dataset.data.citation) {
      await meta.mutateAsync({ workspace: p.workspace, datasetId: p.datasetId, citation });
    }
    publish.mutate({
      workspace: p.workspace,
      datasetId: p.datasetId,
      title: title.trim(),
      abstract,
      authors: authors.map((a) => ("userId" in a ? { userId: a.userId } : { name: a.name })),
      ...(target ? { findingId: target } : { visibility }),
      ...(p.source.kind === "hypothesis" ? { hypothesisId: p.source.hypothesisId } : view ? { view } : {}),
    });
  };
  const addTyped = () => {
    const name = typed.trim();
    if (name && !authors.some((a) => a.name === name)) setAuthors([...authors, { name }]);
    setTyped("");
  };
  const move = (i: number, d: -1 | 1) => {
    const j = i + d;
    if (j < 0 || j >= authors.length) return;
    const next = [...authors];
    [next[i], next[j]] = [next[j]!, next[i]!];
    setAuthors(next);
  };
  const busy = publish.isPending || meta.isPending;
  const error = publish.error ?? meta.error;

  return (
    <dialog ref={ref} className="publish-dialog" onClose={p.onClose} aria-labelledby="publish-title" data-testid="publish-dialog">
      {done ? (
        <div className="publish-done" data-testid="publish-done">
          <h2 id="publish-title">Published{done.version > 1 ? ` as version ${done.version}` : ""}</h2>
          <p>The snapshot is fixed: this link will show the same thing even when the dataset changes or is deleted.</p>
          <div className="link-row">
            <input readOnly value={done.url} aria-label="Link of the finding" data-testid="published-url" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="secondary" onClick={() => void navigator.clipboard?.writeText(done.url)}>Copy</button>
            <a className="button" href={done.url} target="_blank" rel="noopener">Open</a>
          </div>
          <div className="form-actions">
            <button type="button" className="ghost" onClick={() => ref.current?.close()}>Close</button>
          </div>
        </div>
      ) : (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <h2 id="publish-title">Publish as finding</h2>
          <p className="muted intro">
            {p.source.kind === "hypothesis" ? "The saved view of this hypothesis" : "The current view"} is pinned with its states, tokens, tracks and match results. Later edits never change a published version; publishing again makes a new version.
          </p>
          {manageable.length > 0 && (
            <label>
              Publish as
              <select value={target} onChange={(e) => setTarget(e.target.value)} aria-label="New finding or new version" data-testid="publish-target">
                <option value="">a new finding</option>
                {manageable.map((f) => (
                  <option key={f.id} value={f.id}>
                    version {f.latestVersion + 1} of “{f.title}”
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Title
            <input required maxLength={300} value={title} onChange={(e) => setTitle(e.target.value)} aria-label="Title" data-testid="publish-title-input" />
          </label>
          <label>
            Text <span className="muted">(Markdown: **bold**, _italic_, [links](https://…), lists)</span>
            <textarea rows={5} maxLength={20000} value={abstract} onChange={(e) => setAbstract(e.target.value)} aria-label="Text" data-testid="publish-abstract" />
          </label>
          <fieldset>
            <legend>Authors</legend>
            <ol className="authors">
              {authors.map((a, i) => (
                <li key={`${"userId" in a ? a.userId : "name"}:${a.name}`}>
                  <span>{a.name}</span> {"userId" in a ? <span className="badge">member</span> : null}
                  <button type="button" className="ghost small" aria-label={`Move ${a.name} up`} onClick={() => move(i, -1)} disabled={i === 0}>↑</button>
                  <button type="button" className="ghost small" aria-label={`Remove ${a.name}`} onClick={() => setAuthors(authors.filter((_, j) => j !== i))} disabled={authors.length === 1}>✕</button>
                </li>
              ))}
            </ol>
            <div className="author-add">
              <select
                aria-label="Add a member as author"
                value=""
                onChange={(e) => {
                  const m = members.data?.find((x) => x.userId === e.target.value);
                  if (m && !authors.some((a) => "userId" in a && a.userId === m.userId)) setAuthors([...authors, { userId: m.userId, name: m.name ?? m.email.split("@")[0]! }]);
                }}
              >
                <option value="">add a member…</option>
                {(members.data ?? []).filter((m) => !authors.some((a) => "userId" in a && a.userId === m.userId)).map((m) => (
                  <option key={m.userId} value={m.userId}>{m.name ?? m.email}</option>
                ))}
              </select>
              <input
                value={typed}
                maxLength={200}
                placeholder="or type a name"
                aria-label="Add an author by name"
                onChange={(e) => setTyped(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === "Enter") {
                    e.preventDefault();
                    addTyped();
                  }
                }}
              />
              <button type="button" className="secondary small" onClick={addTyped} disabled={!typed.trim()}>Add</button>
            </div>
          </fieldset>
          {!target && (
            <fieldset>
              <legend>Who can see it</legend>
              {VISIBILITY.map((v) => (
                <label key={v.value} className="radio">
                  <input type="radio" name="visibility" value={v.value} checked={visibility === v.value} onChange={() => setVisibility(v.value)} /> <strong>{v.label}</strong> <span className="muted">— {v.hint}</span>
                </label>
              ))}
            </fieldset>
          )}
          <label>
            How to cite the data <span className="muted">(shown on the finding; saved with the dataset)</span>
            <input maxLength={5000} value={citation ?? ""} placeholder="e.g. Smith et al. (2025), doi:10.…" onChange={(e) => setCitation(e.target.value)} aria-label="Dataset citation" />
          </label>
          {error && <p className="error" role="alert">Not published: {errorMessage(error)}</p>}
          {busy && <p className="muted" role="status" data-testid="publish-progress"><progress /> Pinning the snapshot{p.source.kind === "hypothesis" || view?.match ? " and running the match query" : ""}…</p>}
          <div className="form-actions">
            <button type="submit" disabled={busy || !title.trim() || authors.length === 0 || (p.source.kind === "view" && !view)} data-testid="publish-submit">
              {busy ? "Publishing…" : target ? "Publish new version" : "Publish"}
            </button>
            <button type="button" className="ghost" onClick={() => ref.current?.close()}>Cancel</button>
          </div>
        </form>
      )}
    </dialog>
  );
}

/** A button that opens the publish dialog. */
export function PublishButton(p: { workspace: string; datasetId: string; userId: string; canWrite: boolean; source: () => PublishSource | null; label?: string; className?: string; title?: string; testId?: string }) {
  const [source, setSource] = useState<PublishSource | null>(null);
  return (
    <>
      <button
        type="button"
        className={p.className ?? "ghost small"}
        disabled={!p.canWrite}
        title={p.canWrite ? (p.title ?? "Publish as a citable finding with a permanent link") : "publishing needs the EDITOR role"}
        onClick={() => setSource(p.source())}
        data-testid={p.testId ?? "publish-open"}
      >
        {p.label ?? "Publish"}
      </button>
      {source && <PublishDialog workspace={p.workspace} datasetId={p.datasetId} userId={p.userId} source={source} onClose={() => setSource(null)} />}
    </>
  );
}
