import { FindingsPanel } from "../../../_components/findings/findings-panel";

export default async function FindingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <FindingsPanel slug={slug} />;
}
