"use client";
import { useState } from "react";

/** The selected cells as chips: hover links with the plot, × excludes, a field adds by number. */
export function CellList(p: {
  cells: readonly number[];
  excluded: readonly number[];
  added: readonly number[];
  pinned: boolean;
  maxCell: number;
  hovered: number | null;
  onHover: (c: number | null) => void;
  onAdd: (c: number) => void;
  onExclude: (c: number) => void;
  onRestore: (c: number) => void;
  onUnpin: () => void;
}) {
  const [text, setText] = useState("");
  const [err, setErr] = useState<string | null>(null);
  const add = () => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < 0 || v >= p.maxCell) {
      setErr(`cells are numbered 0–${p.maxCell - 1}`);
      return;
    }
    setErr(null);
    setText("");
    p.onAdd(v);
  };
  return (
    <div className="cell-list" data-testid="cell-list">
      <span className="cell-count" data-testid="selected-count">
        {p.cells.length} cell{p.cells.length === 1 ? "" : "s"}
      </span>
      {p.pinned && (
        <button type="button" className="chip-btn" onClick={p.onUnpin} title="These cells came from a link; re-select from the brush instead">
          pinned · re-select from brush
        </button>
      )}
      <div className="chips">
        {p.cells.map((c) => (
          <span
            key={c}
            className={`chip${p.hovered === c ? " hover" : ""}${p.added.includes(c) ? " added" : ""}`}
            data-testid={`cell-${c}`}
            onPointerEnter={() => p.onHover(c)}
            onPointerLeave={() => p.onHover(null)}
          >
            {c}
            <button type="button" aria-label={`exclude cell ${c}`} onClick={() => p.onExclude(c)}>×</button>
          </span>
        ))}
        {p.excluded.map((c) => (
          <span key={`x${c}`} className="chip excluded" title="excluded by hand">
            {c}
            <button type="button" aria-label={`restore cell ${c}`} onClick={() => p.onRestore(c)}>↺</button>
          </span>
        ))}
      </div>
      <form
        className="add-cell"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <input aria-label="Add cell" placeholder="add cell #" value={text} onChange={(e) => setText(e.target.value)} inputMode="numeric" />
      </form>
      {err && <span className="inline-error">{err}</span>}
    </div>
  );
}
