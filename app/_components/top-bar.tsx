import Link from "next/link";
import { auth, signOut } from "@/server/auth";

export async function TopBar() {
  const session = await auth();
  async function doSignOut() {
    "use server";
    await signOut({ redirectTo: "/signin" });
  }
  return (
    <header className="top">
      <Link href="/" className="brand">Statescope</Link>
      {session?.user ? <Link href="/w">Workspaces</Link> : null}
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
