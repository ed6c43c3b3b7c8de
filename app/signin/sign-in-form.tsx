"use client";
import { useActionState } from "react";
import { signInWithPassword, type SignInState } from "./actions";

export function SignInForm({ redirectTo, email }: { redirectTo: string; email?: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signInWithPassword, {});
  return (
    <form action={action} aria-label="Sign in">
      <input type="hidden" name="redirectTo" value={redirectTo} />
      <label htmlFor="email">Email</label>
      <input id="email" name="email" type="email" autoComplete="email" required defaultValue={state.email ?? email} key={state.email ?? email ?? ""} autoFocus />
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required />
      {state.error ? <p className="error" role="alert">{state.error}</p> : null}
      <p><button type="submit" disabled={pending}>{pending ? "Signing in…" : "Sign in"}</button></p>
    </form>
  );
}
