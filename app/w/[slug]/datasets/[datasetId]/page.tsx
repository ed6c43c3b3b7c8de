import { Suspense } from "react";
import { DatasetView } from "../../../../_components/datasets/dataset-view";

export default async function DatasetPage({ params }: { params: Promise<{ slug: string; datasetId: string }> }) {
  const { slug, datasetId } = await params;
  return (
    <Suspense fallback={<p className="muted">Loading the dataset…</p>}>
      <DatasetView slug={slug} datasetId={datasetId} />
    </Suspense>
  );
}
