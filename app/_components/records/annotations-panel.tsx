"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { rangeViewState } from "@statescope/collab";
import { categoricalColor } from "@statescope/core";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import { refreshAnnotations, useRecords } from "./records-context";
import type { Annotation, Category } from "./types";
import { Avatar, downloadText, ErrorLine, personName, Time, WriteButton } from "./ui";

/** The discrete meta track the server derives from the annotations ("annotations (members)" when an imported track has that name). */
export const ANNOTATION_TRACK = "annotations";
const MAX_CSV_BYTES = 5 * 1024 * 1024;

/** The name of the members' annotation track in this dataset, if it has one yet. */
export function annotationTrack(view: ExplorerView): string | null {
  const names = view.info.tracks.map((t) => t.name);
  if (names.includes(`${ANNOTATION_TRACK} (members)`)) return `${ANNOTATION_TRACK} (members)`;
  return names.includes(ANNOTATION_TRACK) ? ANNOTATION_TRACK : null;
}

/**
 * The colour a category has in the track and the heatmaps: its stored colour (a new category
 * gets the palette's colour of its index; a CSV import may name its own).
 */
export const trackColor = (k: Pick<Category, "color">) => k.color;

/** Label token ranges with categories; list, delete, export and import them as CSV. */
export function AnnotationsPanel({ view }: { view: ExplorerView }) {
  const c = useRecords();
  const trpc = useTRPC();
  const categories = useQuery(trpc.annotation.categories.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const list = useQuery(trpc.annotation.list.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const [onlyVisible, setOnlyVisible] = useState(false);
  const track = annotationTrack(view);
  const trackShown = !!track && view.state.tracks.includes(track);
  const [from, to] = view.visible;
  const all = list.data?.annotations ?? [];
  const items = all.filter((a) => !onlyVisible || (a.end > from && a.start < to));
  const cats = categories.data ?? [];
  const byId = new Map(cats.map((k) => [k.id, k]));

  return (
    <div className="collab-section" data-testid="annotations-panel">
      <LabelForm view={view} />
      <div className="section-row">
        <label className="check">
          <input
            type="checkbox"
            checked={trackShown}
            disabled={!track}
            data-testid="toggle-annotation-track"
            onChange={(e) => track && view.update((s) => ({ ...s, tracks: e.target.checked ? [...s.tracks.filter((t) => t !== track), track] : s.tracks.filter((t) => t !== track) }))}
          />{" "}
          show as a track under the tokens
        </label>
        {!track && <span className="muted hint">(appears with the first category)</span>}
      </div>
      {cats.length > 0 && (
        <ul className="legend" aria-label="Categories">
          {cats.map((k) => (
            <li key={k.id}>
              <span className="swatch" style={{ background: trackColor(k) }} /> {k.name} <span className="muted">{k.annotationCount}</span>
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
      {list.isSuccess && all.length === 0 && (
        <div className="collab-empty" data-testid="annotations-empty">
          <strong>No labels yet</strong>
          <p>Brush a token range, type a category (e.g. “noun phrase”) and press Label. Labels show as the “annotations” track for everyone and in the match heatmaps; import many at once from a CSV.</p>
        </div>
      )}
      {list.isSuccess && all.length > 0 && items.length === 0 && <p className="muted empty-line">No labels in steps {from}–{to - 1}.</p>}
      <ul className="record-list compact" data-testid="annotation-list">
        {items.slice(0, 300).map((a) => (
          <AnnotationItem key={a.id} a={a} category={byId.get(a.categoryId)} view={view} />
        ))}
      </ul>
      {(items.length > 300 || list.data?.truncated) && <p className="muted hint">Showing the first {Math.min(300, items.length)} labels; export the CSV for all of them.</p>}
    </div>
  );
}

function AnnotationItem({ a, category, view }: { a: Annotation; category: Category | undefined; view: ExplorerView }) {
  const c = useRecords();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const del = useMutation(trpc.annotation.delete.mutationOptions({ onSuccess: () => void refreshAnnotations(qc, trpc, c.workspace, c.datasetId) }));
  const name = category?.name ?? "(category deleted)";
  const canDelete = c.role === "OWNER" || (c.canWrite && a.author?.id === c.userId);
  return (
    <li className="record" data-testid="annotation-item">
      <div className="record-head">
        <span className="swatch" style={{ background: category ? trackColor(category) : "#ccc" }} />
        <button type="button" className="record-title linkish-plain" onClick={() => c.goTo(rangeViewState({ start: a.start, end: a.end }, view.state))} title="Show this range">
          {name}
        </button>
        <span className="muted small-text mono">{a.start}–{a.end - 1}</span>
        <span className="spacer" />
        <span title={canDelete ? `Delete this “${name}” label` : c.canWrite ? "only its author or a workspace owner can delete it" : c.readOnlyReason}>
          <button type="button" className="ghost small" aria-label={`Delete label ${name} at ${a.start}`} disabled={!canDelete || del.isPending} onClick={() => del.mutate({ workspace: c.workspace, id: a.id })}>
            ×
          </button>
        </span>
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
  const c = useRecords();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const categories = useQuery(trpc.annotation.categories.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const [name, setName] = useState("");
  const [note, setNote] = useState("");
  const b = view.state.brush;
  const existing = categories.data?.find((k) => k.name.toLowerCase() === name.trim().toLowerCase());
  // a new category takes the next value of the track, and so its colour
  const nextColor = categoricalColor((categories.data?.length ?? 0) + 1);
  const label = useMutation({
    mutationFn: async () => {
      if (!b) throw new Error("brush a token range first");
      const categoryId = existing?.id ?? (await client.annotation.createCategory.mutate({ workspace: c.workspace, datasetId: c.datasetId, name: name.trim(), color: nextColor })).id;
      return client.annotation.create.mutate({ workspace: c.workspace, datasetId: c.datasetId, categoryId, start: b[0], end: b[1], note: note.trim() });
    },
    onSuccess: async () => {
      setNote("");
      await refreshAnnotations(qc, trpc, c.workspace, c.datasetId);
      // show the result where it is drawn (the track exists once a category does)
      const track = annotationTrack(view) ?? ANNOTATION_TRACK;
      view.update((s) => (s.tracks.includes(track) ? s : { ...s, tracks: [...s.tracks, track] }));
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
        <span
          className="swatch big"
          data-testid="annotation-swatch"
          style={{ background: existing ? trackColor(existing) : nextColor }}
          title={existing ? `“${existing.name}” in the annotations track` : "the colour a new category gets in the annotations track"}
        />
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
  const c = useRecords();
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
      <WriteButton className="secondary small" onClick={() => file.current?.click()} disabled={imp.isPending} data-testid="annotations-import" title="Columns: start, end, category, note (optional), color (optional, #rrggbb for a new category); author is read but not used">
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
          Imported {imp.data.imported} label{imp.data.imported === 1 ? "" : "s"}
          {imp.data.categoriesCreated.length > 0 ? `; new categories: ${imp.data.categoriesCreated.join(", ")}` : ""}.
        </div>
      )}
      {imp.isError && (
        <div className="error small import-errors" role="alert" data-testid="import-errors">
          <strong>Nothing was imported.</strong>
          <ul>
            {importErrors(errorMessage(imp.error)).map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ul>
          <span className="muted">Fix the file (header: start,end,category and optionally note, author, color — end is exclusive) and import it again.</span>
        </div>
      )}
    </div>
  );
}

/** The server's import error as one entry per line it names ("…nothing was imported. line 3, column end: …; line 5: …"). */
export function importErrors(message: string): string[] {
  const body = message.replace(/^annotation CSV:?\s*(nothing was imported\.\s*)?/i, "");
  const parts = body.split(/;\s+(?=line \d|…)/).map((p) => p.trim()).filter(Boolean);
  return parts.length > 0 ? parts : [message];
}
