import Link from "next/link";
import { redirect } from "next/navigation";
import { currentUserId } from "@/server/auth";
import { safeCallbackPath, signInUrl } from "@/server/http/callback-path";
import { SignUpForm } from "./sign-up-form";

export const dynamic = "force-dynamic";

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const redirectTo = safeCallbackPath(sp.callbackUrl);
  if (await currentUserId()) redirect(redirectTo);
  return (
    <main className="page narrow">
      <h1>Create your Statescope account</h1>
      <div className="card">
        <SignUpForm redirectTo={redirectTo} />
      </div>
      <p className="muted">
        Already have an account? <Link href={signInUrl(redirectTo)}>Sign in</Link>.
      </p>
    </main>
  );
}
