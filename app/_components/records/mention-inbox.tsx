"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { decodeViewState, defaultViewState, encodeViewState, type ExplorerViewState } from "@statescope/core";
import { useAfterFirstWindow } from "@/app/_lib/after-first-window";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import { threadViewState } from "./thread-view";
import type { InboxItem } from "./types";
import { Avatar, ErrorLine, personName, Time } from "./ui";
import "./records.css";

/**
 * The caller's @mentions in this workspace: a badge with the unread count, a list (newest first),
 * mark read; a click opens the thread at its range in the explorer. New mentions arrive live.
 */
export function MentionInbox({ workspace }: { workspace: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [goErr, setGoErr] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  // on an explorer page the inbox waits for its first window (after-first-window.ts)
  const pathname = usePathname();
  const ready = useAfterFirstWindow(pathname.endsWith("/explore"));
  const inbox = useQuery({ ...trpc.comment.inbox.queryOptions({ workspace }), enabled: ready });
  const datasets = useQuery({ ...trpc.dataset.list.queryOptions({ workspace }), enabled: open });
  useSubscription(trpc.events.onInbox.subscriptionOptions({ workspace }, { onData: () => void qc.invalidateQueries(trpc.comment.inbox.pathFilter()), enabled: ready }));
  const markRead = useMutation(trpc.comment.markRead.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.comment.inbox.pathFilter()) }));
  const items = inbox.data?.items ?? [];
  const unread = inbox.data?.unread ?? 0;
  const datasetName = (id: string) => datasets.data?.find((d) => d.id === id)?.name ?? "a dataset";

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

  // Opens the thread in its dataset's explorer at the view its own "show in view" opens: the link
  // carries that view (so the page reads the right first window) and asks the thread to show it.
  const go = async (m: InboxItem) => {
    setGoErr(null);
    if (!m.readAt) markRead.mutate({ workspace, ids: [m.id] });
    const t = m.thread;
    const explore = `/w/${workspace}/datasets/${t.datasetId}/explore`;
    // on that explorer already: keep its display preferences, as "show in view" does
    const base = pathname === explore ? decodeViewState(window.location.search) : defaultViewState();
    let v: ExplorerViewState | null;
    try {
      v = threadViewState(t, base, t.hypothesisId ? await client.hypothesis.get.query({ workspace, id: t.hypothesisId }) : undefined);
    } catch (e) {
      setGoErr(`could not open the hypothesis of this thread: ${errorMessage(e)}`);
      return;
    }
    setOpen(false);
    router.push(`${explore}?${encodeViewState(v ?? base)}&thread=${encodeURIComponent(t.id)}&show=1`);
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
        title={unread ? `${unread} unread mention${unread === 1 ? "" : "s"}` : "Mentions of you"}
      >
        @ Mentions
        {unread > 0 && (
          <span className="inbox-badge" data-testid="inbox-badge">{unread > 99 ? "99+" : unread}</span>
        )}
      </button>
      {open && (
        <div className="inbox-pop" role="dialog" aria-label="Mentions of you" data-testid="inbox">
          <div className="inbox-head">
            <strong>Mentions</strong>
            <span className="spacer" />
            {unread > 0 && (
              <button type="button" className="linkish" onClick={() => markRead.mutate({ workspace })} data-testid="inbox-read-all">
                mark all read
              </button>
            )}
          </div>
          {inbox.isPending && <p className="muted empty-line">Loading…</p>}
          <ErrorLine error={inbox.error ?? markRead.error} />
          {goErr && <div className="error small" role="alert">{goErr}</div>}
          {inbox.isSuccess && items.length === 0 && <p className="muted empty-line">No mentions yet. When someone writes @you in a comment, it shows here.</p>}
          <ul className="inbox-list">
            {items.map((m) => (
              <li key={m.id} className={m.readAt ? "" : "unread"} data-testid="inbox-item">
                <button type="button" onClick={() => void go(m)}>
                  <Avatar id={m.comment.author?.id} name={personName(m.comment.author)} size={22} />
                  <span className="inbox-text">
                    <span>
                      <strong>{personName(m.comment.author)}</strong> mentioned you in <em>{datasetName(m.thread.datasetId)}</em>
                    </span>
                    <span className="clamp">{m.comment.deletedAt ? <em className="muted">comment deleted</em> : m.comment.body}</span>
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
