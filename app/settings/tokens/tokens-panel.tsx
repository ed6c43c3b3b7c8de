"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "../../_lib/trpc";

const when = (d: Date | null) => (d ? new Date(d).toLocaleString() : "—");

export function TokensPanel() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.token.list.queryOptions());
  const workspaces = useQuery(trpc.workspace.list.queryOptions());
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.token.list.queryKey() });
  const [shown, setShown] = useState<string | null>(null);
  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: (t) => {
        setShown(t.token);
        refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.token.revoke.mutationOptions({ onSuccess: refresh }));
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"read" | "write">("read");
  const [workspace, setWorkspace] = useState("");
  const [days, setDays] = useState("90");

  return (
    <>
      {shown ? (
        <div className="card" role="status" data-testid="new-token">
          <h2 style={{ marginTop: 0 }}>Your new token</h2>
          <p>Copy it now: it is shown only once (the server keeps only a hash).</p>
          <p>
            <code className="mono" style={{ userSelect: "all", wordBreak: "break-all" }}>{shown}</code>
          </p>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(shown)}>Copy</button>{" "}
          <button type="button" onClick={() => setShown(null)}>Done</button>
        </div>
      ) : null}
      <div className="card list" aria-busy={list.isLoading}>
        {list.isLoading ? <p className="muted">Loading your tokens…</p> : null}
        {list.error ? <p className="error">{errorMessage(list.error)}</p> : null}
        {list.data && list.data.length === 0 ? (
          <div className="empty">
            <h2>No API tokens yet</h2>
            <p>Create one below for a training script or the command line. Choose “read” unless it uploads data or writes hypotheses.</p>
          </div>
        ) : null}
        {list.data && list.data.length > 0 ? (
          <table className="tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Token</th>
                <th>Scope</th>
                <th>Workspace</th>
                <th>Expires</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.map((t) => (
                <tr key={t.id} className={t.revokedAt ? "muted" : undefined}>
                  <td>{t.name}</td>
                  <td className="mono">{t.hint}…</td>
                  <td>{t.scope}</td>
                  <td>{t.workspace ?? "all of yours"}</td>
                  <td>{t.expiresAt ? when(t.expiresAt) : "never"}</td>
                  <td>{t.lastUsedAt ? `${when(t.lastUsedAt)} from ${t.lastUsedFrom ?? "?"}` : "never"}</td>
                  <td>
                    {t.revokedAt ? (
                      `revoked ${when(t.revokedAt)}`
                    ) : (
                      <button type="button" onClick={() => revoke.mutate({ tokenId: t.id })} disabled={revoke.isPending} aria-label={`Revoke ${t.name}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {revoke.error ? <p className="error" role="alert">{errorMessage(revoke.error)}</p> : null}
      </div>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>New token</h2>
        <form
          aria-label="Create API token"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ name, scope, ...(workspace ? { workspace } : {}), ...(days ? { expiresInDays: Number(days) } : {}) });
          }}
        >
          <div className="row">
            <div>
              <label htmlFor="tok-name">Name</label>
              <input id="tok-name" value={name} maxLength={100} required onChange={(e) => setName(e.target.value)} placeholder="training server" />
            </div>
            <div>
              <label htmlFor="tok-scope">Scope</label>
              <select id="tok-scope" value={scope} onChange={(e) => setScope(e.target.value as "read" | "write")}>
                <option value="read">read (datasets, matches, searches)</option>
                <option value="write">write (also upload, extract, hypotheses)</option>
              </select>
            </div>
            <div>
              <label htmlFor="tok-ws">Workspace</label>
              <select id="tok-ws" value={workspace} onChange={(e) => setWorkspace(e.target.value)}>
                <option value="">all of mine</option>
                {workspaces.data?.map((w) => (
                  <option key={w.id} value={w.slug}>
                    {w.name}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor="tok-days">Expires</label>
              <select id="tok-days" value={days} onChange={(e) => setDays(e.target.value)}>
                <option value="7">in 7 days</option>
                <option value="30">in 30 days</option>
                <option value="90">in 90 days</option>
                <option value="365">in a year</option>
                <option value="">never</option>
              </select>
            </div>
            <button type="submit" disabled={create.isPending || !name.trim()}>{create.isPending ? "Creating…" : "Create token"}</button>
          </div>
          {create.error ? <p className="error" role="alert">{errorMessage(create.error)}</p> : null}
        </form>
      </div>
    </>
  );
}
