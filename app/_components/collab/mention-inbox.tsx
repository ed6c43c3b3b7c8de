"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { hypothesisViewState, rangeViewState } from "@statescope/collab";
import { defaultViewState, encodeViewState } from "@statescope/core";
import { useTRPC } from "@/app/_lib/trpc";
import { Avatar, ErrorLine, personName, Time } from "./ui";
import "./collab.css";

/**
 * The caller's @mentions in this workspace: a badge with the unread count, a list (newest first),
 * mark read; a click opens the thread at its range in the explorer. New mentions arrive live.
 */
export function MentionInbox({ workspace }: { workspace: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const inbox = useQuery(trpc.comment.inbox.queryOptions({ workspace }));
  useSubscription(trpc.events.onInbox.subscriptionOptions({ workspace }, { onData: () => void qc.invalidateQueries(trpc.comment.inbox.pathFilter()) }));
  const markRead = useMutation(trpc.comment.markRead.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.comment.inbox.pathFilter()) }));
  const items = inbox.data ?? [];
  const unread = items.filter((m) => !m.readAt);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    document.addEventListener("pointerdown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const go = (m: (typeof items)[number]) => {
    if (!m.readAt) markRead.mutate({ workspace, ids: [m.id] });
    const t = m.thread;
    const base = defaultViewState();
    const v = t.hypothesis
      ? hypothesisViewState(t.hypothesis, base)
      : t.start !== null && t.end !== null
        ? rangeViewState({ source: t.source, start: t.start, end: t.end, cells: t.cells }, base)
        : base;
    setOpen(false);
    router.push(`/w/${workspace}/datasets/${t.datasetId}/explore?${encodeViewState(v)}&thread=${encodeURIComponent(t.id)}`);
  };

  return (
    <div className="inbox" ref={box}>
      <button
        type="button"
        className="secondary small inbox-button"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid="inbox-button"
        title={unread.length ? `${unread.length} unread mention${unread.length === 1 ? "" : "s"}` : "Mentions of you"}
      >
        @ Mentions
        {unread.length > 0 && (
          <span className="inbox-badge" data-testid="inbox-badge">{unread.length > 99 ? "99+" : unread.length}</span>
        )}
      </button>
      {open && (
        <div className="inbox-pop" role="dialog" aria-label="Mentions of you" data-testid="inbox">
          <div className="inbox-head">
            <strong>Mentions</strong>
            <span className="spacer" />
            {unread.length > 0 && (
              <button type="button" className="linkish" onClick={() => markRead.mutate({ workspace, ids: unread.map((m) => m.id) })} data-testid="inbox-read-all">
                mark all read
              </button>
            )}
          </div>
          {inbox.isPending && <p className="muted empty-line">Loading…</p>}
          <ErrorLine error={inbox.error ?? markRead.error} />
          {inbox.isSuccess && items.length === 0 && <p className="muted empty-line">No mentions yet. When someone writes @you in a comment, it shows here.</p>}
          <ul className="inbox-list">
            {items.map((m) => (
              <li key={m.id} className={m.readAt ? "" : "unread"} data-testid="inbox-item">
                <button type="button" onClick={() => go(m)}>
                  <Avatar id={m.author?.id} name={personName(m.author)} size={22} />
                  <span className="inbox-text">
                    <span>
                      <strong>{personName(m.author)}</strong> mentioned you in <em>{m.thread.datasetName}</em>
                    </span>
                    <span className="clamp">{m.body}</span>
                    <span className="muted small-text"><Time at={m.createdAt} /></span>
                  </span>
                </button>
                {!m.readAt && (
                  <button type="button" className="ghost small" aria-label="Mark read" title="Mark read" onClick={() => markRead.mutate({ workspace, ids: [m.id] })}>
                    ✓
                  </button>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
