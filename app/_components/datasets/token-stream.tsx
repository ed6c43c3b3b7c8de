"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "../../_lib/trpc";

const WINDOW = 400;

/** Whitespace tokens of character-level data are shown as LSTMVis does. */
function display(tok: string): { text: string; ws: boolean } {
  if (tok === " ") return { text: "␣", ws: true };
  if (tok === "\n") return { text: "⏎\n", ws: true };
  if (tok === "\t") return { text: "⇥", ws: true };
  return { text: tok, ws: false };
}

export interface TokenStreamProps {
  slug: string;
  datasetId: string;
  steps: number;
  regexSearch: boolean;
  separator: string;
  position: number;
  query: string;
  mode: "phrase" | "regex";
  onNavigate: (next: { position?: number; query?: string; mode?: "phrase" | "regex" }) => void;
}

export function TokenStream(p: TokenStreamProps) {
  const trpc = useTRPC();
  const from = Math.max(0, Math.min(p.position, Math.max(0, p.steps - 1)));
  const to = Math.min(p.steps, from + WINDOW);
  const tokens = useQuery({ ...trpc.dataset.tokens.queryOptions({ workspace: p.slug, datasetId: p.datasetId, from, to }), enabled: p.steps > 0 });
  const search = useQuery({
    ...trpc.dataset.search.queryOptions({ workspace: p.slug, datasetId: p.datasetId, query: p.query, mode: p.mode, limit: 200 }),
    enabled: p.query.length > 0,
    retry: false,
  });
  const [jump, setJump] = useState("");
  const [draft, setDraft] = useState(p.query);
  const [draftMode, setDraftMode] = useState(p.mode);

  const hits = new Set<number>();
  for (const m of search.data?.matches ?? []) for (let t = m.from; t < m.to; t++) if (t >= from && t < to) hits.add(t);

  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading" style={{ marginTop: 0 }}>Token stream</h2>
      <div className="row">
        <form
          className="row"
          style={{ flex: 2 }}
          onSubmit={(e) => {
            e.preventDefault();
            p.onNavigate({ query: draft.trim(), mode: draftMode });
          }}
          aria-label="Search tokens"
        >
          <div>
            <label htmlFor="token-search">{draftMode === "regex" ? "Regular expression" : "Phrase"}</label>
            <input id="token-search" value={draft} maxLength={500} onChange={(e) => setDraft(e.target.value)} placeholder={p.separator === "" ? "e.g. while (" : "e.g. the cat"} />
          </div>
          {p.regexSearch ? (
            <div style={{ flex: "0 0 120px" }}>
              <label htmlFor="search-mode">Search by</label>
              <select id="search-mode" value={draftMode} onChange={(e) => setDraftMode(e.target.value as "phrase" | "regex")}>
                <option value="phrase">phrase</option>
                <option value="regex">regex</option>
              </select>
            </div>
          ) : null}
          <button type="submit">Search</button>
        </form>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(jump);
            if (Number.isInteger(n) && n >= 0 && n < p.steps) p.onNavigate({ position: n });
          }}
          aria-label="Jump to position"
        >
          <div>
            <label htmlFor="jump">Jump to step (0–{Math.max(0, p.steps - 1).toLocaleString()})</label>
            <input id="jump" type="number" min={0} max={Math.max(0, p.steps - 1)} value={jump} onChange={(e) => setJump(e.target.value)} />
          </div>
          <button type="submit" className="secondary">Go</button>
        </form>
      </div>
      {search.error ? <p className="error" role="alert">{errorMessage(search.error)}</p> : null}
      {search.data ? (
        <p className="muted" data-testid="search-summary">
          {search.data.total === 0
            ? `no match for "${p.query}"`
            : `${search.data.total >= search.data.countLimit ? `${search.data.countLimit.toLocaleString()}+` : search.data.total.toLocaleString()} match${search.data.total === 1 ? "" : "es"}`}
          {search.data.matches.length > 0 ? ": " : ""}
          {search.data.matches.slice(0, 30).map((m) => (
            <button key={m.from} className="ghost link" onClick={() => p.onNavigate({ position: Math.max(0, m.from - 20) })} data-testid="search-hit">
              {m.from.toLocaleString()}
            </button>
          ))}
        </p>
      ) : null}
      <p className="muted">
        Steps {from.toLocaleString()}–{Math.max(from, to - 1).toLocaleString()} of {p.steps.toLocaleString()}{" "}
        <button className="secondary" disabled={from === 0} onClick={() => p.onNavigate({ position: Math.max(0, from - WINDOW) })}>← Previous</button>{" "}
        <button className="secondary" disabled={to >= p.steps} onClick={() => p.onNavigate({ position: to })}>Next →</button>
      </p>
      {tokens.error ? <p className="error" role="alert">{errorMessage(tokens.error)}</p> : null}
      <div className="token-stream" data-testid="token-stream" aria-busy={tokens.isLoading}>
        {tokens.data?.tokens.map((tok, i) => {
          const t = from + i;
          const d = display(tok);
          return (
            <span key={t}>
              <span className={`tok${hits.has(t) ? " hit" : ""}${t === p.position ? " here" : ""}${d.ws ? " ws" : ""}`} title={`step ${t}`} data-step={t}>
                {d.text}
              </span>
              {p.separator}
            </span>
          );
        })}
      </div>
    </section>
  );
}
