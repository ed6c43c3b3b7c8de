import { MembersPanel } from "./members-panel";

export default async function MembersPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <MembersPanel slug={slug} />;
}
