import Link from "next/link";
import { auth, signOut } from "@/server/auth";

export async function TopBar() {
  const session = await auth();
  async function doSignOut() {
    "use server";
    await signOut({ redirectTo: "/signin" });
  }
  // prefetch={false} on the header's and the workspace tabs' links: Next prefetched them again on
  // every URL change, and the explorer rewrites its URL as the view changes (npm run bench:explorer-open)
  return (
    <header className="top">
      <Link href="/" className="brand" prefetch={false}>Statescope</Link>
      {session?.user ? <Link href="/w" prefetch={false}>Workspaces</Link> : null}
      {session?.user ? <Link href="/settings/tokens" prefetch={false}>API tokens</Link> : null}
      <span className="spacer" />
      {session?.user ? (
        <>
          <span data-testid="current-user">{session.user.email}</span>
          <form action={doSignOut}>
            <button className="ghost" type="submit">Sign out</button>
          </form>
        </>
      ) : (
        <>
          <Link href="/signin">Sign in</Link>
          <Link href="/signup">Sign up</Link>
        </>
      )}
    </header>
  );
}
