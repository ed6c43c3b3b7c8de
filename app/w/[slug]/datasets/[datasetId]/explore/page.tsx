import Link from "next/link";
import { Suspense } from "react";
import { ServerExplorer } from "@/app/_components/explorer/server-explorer";

export default async function ExplorePage({ params }: { params: Promise<{ slug: string; datasetId: string }> }) {
  const { slug, datasetId } = await params;
  return (
    <div className="explore-page">
      <p className="crumbs">
        <Link href={`/w/${slug}`}>Datasets</Link> / <span className="mono">{datasetId}</span> / Explore
      </p>
      <Suspense fallback={<div className="explorer-status">Opening the dataset…</div>}>
        <ServerExplorer workspace={slug} datasetId={datasetId} />
      </Suspense>
    </div>
  );
}
