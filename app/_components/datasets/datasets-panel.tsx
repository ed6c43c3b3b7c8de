"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import Link from "next/link";
import { errorMessage, useTRPC } from "../../_lib/trpc";
import { AddDemoDataset } from "./add-demo";
import { ExtractForm } from "./extract-form";
import { UploadDropZone } from "./upload-drop-zone";

const PHASES: Record<string, string> = {
  queued: "waiting for a worker",
};

export function DatasetsPanel({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const ws = useQuery(trpc.workspace.get.queryOptions({ workspace: slug }));
  // Datasets this page started (upload, extraction, demo) that the list has not shown yet: a refetch
  // that failed or raced the start must not leave the new row missing until a reload.
  const [started, setStarted] = useState<readonly string[]>([]);
  const list = useQuery({
    ...trpc.dataset.list.queryOptions({ workspace: slug }),
    // While an import runs, or a started one is not listed yet, follow its progress.
    refetchInterval: (q) => {
      const data = q.state.data;
      if (!data) return false;
      const missing = started.some((id) => !data.some((d) => d.id === id));
      return missing || data.some((d) => d.status === "IMPORTING") ? 700 : false;
    },
  });
  // once listed, a started dataset is followed like any other (and may be dismissed without the list polling on for it)
  useEffect(() => {
    const data = list.data;
    if (data && started.some((id) => data.some((d) => d.id === id))) setStarted((ids) => ids.filter((id) => !data.some((d) => d.id === id)));
  }, [list.data, started]);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.dataset.list.queryKey() });
  const onStarted = (datasetId: string) => {
    setStarted((ids) => (ids.includes(datasetId) ? ids : [...ids, datasetId]));
    void refresh();
  };
  const cancel = useMutation(trpc.dataset.cancelImport.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.dataset.delete.mutationOptions({ onSuccess: refresh }));
  const canEdit = ws.data?.role === "OWNER" || ws.data?.role === "EDITOR";
  const actionError = cancel.error ?? remove.error;

  return (
    <section className="card" aria-labelledby="datasets-heading">
      <h2 id="datasets-heading" style={{ marginTop: 0 }}>Datasets</h2>
      {list.isLoading ? <p className="muted">Loading datasets…</p> : null}
      {list.error ? <p className="error" role="alert">{errorMessage(list.error)}</p> : null}
      {actionError ? <p className="error" role="alert">{errorMessage(actionError)}</p> : null}
      {list.data && list.data.length > 0 ? (
        <div className="list" data-testid="datasets-list">
          {list.data.map((d) =>
            d.status === "READY" ? (
              <Link key={d.id} className="item" href={`/w/${slug}/datasets/${d.id}`} data-testid={`dataset-${d.name}`}>
                <span><strong>{d.name}</strong> <span className="muted">{d.format}</span></span>
                <span className="muted">{d.steps.toLocaleString()} steps · {d.vocabularySize.toLocaleString()} tokens in vocabulary</span>
              </Link>
            ) : (
              <div key={d.id} className="item" data-testid={`dataset-${d.name}`}>
                <span>
                  <strong>{d.name}</strong>{" "}
                  {d.status === "FAILED" ? <span className="badge danger">import failed</span> : <span className="badge">importing</span>}
                  {d.status === "FAILED" && d.error ? <span className="error block">{d.error}</span> : null}
                </span>
                {d.status === "IMPORTING" ? (
                  <span className="progress-cell">
                    <progress max={100} value={d.percent} aria-label={`Import progress of ${d.name}`} />
                    <span className="muted">{PHASES[d.phase] ?? d.phase} · {Math.round(d.percent)}%</span>
                    {canEdit ? <button className="secondary" onClick={() => cancel.mutate({ workspace: slug, datasetId: d.id })}>Cancel</button> : null}
                  </span>
                ) : canEdit ? (
                  <button className="secondary" onClick={() => remove.mutate({ workspace: slug, datasetId: d.id })}>Dismiss</button>
                ) : null}
              </div>
            ),
          )}
        </div>
      ) : null}
      {list.data && list.data.length === 0 ? (
        <div className="empty" data-testid="datasets-empty">
          <h2>No datasets in this workspace yet</h2>
          <p>A dataset is a token stream with the hidden states a recurrent model produced while reading it.</p>
          {canEdit ? <AddDemoDataset slug={slug} prominent onStarted={onStarted} /> : null}
          <p>
            {canEdit
              ? "Or bring your own: upload an LSTMVis project folder (lstm.yml + HDF5 + .dict files) or a NumPy folder below, run your model over a text (Run your model),"
              : "An editor of this workspace can add one,"}{" "}
            or import it from the command line:
          </p>
          <pre>npx statescope import path/to/project --workspace {slug}</pre>
        </div>
      ) : null}
      {canEdit ? <UploadDropZone slug={slug} onStarted={onStarted} /> : null}
      {canEdit ? <ExtractForm slug={slug} onStarted={onStarted} /> : null}
      {canEdit && list.data && list.data.length > 0 ? <AddDemoDataset slug={slug} prominent={false} onStarted={onStarted} /> : null}
    </section>
  );
}
