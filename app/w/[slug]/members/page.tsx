import { requireUser } from "../../../_lib/require-user";
import { MembersPanel } from "./members-panel";

export default async function MembersPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  await requireUser(`/w/${slug}/members`);
  return <MembersPanel slug={slug} />;
}
