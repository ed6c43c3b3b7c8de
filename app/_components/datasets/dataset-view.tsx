"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { errorMessage, useTRPC } from "../../_lib/trpc";
import { DatasetAbout } from "../findings/dataset-about";
import { MiniHistogram } from "./histogram";
import { TokenStream } from "./token-stream";

const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

export function DatasetView({ slug, datasetId }: { slug: string; datasetId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const sp = useSearchParams();
  const ds = useQuery(trpc.dataset.get.queryOptions({ workspace: slug, datasetId }));
  const ws = useQuery(trpc.workspace.get.queryOptions({ workspace: slug }));

  const position = Math.max(0, Number(sp.get("pos") ?? 0) || 0);
  const query = sp.get("q") ?? "";
  const mode = sp.get("mode") === "regex" ? "regex" : "phrase";
  const navigate = useCallback(
    (next: { position?: number; query?: string; mode?: "phrase" | "regex" }) => {
      const params = new URLSearchParams(sp.toString());
      if (next.position !== undefined) params.set("pos", String(next.position));
      if (next.query) params.set("q", next.query);
      else if (next.query !== undefined) params.delete("q");
      if (next.mode !== undefined) params.set("mode", next.mode);
      router.replace(`${pathname}?${params.toString()}`, { scroll: false });
    },
    [router, pathname, sp],
  );

  if (ds.isLoading) return <p className="muted">Loading the dataset…</p>;
  if (ds.error) return <p className="error" role="alert">{errorMessage(ds.error)}</p>;
  const d = ds.data;
  if (!d) return null;
  if (d.status !== "READY") {
    return (
      <div className="card">
        <h2 style={{ marginTop: 0 }}>{d.name}</h2>
        {d.status === "FAILED" ? <p className="error" role="alert">The import failed: {d.error}</p> : <p>Importing… {d.phase} {Math.round(d.percent)}%</p>}
        <p><Link href={`/w/${slug}`}>Back to the datasets</Link></p>
      </div>
    );
  }
  const warnings = d.report?.warnings ?? [];
  return (
    <>
      <section className="card" aria-labelledby="ds-heading">
        <div className="row" style={{ alignItems: "center" }}>
          <div>
            <h2 id="ds-heading" style={{ margin: 0 }} data-testid="dataset-name">{d.name}</h2>
          </div>
          <Link className="button" href={`/w/${slug}/datasets/${datasetId}/explore`} style={{ flex: "0 0 auto" }}>Open in explorer</Link>
        </div>
        <p data-testid="dataset-summary">
          <strong>{d.steps.toLocaleString()}</strong> steps · <strong>{d.sources.length}</strong> source{d.sources.length === 1 ? "" : "s"} ·{" "}
          <strong>{d.metaTracks.length}</strong> meta track{d.metaTracks.length === 1 ? "" : "s"} · vocabulary of <strong>{d.vocabularySize.toLocaleString()}</strong> ·{" "}
          {d.format === "lstmvis" ? "LSTMVis project" : "NumPy folder"}
        </p>
        {warnings.length > 0 ? (
          <details>
            <summary className="muted">{warnings.length} import warning{warnings.length === 1 ? "" : "s"}</summary>
            <ul>{warnings.map((w) => <li key={w}>{w}</li>)}</ul>
          </details>
        ) : null}
      </section>

      <DatasetAbout
        key={`${d.description}\u0000${d.citation}`}
        slug={slug}
        datasetId={datasetId}
        description={d.description}
        citation={d.citation}
        contentHash={d.contentHash}
        canEdit={ws.data?.role === "OWNER" || ws.data?.role === "EDITOR"}
      />

      <section className="card" aria-labelledby="sources-heading">
        <h2 id="sources-heading" style={{ marginTop: 0 }}>Sources</h2>
        <table className="stats" data-testid="sources-table">
          <thead>
            <tr><th>Source</th><th>Kind</th><th>Steps × cells</th><th>Transform</th><th>Min</th><th>Max</th><th>Mean</th><th>Std</th><th>Values</th></tr>
          </thead>
          <tbody>
            {d.sources.map((s) => (
              <tr key={s.name}>
                <td className="mono">{s.name}</td>
                <td>{s.type ?? "—"}{s.layer !== null ? `, layer ${s.layer}` : ""}</td>
                <td className="num">{s.steps.toLocaleString()} × {s.cells}</td>
                <td>{s.transform}{s.unsigned ? " (unsigned)" : ""}</td>
                <td className="num">{fmt(s.min)}</td>
                <td className="num">{fmt(s.max)}</td>
                <td className="num">{fmt(s.mean)}</td>
                <td className="num">{fmt(s.std)}</td>
                <td><MiniHistogram edges={s.histogram.edges} counts={s.histogram.counts} /></td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted">Statistics are over the stored values, before the transform.</p>
      </section>

      <section className="card" aria-labelledby="tracks-heading">
        <h2 id="tracks-heading" style={{ marginTop: 0 }}>Meta tracks</h2>
        {d.metaTracks.length === 0 ? (
          <p className="muted">This dataset has no annotation tracks. LSTMVis projects declare them under <code>meta:</code> in lstm.yml; NumPy folders as <code>&lt;track&gt;.meta.npy</code>.</p>
        ) : (
          <table data-testid="tracks-table">
            <thead><tr><th>Track</th><th>Kind</th><th>Labels</th></tr></thead>
            <tbody>
              {d.metaTracks.map((t) => (
                <tr key={t.name}>
                  <td className="mono">{t.name}</td>
                  <td>{t.kind}{t.kind === "wordvec" ? ` (${t.width} per step)` : ""}</td>
                  <td>
                    {t.labels ? t.labels.slice(0, 16).map((l) => <span key={l.id} className="badge" style={{ marginRight: 4 }}>{l.label}</span>) : t.range ? <span className="muted">range {JSON.stringify(t.range)}</span> : "—"}
                    {t.labels && t.labels.length > 16 ? <span className="muted"> +{t.labels.length - 16} more</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <TokenStream
        slug={slug}
        datasetId={datasetId}
        steps={d.steps}
        regexSearch={d.regexSearch}
        separator={d.separator}
        position={position}
        query={query}
        mode={mode}
        onNavigate={navigate}
      />
    </>
  );
}
