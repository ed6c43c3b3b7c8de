/**
 * CSV formula injection (OWASP "CSV Injection"): a spreadsheet opening a CSV runs a cell that
 * starts with `=`, `+`, `-` or `@` (or tab / carriage return, which some strip first) as a
 * formula — `=HYPERLINK(…)` in a token or a note becomes a link or a command. Text fields are
 * written with a leading `'`, which spreadsheets show as text; numbers are not text fields and
 * stay as they are, and so does text that reads as a plain number (`-0.3`).
 *
 * The rule is reversible: `restoreCsvFormula(neutralizeCsvFormula(s)) === s` for every string
 * (text that already starts with quotes before such a character gets one more), so an export
 * read back by an import gives the same text.
 */

const NEEDS_PREFIX = /^'*[=+\-@\t\r]/;
const PREFIXED = /^'+[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A text field as a spreadsheet may safely open it. */
export function neutralizeCsvFormula(text: string): string {
  return NEEDS_PREFIX.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** The text a field held before {@link neutralizeCsvFormula}. */
export function restoreCsvFormula(field: string): string {
  return PREFIXED.test(field) ? field.slice(1) : field;
}
