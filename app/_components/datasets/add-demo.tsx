"use client";
import { useState } from "react";
import { postExtract } from "./post-extract";

const DEMOS = [
  { id: "parens", what: "nested brackets read by a 1-layer LSTM, with a depth track: find the cells that count nesting depth (the LSTMVis paper's example)" },
  { id: "c-code", what: "C-like text read by a 2-layer character LSTM, with comment, string and brace tracks" },
] as const;

/**
 * One click to a real dataset: a demo corpus run through its trained model by a worker. First
 * thing offered in an empty workspace (`prominent`), a smaller row otherwise.
 */
export function AddDemoDataset({ slug, onStarted, prominent }: { slug: string; onStarted: (datasetId: string) => void; prominent: boolean }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const add = async (demo: string) => {
    setError(null);
    setBusy(demo);
    const data = new FormData();
    data.set("demo", demo);
    try {
      onStarted(await postExtract(slug, data, () => undefined));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className={prominent ? "demo-datasets prominent" : "demo-datasets"} data-testid="add-demo">
      {prominent ? <h3>Start with a demo dataset</h3> : <span className="muted">Add a demo dataset:</span>}
      <div className="demo-buttons">
        {DEMOS.map((d) => (
          <button
            key={d.id}
            type="button"
            className={prominent ? undefined : "secondary"}
            onClick={() => void add(d.id)}
            disabled={busy !== null}
            aria-label={`Add the ${d.id} demo dataset`}
            title={d.what}
          >
            {busy === d.id ? `Adding ${d.id}…` : `Add demo: ${d.id}`}
          </button>
        ))}
      </div>
      {prominent ? (
        <ul className="muted demo-list">
          {DEMOS.map((d) => (
            <li key={d.id}>
              <strong>{d.id}</strong>: {d.what}
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="add-demo-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
