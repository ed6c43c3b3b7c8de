"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { errorMessage, useTRPCClient } from "@/app/_lib/trpc";
import { handOverTicket } from "./ticket-handoff";

/** After this long "Joining…" says that the class is being let in a few at a time. */
const SLOW_JOIN_MS = 1500;

/**
 * Join a class session: the code from the projector (or the link's) and, for a guest, the name
 * the class will see. No account needed; a signed-in user joins under their account.
 */
export function JoinForm({ code: initialCode, signedIn }: { code: string; signedIn: boolean }) {
  const client = useTRPCClient();
  const router = useRouter();
  const [code, setCode] = useState(initialCode);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // a class joining at once is let in at a bounded rate (server: join-pacer.ts): say why it takes a moment
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!busy) return setSlow(false);
    const t = setTimeout(() => setSlow(true), SLOW_JOIN_MS);
    return () => clearTimeout(t);
  }, [busy]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const j = await client.classroom.join.mutate({ code, ...(name.trim() ? { name: name.trim() } : {}) });
      // the session page connects with the ticket the join answered with (no second request)
      handOverTicket(j.sessionId, j.ticket);
      router.push(`/c/s/${j.sessionId}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <form className="class-join card" onSubmit={submit} data-testid="class-join">
      <h1>Join a class</h1>
      <label>
        Session code
        <input
          value={code}
          onChange={(e) => setCode(e.target.value.toUpperCase())}
          placeholder="e.g. K7QMXAT"
          autoCapitalize="characters"
          autoComplete="off"
          spellCheck={false}
          maxLength={12}
          required
          autoFocus={!initialCode}
          className="mono class-code-input"
          data-testid="class-code"
        />
      </label>
      {signedIn ? (
        <p className="muted">You join with your account.</p>
      ) : (
        <label>
          Your name (the class sees it)
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={60} required autoFocus={!!initialCode} data-testid="class-name" />
        </label>
      )}
      {error && (
        <p className="error" role="alert" data-testid="class-join-error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy} data-testid="class-join-submit">
        {busy ? "Joining…" : "Join"}
      </button>
      {slow && (
        <p className="muted" role="status" data-testid="class-join-wait">
          Many people are joining at once: you will be let in within a few seconds.
        </p>
      )}
      {!signedIn && <p className="muted hint">No account needed: you can explore the class's dataset and answer its questions for this session only.</p>}
    </form>
  );
}

/** A class page that cannot be shown: what went wrong and where to go. */
export function ClassMessage({ title, message, testId, children }: { title: string; message: string; testId: string; children?: React.ReactNode }) {
  return (
    <div className="class-join-page">
      <div className="card class-join">
        <h1>{title}</h1>
        <p className="error" role="alert" data-testid={testId}>
          {message}
        </p>
        {children}
      </div>
    </div>
  );
}
