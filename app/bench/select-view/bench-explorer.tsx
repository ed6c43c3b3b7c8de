"use client";
import { useMemo } from "react";
import { Explorer } from "@/app/_components/explorer/explorer";
import { createSyntheticData } from "@/app/_components/explorer/synthetic-data";

export function BenchExplorer() {
  const data = useMemo(() => createSyntheticData({ steps: 4000, cells: 650 }), []);
  return <Explorer data={data} selectLink={(q) => `/bench/select-view?${q}`} />;
}
