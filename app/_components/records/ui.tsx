"use client";
import { useEffect, useState, type ButtonHTMLAttributes, type ReactNode } from "react";
import { errorMessage } from "@/app/_lib/trpc";
import { useRecords } from "./records-context";
import { useMemberColor } from "./member-colors";

/**
 * A button that changes shared records: for a VIEWER it stays visible but disabled, with a
 * tooltip saying why (so the feature is discoverable and the reason is clear).
 */
export function WriteButton({ children, disabled, title, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { children: ReactNode }) {
  const { canWrite, readOnlyReason } = useRecords();
  const off = !canWrite || !!disabled;
  return (
    <span className="write-wrap" title={!canWrite ? readOnlyReason : (title ?? undefined)}>
      <button type="button" {...rest} disabled={off} aria-disabled={off} data-readonly={!canWrite || undefined}>
        {children}
      </button>
    </span>
  );
}

/** Initials in the member's colour. */
export function Avatar({ id, name, size = 20 }: { id: string | null | undefined; name: string | null | undefined; size?: number }) {
  const color = useMemberColor(id);
  const label = (name ?? "?").trim();
  const initials = label
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
  return (
    <span className="person-avatar" style={{ background: color, width: size, height: size, fontSize: size * 0.45 }} aria-hidden>
      {initials || "?"}
    </span>
  );
}

const UNITS: [number, Intl.RelativeTimeFormatUnit][] = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
  [Infinity, "year"],
];

export function relativeTime(d: Date | string, now = Date.now()): string {
  let v = (new Date(d).getTime() - now) / 1000;
  if (Math.abs(v) < 45) return "just now";
  const f = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [n, unit] of UNITS) {
    if (Math.abs(v) < n) return f.format(Math.round(v), unit);
    v /= n;
  }
  return new Date(d).toLocaleDateString();
}

/** "3 minutes ago", kept fresh, with the exact time as a tooltip. */
export function Time({ at }: { at: Date | string }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((x) => x + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  return (
    <time dateTime={new Date(at).toISOString()} title={new Date(at).toLocaleString()}>
      {relativeTime(at)}
    </time>
  );
}

export function ErrorLine({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  return (
    <div className="error small" role="alert">
      {prefix ? `${prefix}: ` : ""}
      {errorMessage(error)}
    </div>
  );
}

/** Saves `text` as a file through a temporary object URL. */
export function downloadText(filename: string, text: string, type = "text/csv;charset=utf-8") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A name for people: the display name, else the @handle or email. */
export function personName(u: { name?: string | null; email?: string | null; handle?: string } | null | undefined): string {
  if (!u) return "a former member";
  return u.name?.trim() || u.email || (u.handle ? `@${u.handle}` : "a member");
}
