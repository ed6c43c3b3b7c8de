import { DatasetsPanel } from "../../_components/datasets/datasets-panel";

export default async function WorkspaceHome({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <DatasetsPanel slug={slug} />;
}
