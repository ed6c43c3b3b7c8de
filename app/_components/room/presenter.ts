"use client";
/**
 * Presenter mode, the one mechanism behind a team's spotlight, following someone, and a
 * classroom's presenter: the presenter's view is written into the room's shared document (the
 * `view` root, by the presenter only) on every change, at most PRESENT_INTERVAL_MS apart; whoever
 * follows navigates to the view they follow whenever it changes (no reload: the explorer reads
 * its state from the URL).
 */
import { useEffect, useState } from "react";
import type * as Y from "yjs";
import { readSpotlight, ROOT, writeSpotlight, type LocalPresence, type SharedView, type Spotlight } from "@statescope/collab";
import { navigateToView, queryOf } from "./presence";

/** A presenter's view updates at most 10 times a second. */
export const PRESENT_INTERVAL_MS = 100;

/** The room's presentation (the shared document's view root), re-read on every change. */
export function usePresentation(doc: Y.Doc | null | undefined): Spotlight | null {
  const [value, setValue] = useState<Spotlight | null>(null);
  useEffect(() => {
    if (!doc) return setValue(null);
    const m = doc.getMap(ROOT.view);
    const read = () => setValue(readSpotlight(doc));
    m.observe(read);
    read();
    return () => m.unobserve(read);
  }, [doc]);
  return value;
}

/**
 * While `active`, our view is the room's presentation: written now and on every change of the
 * explorer's view (throttled, the last change always goes out). `by` is who presents.
 */
export function usePresenting(doc: Y.Doc | null | undefined, local: LocalPresence, by: { id: string; name: string } | null, active: boolean): void {
  const byId = by?.id;
  const byName = by?.name;
  useEffect(() => {
    if (!doc || !active || !byId || !byName) return;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    // `at` tells presentations apart (a dismissed banner comes back for a new one): kept while we go on
    const prev = readSpotlight(doc);
    const at = prev?.by.id === byId ? prev.at : Date.now();
    const write = () => {
      timer = null;
      last = Date.now();
      const v = local.currentView();
      if (v) writeSpotlight(doc, { ...v, by: { id: byId, name: byName }, at });
    };
    const changed = () => {
      const wait = last + PRESENT_INTERVAL_MS - Date.now();
      if (wait <= 0) write();
      else if (!timer) timer = setTimeout(write, wait);
    };
    write();
    const off = local.onView(changed);
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [doc, local, byId, byName, active]);
}

/** Follow `view`: navigate to it now and whenever it changes (replacing history, so Back leaves the page). */
export function useFollowView(view: SharedView | null): void {
  const query = view ? queryOf(view) : null;
  useEffect(() => {
    if (view) navigateToView(view, "replace");
    // the query is the view's identity (the objects are rebuilt on every change)
  }, [query]);
}
