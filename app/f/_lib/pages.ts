/**
 * The finding pages as HTML strings: the finding itself (Select and Match views drawn by the
 * figure renderer at the app's geometry, the text, authors, versions, data and parameters, cite
 * and embed), its embed, the tombstone of a withdrawn finding, "not found", and a workspace's
 * public list. Everything shows without JavaScript; /f/assets/viewer.js adds hover linking,
 * tooltips, copy buttons and zoom in place.
 */
import { encodeViewState, GlyphSet, renderFigure, SCREEN_ZOOM, displayToken, type ExplorerViewState, type FindingSnapshot, type SnapshotEvidence } from "@statescope/core";
import { citationBibtex, citationCslJson } from "@/server/services/findings/exports";
import type { FindingRead } from "@/server/services/findings/findings";
import { versionRef } from "@/server/services/findings/files";
import { figureMeasure, fontFaceCss } from "@/server/services/findings/render";
import { escapeHtml, html, raw, type Raw } from "./html";
import { markdownSummary, markdownToHtml } from "./markdown";

type Ok = Extract<FindingRead, { status: "ok" }>;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** "3 December 2026" (UTC: the same text wherever the server runs). */
export function longDate(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

const PAGE_CSS = `
:root{--ink:#1b1f24;--muted:#5d6672;--line:#e3e7ec;--panel:#fff;--bg:#f6f7f9;--accent:#2f6fde;--warn-bg:#fff6e0;--warn:#7a4f00}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
a{color:var(--accent)}
.bar{display:flex;align-items:center;gap:12px;padding:10px 24px;background:#fff;border-bottom:1px solid var(--line)}
.bar .brand{font-weight:700;color:var(--ink);text-decoration:none;letter-spacing:.01em}
.bar .spacer{flex:1}
.bar .kind{color:var(--muted);font-size:.85rem}
.button{display:inline-block;padding:6px 12px;border-radius:7px;border:1px solid var(--line);background:#fff;color:var(--ink);text-decoration:none;font-size:.88rem;cursor:pointer;font:inherit;font-size:.88rem}
.button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
main{max-width:1180px;margin:0 auto;padding:24px 24px 48px}
.notice{background:var(--warn-bg);color:var(--warn);border:1px solid #f1dca6;border-radius:8px;padding:8px 12px;margin:0 0 16px}
h1{font-size:1.75rem;line-height:1.25;margin:.2em 0 .3em}
.byline{color:var(--muted);margin:0 0 6px}
.byline .authors{color:var(--ink);font-weight:600}
.versions{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:0 0 14px;font-size:.85rem;color:var(--muted)}
.versions a,.versions span.current{padding:1px 8px;border-radius:999px;border:1px solid var(--line);text-decoration:none;background:#fff}
.versions span.current{background:var(--ink);color:#fff;border-color:var(--ink)}
.badge{display:inline-block;font-size:.72rem;padding:1px 7px;border-radius:999px;background:#eef2f7;color:#3b4450;vertical-align:middle;margin-left:4px;text-transform:lowercase}
.actions{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start;margin:8px 0 18px}
details.pop{position:relative}
details.pop>summary{list-style:none}
details.pop>summary::-webkit-details-marker{display:none}
details.pop[open]>summary{background:#eef2f7}
details.pop .panel{position:absolute;z-index:5;left:0;top:calc(100% + 6px);width:min(560px,90vw);background:#fff;border:1px solid var(--line);border-radius:10px;box-shadow:0 10px 30px rgba(15,23,42,.14);padding:14px}
.panel h3{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:10px 0 4px}
.panel h3:first-child{margin-top:0}
.panel pre,.panel textarea{width:100%;font:12px/1.45 "DejaVu Sans Mono",ui-monospace,monospace;background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px;margin:0 0 6px;white-space:pre-wrap;word-break:break-all;max-height:220px;overflow:auto}
.panel ul{margin:0;padding-left:18px}
.panel li{margin:2px 0}
.abstract{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin:0 0 18px}
.abstract p:first-child{margin-top:0}.abstract p:last-child{margin-bottom:0}
section.view{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 0 10px;margin:0 0 18px}
section.view>header{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:baseline;padding:0 16px 8px}
section.view h2{font-size:1.05rem;margin:0}
section.view .caption{color:var(--muted);font-size:.86rem}
.scroll{overflow-x:auto;overflow-y:hidden;padding:0 8px}
.scroll svg{display:block}
.cells{display:flex;flex-wrap:wrap;gap:4px;align-items:center;padding:0 16px 8px;font-size:.85rem}
.chip{display:inline-block;padding:0 8px;border-radius:999px;background:#e7effc;color:#1f4a96;border:1px solid #cddcf5;font-variant-numeric:tabular-nums;font-size:.78rem;cursor:default}
.chip.hover{background:#e8590c;border-color:#e8590c;color:#fff}
.zoom{display:inline-flex;gap:4px;align-items:center;margin-left:auto;font-size:.82rem;color:var(--muted)}
.zoom a{display:inline-block;min-width:26px;text-align:center;border:1px solid var(--line);border-radius:6px;text-decoration:none;background:#fff;color:var(--ink)}
.zoom a[aria-disabled=true]{pointer-events:none;opacity:.4}
.select-view path.hl{fill:none;stroke:#e8590c;stroke-width:2.6;pointer-events:none}
.match-view rect.hl{fill:none;stroke:#e8590c;stroke-width:1.5;pointer-events:none}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0;padding:4px 16px 4px;font-size:.9rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
code,.mono{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:.85em}
.tip{position:fixed;z-index:20;pointer-events:none;background:#13171d;color:#e9edf2;font-size:.8rem;padding:5px 8px;border-radius:5px;max-width:460px;box-shadow:0 4px 14px rgba(0,0,0,.2)}
footer{max-width:1180px;margin:0 auto;padding:0 24px 32px;color:var(--muted);font-size:.8rem}
.empty{background:#fff;border:1px solid var(--line);border-radius:10px;padding:28px;text-align:center}
.list{list-style:none;padding:0;margin:0}
.list li{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 16px;margin:0 0 10px}
.list .title{font-weight:600;font-size:1.05rem}
.list .meta{color:var(--muted);font-size:.85rem}
@media (max-width:700px){main{padding:16px}h1{font-size:1.4rem}}
`;

/** Format ≥ 2 only (evidence tables), so a format-1 page keeps its bytes. */
const EVIDENCE_CSS = `
.evidence{display:flex;flex-wrap:wrap;gap:14px 28px;padding:0 16px 6px;align-items:flex-start}
.evidence figure{margin:0;min-width:260px}
.evidence figcaption{font-weight:600;font-size:.9rem;margin:0 0 4px}
.evidence figcaption .caption{font-weight:400}
.evidence table{border-collapse:collapse;font-size:.85rem;font-variant-numeric:tabular-nums}
.evidence th,.evidence td{padding:2px 10px 2px 0;text-align:right;border-bottom:1px solid var(--line)}
.evidence th{color:var(--muted);font-weight:500}
.evidence th:first-child,.evidence td:first-child{text-align:left}
.evidence td.hi{font-weight:700}
`;

/** Labels of a discrete track a finding page lists (the rest are in matches.csv). */
const EVIDENCE_LABELS = 12;

function document_(opts: { title: string; head?: Raw; body: Raw; css?: string; fontCss?: string; script?: boolean; bodyClass?: string }): string {
  return (
    "<!doctype html>\n" +
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${opts.title}</title>${opts.head ?? ""}<style>${raw(opts.fontCss ?? "")}${raw(opts.css ?? PAGE_CSS)}</style>${opts.script ? raw('<script src="/f/assets/viewer.js" defer></script>') : ""}</head><body${opts.bodyClass ? raw(` class="${opts.bodyClass}"`) : ""}>${opts.body}</body></html>`.value
  );
}

function bar(right?: Raw): Raw {
  return html`<header class="bar"><a class="brand" href="/">Statescope</a><span class="kind">finding</span><span class="spacer"></span>${right ?? ""}</header>`;
}

const VISIBILITY_LABEL = { PRIVATE: "private", WORKSPACE: "workspace only", UNLISTED: "unlisted", PUBLIC: "public" } as const;

/** The explorer URL that restores the published view (for members, while the dataset exists). */
export function workspaceViewUrl(read: Ok): string | null {
  const m = read.member;
  if (!m?.datasetId) return null;
  const s = read.data.snapshot;
  const state: ExplorerViewState = {
    layers: s.layers.map((l) => ({ source: l.source, threshold: l.threshold, add: l.added, exclude: l.excluded, pinned: l.selected })),
    pos: Math.max(0, s.brush[0] - s.pad[0] - 3),
    brush: s.brush,
    pad: s.pad,
    zoom: SCREEN_ZOOM.default,
    tracks: s.tracks.map((t) => t.name),
    mask: false,
    match: { mode: s.match?.mode ?? "fast", length: s.match?.length ?? 0, before: 3, after: 20, align: "start", map: null, run: s.match !== null, layer: s.match?.layer ?? 0 },
  };
  return `/w/${encodeURIComponent(m.workspaceSlug)}/datasets/${encodeURIComponent(m.datasetId)}/explore?${encodeViewState(state)}`;
}

function tokensText(s: FindingSnapshot, a: number, b: number): string {
  return s.window.tokens.slice(a - s.window.from, b - s.window.from).map(displayToken).join(s.dataset.separator === "" ? "" : " ");
}

/** The embed's width as the snippet and oEmbed propose it. */
export const EMBED_WIDTH = 860;
/** Body padding, title line and footer of the embed around its figure. */
const EMBED_CHROME_H = 72;
const embedSizes = new Map<string, { width: number; height: number }>();

/** The size that shows the embed whole at EMBED_WIDTH: the two-column figure's proportions plus its chrome. */
export function embedSize(read: Ok): { width: number; height: number } {
  const hit = embedSizes.get(read.snapshotHash);
  if (hit) return hit;
  const f = renderFigure(read.data, { view: read.data.snapshot.match ? "both" : "select", width: "two", measure: figureMeasure() });
  const size = { width: EMBED_WIDTH, height: Math.ceil(((EMBED_WIDTH - 20) * f.height) / f.width) + EMBED_CHROME_H };
  if (embedSizes.size > 256) embedSizes.clear();
  embedSizes.set(read.snapshotHash, size);
  return size;
}

/** The copyable <iframe> of an embed URL. */
export function embedSnippet(src: string, title: string, size: { width: number; height: number }): string {
  return `<iframe src="${escapeHtml(src)}" title="${escapeHtml(title)}" width="${size.width}" height="${size.height}" style="max-width:100%;border:0" loading="lazy"></iframe>`;
}

export interface PageContext {
  /** Absolute origin for links that leave the site (og:url, cite, embed snippet). */
  publicUrl: string;
  /** Path of this page (/f/<id> or /f/<id>/v<n>) and the requested zoom. */
  path: string;
  zoom: number;
  accessed: Date;
}

/** The page's figures and their fonts: a pure function of the snapshot and the zoom, so kept for later requests. */
const screens = new Map<string, Promise<{ select: { svg: string }; match: { svg: string } | null; fontCss: string }>>();

function screenFigures(read: Ok, zoom: number) {
  const key = `${read.snapshotHash}:${zoom}`;
  let hit = screens.get(key);
  if (!hit) {
    hit = (async () => {
      const measure = figureMeasure();
      const select = renderFigure(read.data, { view: "select", width: "screen", zoom, interactive: true, measure });
      const match = read.data.snapshot.match ? renderFigure(read.data, { view: "match", width: "screen", interactive: true, measure }) : null;
      const glyphs = new GlyphSet().merge(select.glyphs);
      if (match) glyphs.merge(match.glyphs);
      return { select, match, fontCss: await fontFaceCss(glyphs) };
    })();
    hit.catch(() => screens.delete(key));
    if (screens.size >= 32) screens.delete(screens.keys().next().value!);
    screens.set(key, hit);
  }
  return hit;
}

/** Forgets the page's rendered figures (tests and benchmarks measure renders from scratch). */
export function resetPageCache(): void {
  screens.clear();
  embedSizes.clear();
}

/** The finding page. */
export async function findingPage(read: Ok, ctx: PageContext): Promise<string> {
  const s = read.data.snapshot;
  const ref = versionRef(read, ctx.publicUrl);
  const versionUrl = ref.url;
  const base = `/f/${read.id}/v${read.version}`;
  const { select, match, fontCss } = await screenFigures(read, ctx.zoom);
  const summary = markdownSummary(s.abstract) || `A finding on ${s.dataset.name}, published with Statescope.`;
  const authors = s.authors.map((a) => a.name).join(", ");
  const preview = `${ctx.publicUrl}${base}/preview.png`;
  const openUrl = workspaceViewUrl(read);
  const ml = s.match ? s.layers[s.match.layer] : undefined;
  const indexable = read.visibility === "PUBLIC";
  const head = html`
<meta name="description" content="${summary}">
${indexable ? "" : raw('<meta name="robots" content="noindex">')}
<link rel="canonical" href="${versionUrl}">
<link rel="alternate" type="application/json+oembed" href="${ctx.publicUrl}/oembed?url=${encodeURIComponent(versionUrl)}&amp;format=json" title="${s.title}">
<meta property="og:type" content="article"><meta property="og:site_name" content="Statescope">
<meta property="og:title" content="${s.title}"><meta property="og:description" content="${summary}">
<meta property="og:url" content="${versionUrl}"><meta property="og:image" content="${preview}">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630"><meta property="og:image:alt" content="Select view of the finding: ${s.title}">
<meta name="twitter:card" content="summary_large_image"><meta name="twitter:title" content="${s.title}">
<meta name="twitter:description" content="${summary}"><meta name="twitter:image" content="${preview}">
<meta name="citation_title" content="${s.title}">${s.authors.map((a) => html`<meta name="citation_author" content="${a.name}">`)}
<meta name="citation_publication_date" content="${read.publishedAt.toISOString().slice(0, 10).replace(/-/g, "/")}">`;

  const notLatest =
    read.version < read.latestVersion
      ? html`<p class="notice" role="note" data-testid="not-latest">This is version ${read.version}: this is not the latest version of this finding. <a href="/f/${read.id}">See version ${read.latestVersion} (latest)</a>.</p>`
      : "";
  const versions = html`<nav class="versions" aria-label="Versions" data-testid="versions"><span>Version</span>${read.versions.map((v) =>
    v.version === read.version
      ? html`<span class="current" aria-current="page" title="${`${v.title} · ${longDate(v.publishedAt)}`}">v${v.version}${v.version === read.latestVersion ? " (latest)" : ""}</span>`
      : html`<a href="/f/${read.id}/v${v.version}" title="${`${v.title} · ${longDate(v.publishedAt)}`}">v${v.version}${v.version === read.latestVersion ? " (latest)" : ""}</a>`,
  )}</nav>`;

  const dl = (href: string, label: string) => html`<li><a href="${href}" download>${label}</a></li>`;
  const figs = (view: string) => [dl(`${base}/figure.svg?view=${view}&width=one`, "SVG, one column"), dl(`${base}/figure.svg?view=${view}&width=two`, "SVG, two columns"), dl(`${base}/figure.png?view=${view}&width=two&scale=2`, "PNG 2×"), dl(`${base}/figure.png?view=${view}&width=two&scale=4`, "PNG 4×")];
  const bibtex = citationBibtex(s, ref, ctx.accessed);
  const csl = citationCslJson(s, ref, ctx.accessed);
  const embedSrc = `${ctx.publicUrl}${base}/embed`;
  const iframe = embedSnippet(embedSrc, s.title, embedSize(read));
  const actions = html`<div class="actions">
<details class="pop" data-testid="cite"><summary class="button primary">Cite</summary><div class="panel" role="dialog" aria-label="Cite this finding">
<h3>BibTeX</h3><pre id="cite-bibtex" data-testid="cite-bibtex">${bibtex}</pre><button type="button" class="button" data-copy="cite-bibtex">Copy BibTeX</button> <a class="button" href="${base}/cite.bib" download>Download .bib</a>
<h3>CSL-JSON</h3><pre id="cite-csl">${csl}</pre><button type="button" class="button" data-copy="cite-csl">Copy CSL-JSON</button> <a class="button" href="${base}/cite.json" download>Download</a>
<h3>Link to this version</h3><pre id="cite-url">${versionUrl}</pre><button type="button" class="button" data-copy="cite-url">Copy link</button>
</div></details>
<details class="pop"><summary class="button">Download</summary><div class="panel" aria-label="Downloads">
${s.match ? html`<h3>Select and Match views, stacked</h3><ul>${figs("both")}</ul>` : ""}
<h3>Select view</h3><ul>${figs("select")}</ul>
${s.match ? html`<h3>Match view</h3><ul>${figs("match")}</ul><h3>Match results</h3><ul>${dl(`${base}/matches.csv`, "CSV")}${dl(`${base}/matches.json`, "JSON")}</ul>` : ""}
</div></details>
<details class="pop"><summary class="button">Embed</summary><div class="panel" aria-label="Embed this finding">
<h3>iframe</h3><textarea id="embed-snippet" rows="4" readonly data-testid="embed-snippet">${iframe}</textarea><button type="button" class="button" data-copy="embed-snippet">Copy snippet</button> <a class="button" href="${base}/embed">Open the embed</a>
<p class="caption">Sites that read oEmbed (blogs, wikis, chat) only need the link.</p>
</div></details>
${openUrl ? html`<a class="button" href="${openUrl}" data-testid="open-in-workspace">Open in workspace</a>` : ""}
</div>`;

  const cellsOf = (li: number) => {
    const l = s.layers[li]!;
    return html`<div class="cells" aria-label="Selected cells of ${l.source}"><strong>${l.selected.length} selected cell${l.selected.length === 1 ? "" : "s"}</strong>${l.selected.map((c) => html`<span class="chip" data-layer="${li}" data-c="${c}">${c}</span>`)}</div>`;
  };
  const zoomLink = (z: number, label: string, name: string) => {
    const ok = z >= SCREEN_ZOOM.min && z <= SCREEN_ZOOM.max && z !== ctx.zoom;
    return html`<a href="${ctx.path}?zoom=${z}" data-zoom="${z}" aria-label="${name}" aria-disabled="${ok ? "false" : "true"}">${label}</a>`;
  };
  const zoomIn = Math.min(SCREEN_ZOOM.max, Math.round(ctx.zoom * 1.5));
  const zoomOut = Math.max(SCREEN_ZOOM.min, Math.round(ctx.zoom / 1.5));
  const selectSection = html`<section class="view" aria-labelledby="select-h" data-testid="finding-select">
<header><h2 id="select-h">Select view</h2><span class="caption">brushed steps ${s.brush[0]}–${s.brush[1] - 1} <span class="mono">“${tokensText(s, s.brush[0], s.brush[1])}”</span> · padding ${s.pad[0]}/${s.pad[1]} · steps ${s.window.from}–${s.window.to - 1} pinned</span>
<span class="zoom" id="zoom-controls">zoom ${zoomLink(zoomOut, "−", "Zoom out")}<span>${ctx.zoom} px/step</span>${zoomLink(zoomIn, "+", "Zoom in")}</span></header>
${s.layers.map((_, li) => cellsOf(li))}
<div class="scroll" id="select-scroll">${raw(select.svg)}</div></section>`;
  const matchSection = match && s.match && ml
    ? html`<section class="view" aria-labelledby="match-h" data-testid="finding-match">
<header><h2 id="match-h">Match view</h2><span class="caption">${s.match.rows.length} result${s.match.rows.length === 1 ? "" : "s"} of a ${s.match.mode} query on ${ml.source} for these ${s.match.cells.length} cells${s.match.length ? `, length ${s.match.length}` : ""}</span></header>
<div class="scroll">${raw(match.svg)}</div></section>`
    : html`<section class="view"><header><h2>Match view</h2><span class="caption">published without match results (no cells were selected)</span></header></section>`;

  const evidence = s.match?.evidence ? evidenceSection(s.match.evidence, s.match.rows.length) : "";

  const params = html`<section class="view" aria-labelledby="data-h"><header><h2 id="data-h">Data and parameters</h2></header><dl class="facts">
<dt>Dataset</dt><dd>${s.dataset.name} · ${s.dataset.steps.toLocaleString("en-US")} steps</dd>
${s.dataset.description ? html`<dt>Description</dt><dd>${s.dataset.description}</dd>` : ""}
${s.dataset.citation ? html`<dt>Cite the data</dt><dd data-testid="dataset-citation">${s.dataset.citation}</dd>` : ""}
<dt>Content hash</dt><dd class="mono" title="SHA-256 of the dataset's tokens, vocabulary, states and tracks">sha256:${s.dataset.contentHash}</dd>
${s.layers.map((l) => html`<dt>Source</dt><dd><span class="mono">${l.source}</span> · ${l.cells} cells · ${l.transform === "tanh" ? "tanh of the stored values" : "stored values"} · threshold ${l.threshold.toFixed(3)} · cells ${l.selected.join(", ") || "none"}${l.added.length ? ` (added by hand: ${l.added.join(", ")})` : ""}${l.excluded.length ? ` (excluded: ${l.excluded.join(", ")})` : ""}</dd>`)}
<dt>Brush</dt><dd>steps [${s.brush[0]}, ${s.brush[1]}) · must be off ${s.pad[0]} before, ${s.pad[1]} after</dd>
${s.match ? html`<dt>Match</dt><dd>${s.match.mode} · ${s.match.length ? `length ${s.match.length}` : "any length ≥ 2"} · top ${s.match.k} · context ${s.match.before} before, ${s.match.after} after</dd>` : ""}
<dt>Snapshot</dt><dd class="mono">v${read.version} · sha256:${read.snapshotHash}</dd>
</dl></section>`;

  const body = html`${bar(openUrl ? html`<a class="button" href="${openUrl}">Open in workspace</a>` : undefined)}<main>
${notLatest}
<h1 data-testid="finding-title">${s.title}</h1>
<p class="byline"><span class="authors" data-testid="finding-authors">${authors}</span> · published ${longDate(read.publishedAt)}<span class="badge" title="who can see this finding">${VISIBILITY_LABEL[read.visibility]}</span></p>
${versions}
${actions}
${s.abstract.trim() ? html`<article class="abstract" data-testid="finding-abstract">${raw(markdownToHtml(s.abstract))}</article>` : ""}
${selectSection}
${matchSection}
${evidence}${params}
</main><footer>Published with Statescope. This page shows a snapshot fixed when version ${read.version} was published; it does not change when the dataset does.</footer>`;
  return document_({ title: `${s.title} — Statescope finding`, head, body, fontCss, script: true, ...(s.match?.evidence ? { css: PAGE_CSS + EVIDENCE_CSS } : {}) });
}

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const times = (x: number | null) => (x === null ? "—" : `${x.toFixed(2)}×`);
const mean = (x: number | null) => (x === null ? "—" : Number(x.toPrecision(4)).toString());

/** Evidence of the match results per track (format ≥ 2): labels' shares against base rates, scalars' means. */
function evidenceSection(evidence: readonly SnapshotEvidence[], results: number): Raw {
  const tables = evidence.map((e) => {
    const head = html`<figcaption>${e.track} <span class="caption">${e.matchedSteps.toLocaleString("en-US")} matched step${e.matchedSteps === 1 ? "" : "s"}</span></figcaption>`;
    if (e.kind === "scalar") {
      return html`<figure data-testid="evidence-track" data-track="${e.track}">${head}<table><thead><tr><th>mean</th><th>value</th></tr></thead><tbody>
<tr><td>inside the matches</td><td class="hi">${mean(e.mean)}</td></tr><tr><td>overall</td><td>${mean(e.baseMean)}</td></tr></tbody></table></figure>`;
    }
    const shown = e.labels.filter((l) => l.matched > 0).sort((a, b) => b.matched - a.matched || a.label.localeCompare(b.label));
    const more = shown.length - EVIDENCE_LABELS;
    return html`<figure data-testid="evidence-track" data-track="${e.track}">${head}<table><thead><tr><th>label</th><th title="share of the matched steps">share</th><th title="share of all steps">base rate</th><th>lift</th></tr></thead><tbody>
${shown.slice(0, EVIDENCE_LABELS).map((l) => html`<tr><td>${l.label}</td><td>${pct(l.share)}</td><td>${pct(l.base)}</td><td class="${l.lift !== null && l.lift >= 1.5 ? "hi" : ""}">${times(l.lift)}</td></tr>`)}
${shown.length === 0 ? html`<tr><td colspan="4">no labelled step in the matches</td></tr>` : ""}</tbody></table>${more > 0 ? html`<p class="caption">${more} more label${more === 1 ? "" : "s"} in matches.csv</p>` : ""}</figure>`;
  });
  return html`<section class="view" aria-labelledby="evidence-h" data-testid="finding-evidence"><header><h2 id="evidence-h">Evidence</h2><span class="caption">over the steps of the ${results} result${results === 1 ? "" : "s"}, against the whole source (lift = share ÷ base rate)</span></header>
<div class="evidence">${tables.length ? tables : html`<p class="caption">The dataset has no discrete or scalar track.</p>`}</div></section>
`;
}

const EMBED_CSS = `
*{box-sizing:border-box}html,body{margin:0}
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:#fff;color:#1b1f24;padding:10px}
body.dark{background:#0f1419;color:#e6edf3}
.head{display:flex;gap:8px;align-items:baseline;margin:0 0 6px}
.head a{color:inherit;font-weight:600;text-decoration:none;font-size:14px}
.head .by{color:#6b7683}
.fig svg{width:100%;height:auto;display:block}
.foot{margin-top:4px;font-size:11px;color:#6b7683}.foot a{color:inherit}
.theme-dark{display:none}
@media (prefers-color-scheme: dark){body.auto{background:#0f1419;color:#e6edf3}body.auto .theme-light{display:none}body.auto .theme-dark{display:block}}
.select-view path.hl{fill:none;stroke:#e8590c;stroke-width:2.6;pointer-events:none}
.match-view rect.hl{fill:none;stroke:#e8590c;stroke-width:1.5;pointer-events:none}
.tip{position:fixed;z-index:20;pointer-events:none;background:#13171d;color:#e9edf2;font-size:12px;padding:4px 7px;border-radius:5px;max-width:420px}
`;

/** The embed: no app chrome, the figure scales to the frame, light/dark (auto follows the reader's setting). */
export async function embedPage(read: Ok, ctx: { publicUrl: string; theme: "light" | "dark" | "auto" }): Promise<string> {
  const s = read.data.snapshot;
  const measure = figureMeasure();
  const view = s.match ? "both" : "select";
  const themes = ctx.theme === "auto" ? (["light", "dark"] as const) : ([ctx.theme] as const);
  const figs = themes.map((t) => ({ t, f: renderFigure(read.data, { view, width: "two", theme: t, interactive: true, measure }) }));
  const glyphs = new GlyphSet();
  for (const { f } of figs) glyphs.merge(f.glyphs);
  const url = `${ctx.publicUrl}/f/${read.id}/v${read.version}`;
  const body = html`<div class="head"><a href="${url}" target="_blank" rel="noopener">${s.title}</a><span class="by">${s.authors.map((a) => a.name).join(", ")}</span></div>
${figs.map(({ t, f }) => html`<div class="fig theme-${ctx.theme === "auto" ? t : "light"}" data-testid="embed-figure">${raw(f.svg)}</div>`)}
<div class="foot">Statescope finding v${read.version} · <a href="${url}" target="_blank" rel="noopener">open</a></div>`;
  return document_({ title: `${s.title} — Statescope finding`, head: html`<meta name="robots" content="noindex">`, body, css: EMBED_CSS, fontCss: await fontFaceCss(glyphs), script: true, bodyClass: ctx.theme });
}

/** 410: the tombstone of a withdrawn finding. */
export function tombstonePage(t: { title: string; withdrawnAt: Date }): string {
  const body = html`${bar()}<main><div class="empty" data-testid="tombstone"><h1>Withdrawn</h1><p>“${t.title}” was withdrawn by the authors on ${longDate(t.withdrawnAt)}.</p><p class="byline">Its link stays reserved; the finding is no longer shown.</p></div></main>`;
  return document_({ title: "Withdrawn finding — Statescope", head: html`<meta name="robots" content="noindex">`, body });
}

/** 404: nothing here, or nothing this reader may see (the two are not told apart). */
export function notFoundPage(): string {
  const body = html`${bar()}<main><div class="empty" data-testid="finding-not-found"><h1>No finding here</h1><p>This link does not lead to a finding you can see. If it was shared with you, check that it was copied whole, or sign in with the account it was shared with.</p><p><a class="button" href="/signin">Sign in</a></p></div></main>`;
  return document_({ title: "Not found — Statescope", head: html`<meta name="robots" content="noindex">`, body });
}

/** A workspace's public findings. */
export function publicListPage(p: { slug: string; name: string; findings: { id: string; title: string; authors: string[]; publishedAt: Date; version: number }[] }): string {
  const body = html`${bar()}<main><h1>${p.name}</h1><p class="byline">Public findings of this workspace, newest first.</p>
<ul class="list" data-testid="public-findings">${p.findings.map(
    (f) => html`<li><a class="title" href="/f/${f.id}">${f.title}</a><div class="meta">${f.authors.join(", ")} · ${longDate(f.publishedAt)}${f.version > 1 ? ` · version ${f.version}` : ""}</div></li>`,
  )}</ul></main>`;
  return document_({ title: `${p.name} — public findings — Statescope`, body });
}
