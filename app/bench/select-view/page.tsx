import { notFound } from "next/navigation";
import { Suspense } from "react";
import { env } from "@/server/env";
import { BenchExplorer } from "./bench-explorer";

export const dynamic = "force-dynamic";

/**
 * The real explorer on generated data (650 cells), for `npm run bench:ui` and for working on the
 * views without a database. Off in production unless STATESCOPE_BENCH_PAGES=1.
 */
export default function BenchSelectView() {
  const e = env();
  if (e.NODE_ENV === "production" && !e.STATESCOPE_BENCH_PAGES) notFound();
  return (
    <main className="page explore-page" style={{ maxWidth: "none" }}>
      <Suspense fallback={null}>
        <BenchExplorer />
      </Suspense>
    </main>
  );
}
