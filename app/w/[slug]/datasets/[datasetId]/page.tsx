import { Suspense } from "react";
import { DatasetView } from "../../../../_components/datasets/dataset-view";
import { requireUser, withQuery, type SearchParams } from "../../../../_lib/require-user";

export default async function DatasetPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string; datasetId: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const { slug, datasetId } = await params;
  await requireUser(withQuery(`/w/${slug}/datasets/${datasetId}`, await searchParams));
  return (
    <Suspense fallback={<p className="muted">Loading the dataset…</p>}>
      <DatasetView slug={slug} datasetId={datasetId} />
    </Suspense>
  );
}
