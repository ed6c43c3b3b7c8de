"use client";
import { useEffect, useRef, useState } from "react";
import type * as Y from "yjs";
import { applyTextDiff, mapIndexThroughDelta, notesText, type TextDelta } from "@statescope/collab";

const LOCAL = Symbol("notes-textarea");

/**
 * The team's shared notes for this dataset: a textarea bound to the room's `notes` Y.Text. Local
 * typing becomes one splice per input event; remote edits keep our caret where it was. Read-only
 * for VIEWERs (the sync server drops their writes anyway) and while the room is not live.
 */
export function NotesPanel({ doc, editable, readOnlyReason, onClose }: { doc: Y.Doc; editable: boolean; readOnlyReason: string | null; onClose: () => void }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const text = notesText(doc);
  const [value, setValue] = useState(() => text.toString());
  const [length, setLength] = useState(value.length);

  useEffect(() => {
    const t = notesText(doc);
    const onChange = (e: Y.YTextEvent, tr: Y.Transaction) => {
      const next = t.toString();
      setLength(next.length);
      if (tr.origin === LOCAL) return;
      const el = area.current;
      if (el && document.activeElement === el) {
        const delta = e.delta as TextDelta;
        const a = mapIndexThroughDelta(delta, el.selectionStart);
        const b = mapIndexThroughDelta(delta, el.selectionEnd);
        el.value = next;
        el.setSelectionRange(a, b);
      }
      setValue(next);
    };
    t.observe(onChange);
    setValue(t.toString());
    setLength(t.length);
    return () => t.unobserve(onChange);
  }, [doc]);

  return (
    <section className="notes-panel" aria-label="Team notes" data-testid="notes-panel">
      <header>
        <strong>Team notes</strong>
        <span className="muted">shared with everyone on this dataset · {length.toLocaleString("en-US")} characters</span>
        <span className="spacer" />
        <button type="button" className="ghost small" onClick={onClose} aria-label="Close team notes">×</button>
      </header>
      <textarea
        ref={area}
        value={value}
        readOnly={!editable}
        aria-readonly={!editable}
        aria-label="Team notes"
        data-testid="notes-text"
        placeholder={editable ? "Hypotheses to check, cells worth a look, who is doing what…" : "No notes yet."}
        onChange={(e) => {
          setValue(e.target.value);
          applyTextDiff(text, e.target.value, LOCAL);
        }}
        rows={6}
      />
      {readOnlyReason && <p className="muted notes-hint" data-testid="notes-readonly">{readOnlyReason}</p>}
    </section>
  );
}
