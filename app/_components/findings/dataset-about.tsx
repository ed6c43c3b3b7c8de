"use client";
import { htmlToText } from "@statescope/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import "./findings.css";

/**
 * "About this data" on a dataset's page: the description and citation that every finding
 * published from it pins (and shows to its readers), and the content hash that names its data.
 * EDITORs and OWNERs edit the text; a published finding keeps the text it was published with.
 */
export function DatasetAbout(p: { slug: string; datasetId: string; description: string; citation: string; contentHash: string | null; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [description, setDescription] = useState(p.description);
  const [citation, setCitation] = useState(p.citation);
  const save = useMutation(
    trpc.finding.datasetMeta.mutationOptions({
      onSuccess: () => {
        setEditing(false);
        void qc.invalidateQueries(trpc.dataset.get.queryFilter({ workspace: p.slug, datasetId: p.datasetId }));
      },
    }),
  );
  const empty = !p.description.trim() && !p.citation.trim();

  return (
    <section className="card dataset-about" aria-labelledby="about-heading" data-testid="dataset-about">
      <div className="row" style={{ alignItems: "baseline" }}>
        <h2 id="about-heading" style={{ margin: 0 }}>About this data</h2>
        {p.canEdit && !editing ? (
          <button type="button" className="secondary small" onClick={() => { setDescription(p.description); setCitation(p.citation); setEditing(true); }} data-testid="dataset-about-edit">
            {empty ? "Add a description and citation" : "Edit"}
          </button>
        ) : null}
      </div>
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ workspace: p.slug, datasetId: p.datasetId, description, citation });
          }}
        >
          <label>
            Description <span className="muted">(what the text is, which model produced the states)</span>
            <textarea rows={3} maxLength={20_000} value={description} onChange={(e) => setDescription(e.target.value)} data-testid="dataset-description-input" />
          </label>
          <label>
            How to cite the data <span className="muted">(shown on every finding published from it)</span>
            <textarea rows={2} maxLength={5_000} value={citation} onChange={(e) => setCitation(e.target.value)} data-testid="dataset-citation-input" />
          </label>
          {save.error ? <p className="error" role="alert">{errorMessage(save.error)}</p> : null}
          <div className="form-actions">
            <button type="submit" disabled={save.isPending} data-testid="dataset-about-save">{save.isPending ? "Saving…" : "Save"}</button>
            <button type="button" className="secondary" onClick={() => setEditing(false)}>Cancel</button>
          </div>
          <p className="muted small">Findings already published keep the text they were published with.</p>
        </form>
      ) : (
        <dl className="about-facts">
          <dt>Description</dt>
          <dd data-testid="dataset-description">{p.description.trim() ? htmlToText(p.description) : <span className="muted">none yet</span>}</dd>
          <dt>Citation</dt>
          <dd data-testid="dataset-citation">{p.citation.trim() ? p.citation : <span className="muted">none yet — findings published from this dataset will show it</span>}</dd>
          <dt>Content hash</dt>
          <dd className="mono" title="SHA-256 of the dataset's tokens, vocabulary, states and tracks: the same data hashes alike, whatever it is called">
            {p.contentHash ? `sha256:${p.contentHash}` : <span className="muted">computed when the import finishes</span>}
          </dd>
        </dl>
      )}
    </section>
  );
}
