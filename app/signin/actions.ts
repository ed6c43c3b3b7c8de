"use server";
import { AuthError } from "next-auth";
import { signIn, SignInLimited } from "@/server/auth";
import { safeCallbackPath } from "@/server/http/callback-path";

export interface SignInState {
  error?: string;
  /** Echoed back so the field keeps its value after React resets the form. */
  email?: string;
}

export async function signInWithPassword(_prev: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) return { error: "enter your email and password", email };
  try {
    await signIn("credentials", { email, password, redirectTo: safeCallbackPath(form.get("redirectTo")) });
    return {};
  } catch (e) {
    // Without this catch a wrong password would show Next's error page (stack-notes).
    if (e instanceof SignInLimited) return { error: e.reason, email };
    if (e instanceof AuthError) {
      return { error: e.type === "CredentialsSignin" ? "wrong email or password" : `sign-in failed (${e.type}); try again`, email };
    }
    throw e; // includes the redirect that signals success
  }
}

export async function signInWithGitHub(form: FormData): Promise<void> {
  await signIn("github", { redirectTo: safeCallbackPath(form.get("redirectTo")) });
}
