"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import "./findings.css";

const LABEL = { PRIVATE: "Private", WORKSPACE: "Workspace", UNLISTED: "Unlisted", PUBLIC: "Public" } as const;

/** The workspace's published findings: links, who can see each, withdrawal. */
export function FindingsPanel({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.finding.list.queryOptions({ workspace: slug }));
  const refresh = () => void qc.invalidateQueries(trpc.finding.pathFilter());
  const setVisibility = useMutation(trpc.finding.setVisibility.mutationOptions({ onSuccess: refresh }));
  const withdraw = useMutation(trpc.finding.withdraw.mutationOptions({ onSuccess: refresh }));
  const [confirm, setConfirm] = useState<string | null>(null);
  const error = setVisibility.error ?? withdraw.error;
  const anyPublic = list.data?.some((f) => f.visibility === "PUBLIC" && !f.withdrawnAt);

  return (
    <section className="card" aria-labelledby="findings-heading" data-testid="findings-panel">
      <h2 id="findings-heading" style={{ marginTop: 0 }}>Findings</h2>
      <p className="muted">
        Published snapshots with a permanent link, for papers and talks.{" "}
        {anyPublic ? (
          <>Public ones are listed on <a href={`/p/${slug}`}>this workspace’s public page</a>.</>
        ) : (
          "Public ones are listed on this workspace’s public page."
        )}
      </p>
      {list.isPending && <p className="muted">Loading findings…</p>}
      {list.error && <p className="error" role="alert">{errorMessage(list.error)}</p>}
      {error && <p className="error" role="alert">{errorMessage(error)}</p>}
      {list.data && list.data.length === 0 && (
        <div className="empty" data-testid="findings-empty">
          <h2>No findings yet</h2>
          <p>Open a dataset, brush a range where some cells switch on, then “Publish view” — or “Publish” a saved hypothesis — to get a link that shows the same thing in ten years, with figures for the paper.</p>
          <pre>npx statescope finding publish --dataset ID --source NAME --brush A-B --title "…" --workspace {slug} --json</pre>
        </div>
      )}
      <ul className="findings-list">
        {list.data?.map((f) => (
          <li key={f.id} className={f.withdrawnAt ? "withdrawn" : ""} data-testid={`finding-${f.id}`}>
            <a className="title" href={`/f/${f.id}`} target="_blank" rel="noopener">{f.title}</a>
            <span className="meta">
              {f.authors.join(", ")} · {f.datasetName || "deleted dataset"} · v{f.latestVersion} · {new Date(f.publishedAt).toLocaleDateString()}
              {f.withdrawnAt ? ` · withdrawn ${new Date(f.withdrawnAt).toLocaleDateString()}` : ""}
            </span>
            <span className="controls">
              {!f.withdrawnAt && (
                <>
                  <button type="button" className="ghost small" onClick={() => void navigator.clipboard?.writeText(f.url)} title={f.url}>Copy link</button>
                  <select
                    aria-label={`Who can see “${f.title}”`}
                    value={f.visibility}
                    disabled={!f.canManage || setVisibility.isPending}
                    onChange={(e) => setVisibility.mutate({ workspace: slug, id: f.id, visibility: e.target.value as keyof typeof LABEL })}
                    data-testid="finding-visibility"
                  >
                    {Object.entries(LABEL).map(([v, l]) => (
                      <option key={v} value={v}>{l}</option>
                    ))}
                  </select>
                  {confirm === f.id ? (
                    <>
                      <button type="button" className="small danger" onClick={() => withdraw.mutate({ workspace: slug, id: f.id }, { onSettled: () => setConfirm(null) })} data-testid="finding-withdraw-confirm">
                        Withdraw for good
                      </button>
                      <button type="button" className="ghost small" onClick={() => setConfirm(null)}>Cancel</button>
                    </>
                  ) : (
                    <button type="button" className="ghost small" disabled={!f.canManage} onClick={() => setConfirm(f.id)} title="Its link will answer “withdrawn by the authors” from then on" data-testid="finding-withdraw">
                      Withdraw
                    </button>
                  )}
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
