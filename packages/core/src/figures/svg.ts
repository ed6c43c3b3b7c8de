/**
 * A small SVG writer for figures: deterministic number formatting (same input → same bytes),
 * XML escaping that also makes control characters visible, and text measurement through an
 * injected font metric (the server passes the bundled font's advances; tests a fixed width).
 */

/** Number as written into the SVG: at most 2 decimals, no trailing zeros, never "-0". */
export function num(x: number): string {
  if (!Number.isFinite(x)) return "0";
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) || r === 0 ? "0" : String(r);
}

/** One decimal (path coordinates: 0.1 user unit is far below print resolution). */
export function num1(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Object.is(r, -0) || r === 0 ? "0" : String(r);
}

/**
 * Text as drawn: C0 controls and DEL become their Unicode control pictures (␀…␟, ␡) because
 * XML 1.0 cannot carry them; lone surrogates and non-characters become U+FFFD.
 */
export function displayText(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20) out += String.fromCodePoint(0x2400 + c);
    else if (c === 0x7f) out += "\u2421";
    else if ((c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) out += "\ufffd";
    else out += ch;
  }
  return out;
}

/** Text for XML content and attributes: {@link displayText} with &, <, >, quotes escaped. */
export function esc(s: string): string {
  return displayText(s).replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

export type Attrs = Record<string, string | number | null | undefined | false>;

function attrs(a: Attrs): string {
  let s = "";
  for (const k of Object.keys(a)) {
    const v = a[k];
    if (v === null || v === undefined || v === false) continue;
    s += ` ${k}="${typeof v === "number" ? num(v) : esc(v)}"`;
  }
  return s;
}

/** An element; children are already-serialised strings. */
export function el(tag: string, a: Attrs, ...children: string[]): string {
  const body = children.join("");
  return body ? `<${tag}${attrs(a)}>${body}</${tag}>` : `<${tag}${attrs(a)}/>`;
}

/** A text element with escaped content. */
export function text(a: Attrs, content: string): string {
  return `<text${attrs(a)}>${esc(content)}</text>`;
}

/** A `<title>` child (a tooltip in browsers, when the figure is interactive). */
export function title(content: string): string {
  return `<title>${esc(content)}</title>`;
}

export type FontRole = "sans" | "mono";

/** Width of `s` at font size `size` in the figure's font for `role` (user units). */
export type MeasureText = (s: string, size: number, role: FontRole) => number;

/** DejaVu Sans Mono advances 1233/2048 em per character; the sans default is an average. */
export const approximateMeasure: MeasureText = (s, size, role) => [...s].length * size * (role === "mono" ? 1233 / 2048 : 0.56);

/** `s` shortened with "…" to fit `width` (empty when not even one character and the ellipsis fit). */
export function fitText(s: string, width: number, size: number, role: FontRole, measure: MeasureText): string {
  if (measure(s, size, role) <= width) return s;
  const chars = [...s];
  for (let n = chars.length - 1; n >= 1; n--) {
    const t = chars.slice(0, n).join("") + "…";
    if (measure(t, size, role) <= width) return t;
  }
  return "";
}

/** A face of the bundled fonts: family role and weight. */
export type FontFace = `${FontRole}-${"regular" | "bold"}`;
export const FONT_FACES: readonly FontFace[] = ["sans-regular", "sans-bold", "mono-regular", "mono-bold"];

/** Collects every character drawn per font face, so the server can embed exactly those glyphs. */
export class GlyphSet {
  private readonly sets = new Map<FontFace, Set<string>>();
  add(s: string, role: FontRole, bold = false): string {
    const face: FontFace = `${role}-${bold ? "bold" : "regular"}`;
    let set = this.sets.get(face);
    if (!set) this.sets.set(face, (set = new Set()));
    for (const ch of displayText(s)) set.add(ch);
    return s;
  }
  /** The characters drawn in a face, sorted (so subsets are deterministic); "" when unused. */
  chars(face: FontFace): string {
    return [...(this.sets.get(face) ?? [])].sort().join("");
  }
  /** Adds every character of another set (a page holding several figures embeds one subset). */
  merge(other: GlyphSet): this {
    for (const face of FONT_FACES) for (const ch of other.chars(face)) this.add(ch, face.startsWith("mono") ? "mono" : "sans", face.endsWith("bold"));
    return this;
  }
}
