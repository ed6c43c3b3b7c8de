import { InviteView } from "./invite-view";
import { currentUserId } from "@/server/auth";

export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const signedIn = Boolean(await currentUserId());
  return (
    <main className="page narrow">
      <h1>Workspace invitation</h1>
      <InviteView token={token} signedIn={signedIn} />
    </main>
  );
}
