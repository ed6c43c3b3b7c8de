"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { errorMessage, useTRPC } from "../../_lib/trpc";

export function InviteView({ token, signedIn }: { token: string; signedIn: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const preview = useQuery({ ...trpc.invite.preview.queryOptions({ token }), retry: false });
  const accept = useMutation(trpc.invite.accept.mutationOptions({ onSuccess: (r) => router.push(`/w/${r.workspaceSlug}`) }));
  const here = `/invite/${token}`;

  if (preview.isLoading) return <div className="card"><p className="muted">Checking the invitation…</p></div>;
  if (preview.error) return <div className="card"><p className="error" role="alert">{errorMessage(preview.error)}</p></div>;
  const p = preview.data;
  if (!p) return null;
  return (
    <div className="card">
      <p>
        <strong>{p.invitedBy}</strong> invites you to <strong>{p.workspaceName}</strong> as <span className="badge">{p.role}</span>.
      </p>
      <p className="muted">This link works once and expires {p.expiresAt.toLocaleString()}.</p>
      {signedIn ? (
        <button onClick={() => accept.mutate({ token })} disabled={accept.isPending}>
          {accept.isPending ? "Joining…" : `Join ${p.workspaceName}`}
        </button>
      ) : (
        <p>
          <Link className="button" href={`/signin?callbackUrl=${encodeURIComponent(here)}`}>Sign in to join</Link>{" "}
          or <Link href={`/signup?callbackUrl=${encodeURIComponent(here)}`}>create an account</Link>.
        </p>
      )}
      {accept.error ? <p className="error" role="alert">{errorMessage(accept.error)}</p> : null}
    </div>
  );
}
