"use client";
import { useEffect } from "react";
import { CANVAS_WIDTH_COOKIE } from "./first-window";
import { useElementWidth } from "./use-element-width";

/**
 * The explorer canvas's width (see useElementWidth), remembered in a cookie so the page reads the
 * first window on the server for this width next time (first-window.ts).
 */
export function useCanvasWidth(): ReturnType<typeof useElementWidth<HTMLDivElement>> {
  const r = useElementWidth<HTMLDivElement>(1100);
  const [, width, measured] = r;
  useEffect(() => {
    if (measured) document.cookie = `${CANVAS_WIDTH_COOKIE}=${width}; path=/; max-age=31536000; samesite=lax`;
  }, [measured, width]);
  return r;
}
