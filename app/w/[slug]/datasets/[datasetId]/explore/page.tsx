import Link from "next/link";
import { Suspense } from "react";
import { CollabExplorer } from "@/app/_components/collab/collab-explorer";
import { requireUser } from "@/app/_lib/require-user";

export default async function ExplorePage({ params }: { params: Promise<{ slug: string; datasetId: string }> }) {
  const { slug, datasetId } = await params;
  const userId = await requireUser(`/w/${slug}/datasets/${datasetId}/explore`);
  return (
    <div className="explore-page">
      <p className="crumbs">
        <Link href={`/w/${slug}`}>Datasets</Link> / <span className="mono">{datasetId}</span> / Explore
      </p>
      <Suspense fallback={<div className="explorer-status">Opening the dataset…</div>}>
        <CollabExplorer workspace={slug} datasetId={datasetId} userId={userId} />
      </Suspense>
    </div>
  );
}
