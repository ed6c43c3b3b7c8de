"use client";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { decodeViewState, encodeViewState, type ExplorerViewState } from "@statescope/core";
import type { Update } from "./slots";

/** Keeps the view state in the URL (replaceState, debounced) so a pasted link reproduces the view. */
export function useUrlState(): [ExplorerViewState, Update] {
  const params = useSearchParams();
  const [state, setState] = useState<ExplorerViewState>(() => decodeViewState(params.toString()));
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The query string this hook wrote last: any other change of the URL is a navigation
  // (a result link, back/forward) and replaces the view state.
  const written = useRef<string>(params.toString());
  const current = params.toString();
  useEffect(() => {
    if (current === written.current) return;
    written.current = current;
    setState(decodeViewState(current));
  }, [current]);
  useEffect(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const q = encodeViewState(state);
      written.current = q;
      if (window.location.search.slice(1) !== q) window.history.replaceState(window.history.state, "", `${window.location.pathname}?${q}`);
    }, 150);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [state]);
  const update = useCallback<Update>((f) => setState(f), []);
  return [state, update];
}
