"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { rangeViewState } from "@statescope/collab";
import { CATEGORICAL } from "@statescope/core";
import type { ExplorerView } from "@/app/_components/explorer/explorer";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import { refreshAnnotations, useCollab } from "./collab-context";
import { Avatar, downloadText, ErrorLine, personName, Time, WriteButton } from "./ui";

/** The discrete meta track the server derives from the annotations. */
export const ANNOTATION_TRACK = "annotations";
const SWATCHES = CATEGORICAL.slice(0, 10);
const MAX_CSV_BYTES = 5 * 1024 * 1024;

/** Label token ranges with categories; list, delete, export and import them as CSV. */
export function AnnotationsPanel({ view }: { view: ExplorerView }) {
  const c = useCollab();
  const trpc = useTRPC();
  const categories = useQuery(trpc.annotation.categories.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const list = useQuery(trpc.annotation.list.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const [onlyVisible, setOnlyVisible] = useState(false);
  const trackShown = view.state.tracks.includes(ANNOTATION_TRACK);
  const trackExists = view.info.tracks.some((t) => t.name === ANNOTATION_TRACK);
  const [from, to] = view.visible;
  const items = (list.data ?? []).filter((a) => !onlyVisible || (a.end > from && a.start < to));
  const cats = categories.data ?? [];
  const counts = new Map<string, number>();
  for (const a of list.data ?? []) counts.set(a.categoryId, (counts.get(a.categoryId) ?? 0) + 1);

  return (
    <div className="collab-section" data-testid="annotations-panel">
      <LabelForm view={view} />
      <div className="section-row">
        <label className="check">
          <input
            type="checkbox"
            checked={trackShown}
            disabled={!trackExists}
            data-testid="toggle-annotation-track"
            onChange={(e) =>
              view.update((s) => ({ ...s, tracks: e.target.checked ? [...s.tracks.filter((t) => t !== ANNOTATION_TRACK), ANNOTATION_TRACK] : s.tracks.filter((t) => t !== ANNOTATION_TRACK) }))
            }
          />{" "}
          show as a track under the tokens
        </label>
        {!trackExists && <span className="muted hint">(appears with the first label)</span>}
      </div>
      {cats.length > 0 && (
        <ul className="legend" aria-label="Categories">
          {cats.map((k) => (
            <li key={k.id}>
              <span className="swatch" style={{ background: k.color }} /> {k.name} <span className="muted">{counts.get(k.id) ?? 0}</span>
            </li>
          ))}
        </ul>
      )}
      <CsvTools />
      <div className="section-row">
        <strong>Labels</strong>
        <span className="spacer" />
        <label className="check">
          <input type="checkbox" checked={onlyVisible} onChange={(e) => setOnlyVisible(e.target.checked)} /> visible steps only
        </label>
      </div>
      {list.isPending && <p className="muted empty-line">Loading labels…</p>}
      <ErrorLine error={list.error ?? categories.error} prefix="Could not load the labels" />
      {list.isSuccess && list.data.length === 0 && (
        <div className="collab-empty" data-testid="annotations-empty">
          <strong>No labels yet</strong>
          <p>Brush a token range, type a category (e.g. “noun phrase”) and press Label. Labels show as the “annotations” track for everyone and in the match heatmaps; import many at once from a CSV.</p>
        </div>
      )}
      {list.isSuccess && list.data.length > 0 && items.length === 0 && <p className="muted empty-line">No labels in steps {from}–{to - 1}.</p>}
      <ul className="record-list compact" data-testid="annotation-list">
        {items.slice(0, 300).map((a) => (
          <AnnotationItem key={a.id} a={a} view={view} />
        ))}
      </ul>
      {items.length > 300 && <p className="muted hint">Showing the first 300 of {items.length}; export the CSV for all.</p>}
    </div>
  );
}

type Annotation = NonNullable<ReturnType<typeof useAnnotationList>["data"]>[number];
function useAnnotationList() {
  const c = useCollab();
  const trpc = useTRPC();
  return useQuery(trpc.annotation.list.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
}

function AnnotationItem({ a, view }: { a: Annotation; view: ExplorerView }) {
  const c = useCollab();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const del = useMutation(trpc.annotation.delete.mutationOptions({ onSuccess: () => void refreshAnnotations(qc, trpc, c.workspace, c.datasetId) }));
  return (
    <li className="record" data-testid="annotation-item">
      <div className="record-head">
        <span className="swatch" style={{ background: a.category.color }} />
        <button type="button" className="record-title linkish-plain" onClick={() => c.goTo(rangeViewState({ start: a.start, end: a.end }, view.state))} title="Show this range">
          {a.category.name}
        </button>
        <span className="muted small-text mono">{a.start}–{a.end - 1}</span>
        <span className="spacer" />
        <WriteButton className="ghost small" aria-label={`Delete label ${a.category.name} at ${a.start}`} disabled={del.isPending} onClick={() => del.mutate({ workspace: c.workspace, id: a.id })}>
          ×
        </WriteButton>
      </div>
      {a.note && <p className="record-body">{a.note}</p>}
      <div className="record-foot muted small-text">
        <Avatar id={a.author?.id} name={personName(a.author)} size={16} /> {personName(a.author)} · <Time at={a.createdAt} />
      </div>
      <ErrorLine error={del.error} prefix="Not deleted" />
    </li>
  );
}

function LabelForm({ view }: { view: ExplorerView }) {
  const c = useCollab();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const categories = useQuery(trpc.annotation.categories.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const [name, setName] = useState("");
  const [color, setColor] = useState<string>(SWATCHES[0]);
  const [note, setNote] = useState("");
  const b = view.state.brush;
  const existing = categories.data?.find((k) => k.name.toLowerCase() === name.trim().toLowerCase());
  const label = useMutation({
    mutationFn: async () => {
      if (!b) throw new Error("brush a token range first");
      const categoryId = existing?.id ?? (await client.annotation.createCategory.mutate({ workspace: c.workspace, datasetId: c.datasetId, name: name.trim(), color })).id;
      return client.annotation.create.mutate({ workspace: c.workspace, datasetId: c.datasetId, categoryId, start: b[0], end: b[1], note: note.trim() });
    },
    onSuccess: async () => {
      setNote("");
      await refreshAnnotations(qc, trpc, c.workspace, c.datasetId);
      // show the result where it is drawn
      view.update((s) => (s.tracks.includes(ANNOTATION_TRACK) ? s : { ...s, tracks: [...s.tracks, ANNOTATION_TRACK] }));
    },
  });
  if (!c.canWrite) return <p className="muted hint readonly-note" title={c.readOnlyReason}>Labels are read-only for viewers.</p>;
  return (
    <form
      className="record-form"
      data-testid="annotation-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (b && name.trim()) label.mutate();
      }}
    >
      <div className="form-summary">
        {b ? (
          <>
            Label steps <span className="mono">{b[0]}–{b[1] - 1}</span> as
          </>
        ) : (
          <span className="muted">Brush a token range to label it.</span>
        )}
      </div>
      <div className="category-row">
        <input
          list="annotation-categories"
          placeholder="category, e.g. noun phrase"
          aria-label="Category"
          maxLength={80}
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="annotation-category"
        />
        <datalist id="annotation-categories">
          {categories.data?.map((k) => <option key={k.id} value={k.name} />)}
        </datalist>
        {existing ? (
          <span className="swatch big" style={{ background: existing.color }} title={`“${existing.name}” keeps its colour`} />
        ) : (
          <div className="swatches" role="radiogroup" aria-label="Colour of the new category">
            {SWATCHES.map((s) => (
              <button
                key={s}
                type="button"
                role="radio"
                aria-checked={s === color}
                aria-label={`colour ${s}`}
                className={`swatch-btn${s === color ? " on" : ""}`}
                style={{ background: s }}
                onClick={() => setColor(s)}
              />
            ))}
          </div>
        )}
      </div>
      <input placeholder="note (optional)" aria-label="Note" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
      <ErrorLine error={label.error} prefix="Not labelled" />
      <div className="form-actions">
        <button type="submit" className="small" disabled={!b || !name.trim() || label.isPending} data-testid="annotation-submit">
          {label.isPending ? "Labelling…" : existing || !name.trim() ? "Label" : `Create “${name.trim()}” and label`}
        </button>
      </div>
    </form>
  );
}

function CsvTools() {
  const c = useCollab();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const file = useRef<HTMLInputElement>(null);
  const [exportErr, setExportErr] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const imp = useMutation({
    mutationFn: async (f: File) => {
      if (f.size > MAX_CSV_BYTES) throw new Error(`${f.name} is ${(f.size / 1048576).toFixed(1)} MB; the import takes up to ${MAX_CSV_BYTES / 1048576} MB per file`);
      const csv = await f.text();
      return client.annotation.importCsv.mutate({ workspace: c.workspace, datasetId: c.datasetId, csv });
    },
    onSettled: () => {
      if (file.current) file.current.value = "";
    },
    onSuccess: () => void refreshAnnotations(qc, trpc, c.workspace, c.datasetId),
  });
  const doExport = async () => {
    setExportErr(null);
    setExporting(true);
    try {
      const r = await client.annotation.exportCsv.query({ workspace: c.workspace, datasetId: c.datasetId });
      downloadText(r.filename, r.csv);
    } catch (e) {
      setExportErr(errorMessage(e));
    } finally {
      setExporting(false);
    }
  };
  return (
    <div className="csv-tools">
      <button type="button" className="secondary small" onClick={() => void doExport()} disabled={exporting} data-testid="annotations-export">
        {exporting ? "Exporting…" : "Export CSV"}
      </button>
      <WriteButton className="secondary small" onClick={() => file.current?.click()} disabled={imp.isPending} data-testid="annotations-import" title="Columns: start, end, category, color (optional), note (optional)">
        {imp.isPending ? "Importing…" : "Import CSV…"}
      </WriteButton>
      <input
        ref={file}
        type="file"
        accept=".csv,text/csv"
        hidden
        data-testid="annotations-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) imp.mutate(f);
        }}
      />
      {exportErr && <div className="error small" role="alert">Export failed: {exportErr}</div>}
      {imp.isSuccess && (
        <div className="success small" role="status" data-testid="import-result">
          Imported {imp.data.created} label{imp.data.created === 1 ? "" : "s"}
          {imp.data.categoriesCreated ? ` and ${imp.data.categoriesCreated} new categor${imp.data.categoriesCreated === 1 ? "y" : "ies"}` : ""}.
        </div>
      )}
      {imp.isError && (
        <div className="error small import-errors" role="alert" data-testid="import-errors">
          <strong>Nothing was imported.</strong>
          <pre>{errorMessage(imp.error)}</pre>
          <span className="muted">Fix these lines and import the file again.</span>
        </div>
      )}
    </div>
  );
}
