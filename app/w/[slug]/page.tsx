import { DatasetsPanel } from "../../_components/datasets/datasets-panel";
import { requireUser, withQuery, type SearchParams } from "../../_lib/require-user";

export default async function WorkspaceHome({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<SearchParams> }) {
  const { slug } = await params;
  await requireUser(withQuery(`/w/${slug}`, await searchParams));
  return <DatasetsPanel slug={slug} />;
}
