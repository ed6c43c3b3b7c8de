"use client";
import { useQuery } from "@tanstack/react-query";
import { useId, useRef, useState, type KeyboardEvent } from "react";
import { mentionHandle, mentionQueryAt } from "@statescope/collab";
import { useTRPC } from "@/app/_lib/trpc";
import { useRecords } from "./records-context";
import { Avatar, personName } from "./ui";

/**
 * A comment box with @mention autocomplete of the workspace's members: typing "@" plus letters
 * lists matching members (↑/↓ to move, Enter or Tab to insert, Esc to close); Ctrl/⌘+Enter submits.
 */
export function MentionInput({
  value,
  onChange,
  onSubmit,
  placeholder,
  label,
  autoFocus,
  disabled,
  testId,
}: {
  value: string;
  onChange: (v: string) => void;
  onSubmit: () => void;
  placeholder: string;
  label: string;
  autoFocus?: boolean;
  disabled?: boolean;
  testId?: string;
}) {
  const c = useRecords();
  const trpc = useTRPC();
  const members = useQuery(trpc.workspace.members.queryOptions({ workspace: c.workspace }));
  const ref = useRef<HTMLTextAreaElement>(null);
  const [q, setQ] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const listId = useId();
  const options = q
    ? (members.data ?? [])
        .filter((m) => {
          const h = mentionHandle(m);
          const n = (m.name ?? "").toLowerCase();
          return h.startsWith(q.query) || n.split(/\s+/).some((w) => w.startsWith(q.query)) || m.email.toLowerCase().startsWith(q.query);
        })
        .slice(0, 8)
    : [];
  const open = q !== null && options.length > 0;

  const track = (text: string, caret: number) => {
    const next = mentionQueryAt(text, caret);
    setQ(next);
    if (next?.query !== q?.query) setActive(0);
  };
  const insert = (m: { email: string; name: string | null }) => {
    if (!q || !ref.current) return;
    const caret = ref.current.selectionStart;
    const handle = `@${mentionHandle(m)} `;
    const text = value.slice(0, q.start) + handle + value.slice(caret);
    onChange(text);
    setQ(null);
    const at = q.start + handle.length;
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(at, at);
    });
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open) {
      if (e.key === "ArrowDown") return e.preventDefault(), setActive((a) => (a + 1) % options.length);
      if (e.key === "ArrowUp") return e.preventDefault(), setActive((a) => (a - 1 + options.length) % options.length);
      if (e.key === "Enter" || e.key === "Tab") return e.preventDefault(), insert(options[active]!);
      if (e.key === "Escape") return e.preventDefault(), e.stopPropagation(), setQ(null);
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onSubmit();
    }
  };
  return (
    <div className="mention-input">
      <textarea
        ref={ref}
        rows={3}
        maxLength={10_000}
        value={value}
        placeholder={placeholder}
        aria-label={label}
        autoFocus={autoFocus}
        disabled={disabled}
        data-testid={testId}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open ? `${listId}-${active}` : undefined}
        onChange={(e) => {
          onChange(e.target.value);
          track(e.target.value, e.target.selectionStart);
        }}
        onKeyDown={onKey}
        onClick={(e) => track(e.currentTarget.value, e.currentTarget.selectionStart)}
        onBlur={() => setTimeout(() => setQ(null), 150)}
      />
      {open && (
        <ul className="mention-menu" role="listbox" id={listId} data-testid="mention-menu">
          {options.map((m, i) => (
            <li
              key={m.userId}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "on" : ""}
              onMouseDown={(e) => {
                e.preventDefault();
                insert(m);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <Avatar id={m.userId} name={personName(m)} size={18} />
              <span>{personName(m)}</span>
              <span className="muted mono">@{mentionHandle(m)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
