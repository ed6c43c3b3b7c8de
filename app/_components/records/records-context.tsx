"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { encodeViewState, type ExplorerViewState } from "@statescope/core";
import { useAfterFirstWindow } from "@/app/_lib/after-first-window";
import { useTRPC } from "@/app/_lib/trpc";

export type RecordsTab = "hypotheses" | "annotations" | "comments";
export type Role = "OWNER" | "EDITOR" | "VIEWER";

/** A new thread being written: on the brushed range (with or without cells) or on a hypothesis. */
export type ThreadDraft = { kind: "range" } | { kind: "hypothesis"; hypothesisId: string; name: string };

export interface Records {
  workspace: string;
  datasetId: string;
  userId: string;
  role: Role | null;
  /** EDITOR or OWNER: may create and change records. */
  canWrite: boolean;
  /** Any member (VIEWERs too) may comment, edit their own comments and resolve the threads they started. */
  canComment: boolean;
  /** Why the controls are disabled, for tooltips (empty when they are not). */
  readOnlyReason: string;
  tab: RecordsTab;
  setTab: (t: RecordsTab) => void;
  threadId: string | null;
  openThread: (id: string | null) => void;
  draft: ThreadDraft | null;
  setDraft: (d: ThreadDraft | null) => void;
  /** A thread whose view a link asked to show (its "show in view" runs once it is loaded). */
  pendingShow: string | null;
  clearPendingShow: () => void;
  /** Navigates to a view (a history entry, so Back returns). */
  goTo: (v: ExplorerViewState) => void;
  /** The explorer showed its first window: the records may load now (after-first-window.ts). */
  ready: boolean;
}

const Ctx = createContext<Records | null>(null);

export function useRecords(): Records {
  const c = useContext(Ctx);
  if (!c) throw new Error("useRecords outside RecordsProvider");
  return c;
}

/** The explorer's own cache key of this dataset (see use-server-data.ts). */
export function explorerKey(workspace: string, datasetId: string): string {
  return `server:${workspace}:${datasetId}`;
}

/**
 * Keeps every record list of this dataset live: each event of `events.onDataset` invalidates the
 * queries of its kind. Annotations also feed the "annotations" meta track, whose info and
 * windows the explorer caches forever, so those are invalidated too.
 */
function useLiveRecords(workspace: string, datasetId: string, enabled: boolean) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const refreshAll = useCallback(() => {
    void qc.invalidateQueries(trpc.hypothesis.pathFilter());
    void qc.invalidateQueries(trpc.comment.pathFilter());
    void refreshAnnotations(qc, trpc, workspace, datasetId);
  }, [qc, trpc, workspace, datasetId]);
  const onData = useCallback(
    (e: { kind: string }) => {
      if (e.kind === "hypothesis") void qc.invalidateQueries(trpc.hypothesis.pathFilter());
      // comment events also cover threads (resolve/reopen) and the comments' mentions
      else if (e.kind === "comment") void qc.invalidateQueries(trpc.comment.pathFilter());
      else if (e.kind === "annotation") void refreshAnnotations(qc, trpc, workspace, datasetId);
      // the server's listener reconnected: events may have been missed
      else if (e.kind === "resync") refreshAll();
    },
    [qc, trpc, workspace, datasetId, refreshAll],
  );
  // after the browser reconnects the stream (network blip, server restart), catch up once
  const started = useRef(false);
  const onStarted = useCallback(() => {
    if (started.current) refreshAll();
    started.current = true;
  }, [refreshAll]);
  return useSubscription(trpc.events.onDataset.subscriptionOptions({ workspace, datasetId }, { onData, onStarted, enabled }));
}

type Trpc = ReturnType<typeof useTRPC>;
type Qc = ReturnType<typeof useQueryClient>;

/** After an annotation changed: the lists, and the explorer's cached track info and windows. */
export async function refreshAnnotations(qc: Qc, trpc: Trpc, workspace: string, datasetId: string): Promise<void> {
  await Promise.all([
    qc.invalidateQueries(trpc.annotation.pathFilter()),
    // the explorer reads this through fetchQuery: mark it stale without refetching here
    qc.invalidateQueries({ ...trpc.dataset.get.queryFilter({ workspace, datasetId }), refetchType: "none" }),
  ]);
  const key = explorerKey(workspace, datasetId);
  await qc.invalidateQueries({ queryKey: ["explorer", key, "info"] });
  await qc.invalidateQueries({ queryKey: ["explorer", key, "track", "annotations"] });
  // the Match view's rows (their windows carry every heatmap track, the members' one included)
  await qc.invalidateQueries({ queryKey: ["explorer", key, "windows"] });
}

export function RecordsProvider({ workspace, datasetId, userId, children }: { workspace: string; datasetId: string; userId: string; children: ReactNode }) {
  const trpc = useTRPC();
  const ready = useAfterFirstWindow();
  const ws = useQuery({ ...trpc.workspace.get.queryOptions({ workspace }), enabled: ready });
  const role = (ws.data?.role ?? null) as Role | null;
  const canWrite = role === "OWNER" || role === "EDITOR";
  const router = useRouter();
  const path = usePathname();
  const params = useSearchParams();
  const [tab, setTab] = useState<RecordsTab>("hypotheses");
  const [threadId, setThreadId] = useState<string | null>(null);
  const [draft, setDraft] = useState<ThreadDraft | null>(null);
  useLiveRecords(workspace, datasetId, ready);

  // a link from the mention inbox carries ?thread=<id>&show=1; the explorer drops unknown
  // parameters when it rewrites the URL, so read them when they appear
  const linked = params.get("thread");
  const linkedShow = params.get("show") === "1";
  const [pendingShow, setPendingShow] = useState<string | null>(null);
  useEffect(() => {
    if (linked) {
      setThreadId(linked);
      setTab("comments");
      if (linkedShow) setPendingShow(linked);
    }
  }, [linked, linkedShow]);
  const clearPendingShow = useCallback(() => setPendingShow(null), []);

  const openThread = useCallback((id: string | null) => {
    setThreadId(id);
    if (id) {
      setTab("comments");
      setDraft(null);
    }
  }, []);
  // writing a new thread happens in the Comments tab, wherever it was started from
  const startDraft = useCallback((d: ThreadDraft | null) => {
    setDraft(d);
    if (d) {
      setThreadId(null);
      setTab("comments");
    }
  }, []);
  const goTo = useCallback((v: ExplorerViewState) => router.push(`${path}?${encodeViewState(v)}`, { scroll: false }), [router, path]);

  const value = useMemo<Records>(
    () => ({
      workspace,
      datasetId,
      userId,
      role,
      canWrite,
      canComment: role !== null,
      readOnlyReason: role === null ? "checking your role…" : canWrite ? "" : "you are a VIEWER in this workspace: you can comment; ask an owner for the EDITOR role to change hypotheses and labels",
      tab,
      setTab,
      threadId,
      openThread,
      draft,
      setDraft: startDraft,
      pendingShow,
      clearPendingShow,
      goTo,
      ready,
    }),
    [workspace, datasetId, userId, role, canWrite, tab, threadId, openThread, draft, startDraft, pendingShow, clearPendingShow, goTo, ready],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
