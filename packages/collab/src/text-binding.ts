/**
 * A plain `<textarea>` bound to a Y.Text (the team notes): a local edit becomes one splice found
 * by common prefix and suffix (a textarea reports only its new value), and a remote change moves
 * the caret through the change's delta so typing is not interrupted.
 */
import type * as Y from "yjs";

/** Replace `remove` UTF-16 units at `index` with `insert`. */
export interface TextSplice {
  index: number;
  remove: number;
  insert: string;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * The single splice turning `before` into `after`, or null when they are equal. Never cuts a
 * surrogate pair in half (an emoji stays one unit of change).
 */
export function diffText(before: string, after: string): TextSplice | null {
  if (before === after) return null;
  const max = Math.min(before.length, after.length);
  let p = 0;
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  if (p > 0 && isHigh(before.charCodeAt(p - 1))) p--;
  let s = 0;
  while (s < max - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  if (s > 0 && isLow(before.charCodeAt(before.length - s))) s--;
  return { index: p, remove: before.length - p - s, insert: after.slice(p, after.length - s) };
}

/** Apply a textarea's new value to `text` as one transaction (no-op when unchanged). */
export function applyTextDiff(text: Y.Text, after: string, origin?: unknown): void {
  const d = diffText(text.toString(), after);
  if (!d) return;
  const doc = text.doc;
  const run = () => {
    if (d.remove > 0) text.delete(d.index, d.remove);
    if (d.insert) text.insert(d.index, d.insert);
  };
  if (doc) doc.transact(run, origin);
  else run();
}

/** A Y.Text change as Yjs reports it (`event.delta`). */
export type TextDelta = readonly { insert?: string | object; delete?: number; retain?: number }[];

/**
 * Where a caret at `index` ends up after `delta`. An insert exactly at the caret goes before it
 * (a collaborator typing where you stand pushes your caret along), a deleted range collapses to its start.
 */
export function mapIndexThroughDelta(delta: TextDelta, index: number): number {
  // `pos` walks the old text (retain and delete consume it, insert does not)
  let pos = 0;
  let out = index;
  for (const op of delta) {
    if (pos > index) break;
    if (op.retain !== undefined) pos += op.retain;
    else if (op.insert !== undefined) out += typeof op.insert === "string" ? op.insert.length : 1;
    else if (op.delete !== undefined) {
      out -= Math.min(op.delete, Math.max(0, index - pos));
      pos += op.delete;
    }
  }
  return out;
}
