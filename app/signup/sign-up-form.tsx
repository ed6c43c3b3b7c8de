"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, useTransition } from "react";
import { errorMessage, useTRPC } from "../_lib/trpc";
import { signInWithPassword } from "../signin/actions";

export function SignUpForm({ redirectTo }: { redirectTo: string }) {
  const trpc = useTRPC();
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [signingIn, startSignIn] = useTransition();

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    const name = String(form.get("name") ?? "").trim();
    try {
      await signUp.mutateAsync({ email, password, ...(name ? { name } : {}) });
    } catch (err) {
      setError(errorMessage(err));
      return;
    }
    startSignIn(async () => {
      const fd = new FormData();
      fd.set("email", email);
      fd.set("password", password);
      fd.set("redirectTo", redirectTo);
      const r = await signInWithPassword({}, fd);
      if (r.error) setError(r.error);
    });
  }

  const busy = signUp.isPending || signingIn;
  return (
    <form onSubmit={onSubmit} aria-label="Sign up">
      <label htmlFor="name">Name (optional)</label>
      <input id="name" name="name" autoComplete="name" maxLength={100} />
      <label htmlFor="email">Email</label>
      <input id="email" name="email" type="email" autoComplete="email" required autoFocus />
      <label htmlFor="password">Password (at least 8 characters)</label>
      <input id="password" name="password" type="password" autoComplete="new-password" minLength={8} required />
      {error ? <p className="error" role="alert">{error}</p> : null}
      <p><button type="submit" disabled={busy}>{busy ? "Creating your account…" : "Create account"}</button></p>
    </form>
  );
}
