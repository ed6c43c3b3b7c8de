import Link from "next/link";
import { Suspense } from "react";
import { CollabExplorer } from "@/app/_components/collab/collab-explorer";
import { requireUser } from "@/app/_lib/require-user";
import { createCaller } from "@/server/api/root";
import { db } from "@/server/db/client";
import { env } from "@/server/env";
import type { DatasetDetail } from "@/server/services/datasets/schemas";

/**
 * The dataset's details are read here, through the same tRPC procedure (and its workspace check)
 * the client would call, and handed to the explorer with the page: the first window's reads start
 * as soon as the page hydrates instead of one round trip later (npm run bench:explorer-open).
 * Any failure is left to the client, which shows it with its own query.
 */
async function prefetchInfo(userId: string, slug: string, datasetId: string): Promise<DatasetDetail | null> {
  try {
    const caller = createCaller({ db: db(), actor: { userId }, publicUrl: env().PUBLIC_URL ?? "http://localhost" });
    const d = await caller.dataset.get({ workspace: slug, datasetId });
    return d.status === "READY" ? d : null;
  } catch {
    return null;
  }
}

export default async function ExplorePage({ params }: { params: Promise<{ slug: string; datasetId: string }> }) {
  const { slug, datasetId } = await params;
  const userId = await requireUser(`/w/${slug}/datasets/${datasetId}/explore`);
  const initialInfo = await prefetchInfo(userId, slug, datasetId);
  return (
    <div className="explore-page">
      <p className="crumbs">
        <Link href={`/w/${slug}`}>Datasets</Link> / <span className="mono">{initialInfo?.name ?? datasetId}</span> / Explore
      </p>
      <Suspense fallback={<div className="explorer-status">Opening the dataset…</div>}>
        <CollabExplorer workspace={slug} datasetId={datasetId} userId={userId} initialInfo={initialInfo} />
      </Suspense>
    </div>
  );
}
