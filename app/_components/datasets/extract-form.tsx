"use client";
import { useState, type FormEvent } from "react";
import { postExtract } from "./post-extract";

interface Sending {
  label: string;
  percent: number;
}

/**
 * "Bring your model": weights (.safetensors) + vocab.json + a text, run by a
 * worker job into a new dataset (the demo corpora: ./add-demo.tsx).
 */
export function ExtractForm({ slug, onStarted }: { slug: string; onStarted: (datasetId: string) => void }) {
  const [sending, setSending] = useState<Sending | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (data: FormData, label: string, reset?: () => void) => {
    setError(null);
    setSending({ label, percent: 0 });
    try {
      const id = await postExtract(slug, data, (percent) => setSending({ label, percent }));
      reset?.();
      onStarted(id);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setSending(null);
    }
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    void submit(new FormData(form), "Uploading the model", () => form.reset());
  };

  return (
    <details className="extract-form" data-testid="extract-form" style={{ marginTop: 14 }}>
      <summary>
        <strong>Run your model</strong> <span className="muted">— PyTorch LSTM/GRU weights (.safetensors) + vocab.json + a text</span>
      </summary>
      <form onSubmit={onSubmit} aria-label="Run a model over a text">
        <div className="row">
          <div>
            <label htmlFor="extract-weights">Weights (.safetensors)</label>
            <input id="extract-weights" name="weights" type="file" accept=".safetensors" required data-testid="extract-weights" />
          </div>
          <div>
            <label htmlFor="extract-vocab">Vocabulary (vocab.json)</label>
            <input id="extract-vocab" name="vocab" type="file" accept=".json,application/json" required data-testid="extract-vocab" />
          </div>
        </div>
        <div className="row">
          <div>
            <label htmlFor="extract-text">Text file</label>
            <input id="extract-text" name="text" type="file" accept=".txt,.c,.h,.ts,.md,text/*" data-testid="extract-text" />
          </div>
          <div>
            <label htmlFor="extract-paste">…or paste the text</label>
            <textarea id="extract-paste" name="textPaste" rows={2} placeholder="used when no file is chosen" style={{ width: "100%", font: "inherit" }} />
          </div>
        </div>
        <div className="row">
          <div>
            <label htmlFor="extract-name">Dataset name</label>
            <input id="extract-name" name="name" maxLength={200} placeholder="default: the text file's name" />
          </div>
          <div>
            <label htmlFor="extract-tokenizer">Tokens</label>
            <select id="extract-tokenizer" name="tokenizer" defaultValue="char">
              <option value="char">characters</option>
              <option value="word">words (split on whitespace)</option>
            </select>
          </div>
          <div>
            <label htmlFor="extract-arch">Architecture</label>
            <select id="extract-arch" name="arch" defaultValue="auto">
              <option value="auto">detect from the shapes</option>
              <option value="lstm">LSTM</option>
              <option value="gru">GRU</option>
            </select>
          </div>
        </div>
        <div className="row">
          <div>
            <label htmlFor="extract-unknown">Unknown tokens read as</label>
            <input id="extract-unknown" name="unknown" placeholder="default: <unk> if the vocabulary has it, else an error" />
          </div>
          <div>
            <label htmlFor="extract-prefixes">Module names (optional)</label>
            <input id="extract-prefixes" name="prefixes" placeholder="embedding=encoder, rnn=rnn, head=decoder" />
          </div>
          <label className="inline check" style={{ flex: "0 0 auto" }}>
            <input type="checkbox" name="gates" value="on" style={{ width: "auto" }} /> gates too
          </label>
        </div>
        <div className="row" style={{ marginTop: 10 }}>
          <button type="submit" disabled={sending !== null}>Run the model</button>
        </div>
      </form>
      {sending ? (
        <p>
          {sending.label}… {sending.percent}% <progress max={100} value={sending.percent} aria-label="Model upload progress" />
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="extract-error">
          {error}
        </p>
      ) : null}
    </details>
  );
}
