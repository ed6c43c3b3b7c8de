import Link from "next/link";
import { redirect } from "next/navigation";
import { currentUserId } from "@/server/auth";
import { safeCallbackPath, signInUrl } from "@/server/http/callback-path";
import { env, githubAuthEnabled } from "@/server/env";
import { signInWithGitHub } from "./actions";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const redirectTo = safeCallbackPath(sp.callbackUrl);
  if (await currentUserId()) redirect(redirectTo);
  return (
    <main className="page narrow">
      <h1>Sign in to Statescope</h1>
      <div className="card">
        <SignInForm redirectTo={redirectTo} email={sp.email} />
        {githubAuthEnabled(env()) ? (
          <form action={signInWithGitHub}>
            <input type="hidden" name="redirectTo" value={redirectTo} />
            <button className="secondary" type="submit">Continue with GitHub</button>
          </form>
        ) : null}
      </div>
      <p className="muted">
        New here? <Link href={signInUrl(redirectTo, "/signup")}>Create an account</Link>.
      </p>
    </main>
  );
}
