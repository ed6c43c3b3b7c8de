"use client";
import { useLayoutEffect, useRef, useState } from "react";

/**
 * Width of an element, kept current with a ResizeObserver; `measured` is false until the element
 * was measured (the first render uses `fallback`), so reads that depend on the width can wait for it.
 */
export function useElementWidth<T extends HTMLElement>(fallback = 900): [React.RefObject<T | null>, number, boolean] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || fallback);
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && w > 0) setWidth(Math.floor(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [fallback]);
  return [ref, width ?? fallback, width !== null];
}
