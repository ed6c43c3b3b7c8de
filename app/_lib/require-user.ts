import { redirect } from "next/navigation";
import { currentUserId } from "@/server/auth";

/** Server components: the signed-in user's id, or a redirect to sign-in that comes back here. */
export async function requireUser(returnTo: string): Promise<string> {
  const id = await currentUserId();
  if (!id) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return id;
}
