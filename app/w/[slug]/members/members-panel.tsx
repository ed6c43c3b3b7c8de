"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "../../../_lib/trpc";

type Role = "OWNER" | "EDITOR" | "VIEWER";
const ROLES: Role[] = ["OWNER", "EDITOR", "VIEWER"];
const ROLE_HELP: Record<Role, string> = {
  OWNER: "manages members and settings",
  EDITOR: "adds datasets, hypotheses and annotations",
  VIEWER: "reads and comments",
};

export function MembersPanel({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const ws = useQuery(trpc.workspace.get.queryOptions({ workspace: slug }));
  const members = useQuery(trpc.workspace.members.queryOptions({ workspace: slug }));
  const isOwner = ws.data?.role === "OWNER";
  const invites = useQuery({ ...trpc.invite.list.queryOptions({ workspace: slug }), enabled: isOwner });
  const refresh = () => qc.invalidateQueries();

  const changeRole = useMutation(trpc.workspace.changeRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.workspace.removeMember.mutationOptions({ onSuccess: refresh }));
  const createInvite = useMutation(trpc.invite.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.invite.revoke.mutationOptions({ onSuccess: refresh }));
  const rename = useMutation(trpc.workspace.rename.mutationOptions({ onSuccess: refresh }));

  const [inviteRole, setInviteRole] = useState<Role>("VIEWER");
  const [newName, setNewName] = useState("");
  const [copied, setCopied] = useState(false);
  const mutationError = [changeRole, remove, createInvite, revoke, rename].find((m) => m.error)?.error;

  return (
    <>
      <section className="card" aria-labelledby="members-heading">
        <h2 id="members-heading" style={{ marginTop: 0 }}>Members</h2>
        {members.isLoading ? <p className="muted">Loading members…</p> : null}
        {members.error ? <p className="error">{errorMessage(members.error)}</p> : null}
        {mutationError ? <p className="error" role="alert">{errorMessage(mutationError)}</p> : null}
        {members.data ? (
          <table>
            <thead>
              <tr><th>Member</th><th>Role</th><th>Joined</th>{isOwner ? <th aria-label="Actions" /> : null}</tr>
            </thead>
            <tbody>
              {members.data.map((m) => (
                <tr key={m.userId} data-testid={`member-${m.email}`}>
                  <td>{m.name ? <><strong>{m.name}</strong> <span className="muted">{m.email}</span></> : m.email}</td>
                  <td>
                    {isOwner ? (
                      <select
                        aria-label={`Role of ${m.email}`}
                        value={m.role}
                        onChange={(e) => changeRole.mutate({ workspace: slug, userId: m.userId, role: e.target.value as Role })}
                      >
                        {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    ) : (
                      <span className="badge">{m.role}</span>
                    )}
                  </td>
                  <td className="muted">{m.joinedAt.toLocaleDateString()}</td>
                  {isOwner ? (
                    <td>
                      <button className="secondary" onClick={() => remove.mutate({ workspace: slug, userId: m.userId })}>Remove</button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      {isOwner ? (
        <section className="card" aria-labelledby="invite-heading">
          <h2 id="invite-heading" style={{ marginTop: 0 }}>Invite by link</h2>
          <p className="muted">Anyone who opens the link and signs in joins with the chosen role. A link works once and expires.</p>
          <div className="row">
            <div>
              <label htmlFor="invite-role">Role</label>
              <select id="invite-role" value={inviteRole} onChange={(e) => setInviteRole(e.target.value as Role)}>
                {ROLES.map((r) => <option key={r} value={r}>{r} — {ROLE_HELP[r]}</option>)}
              </select>
            </div>
            <button onClick={() => { setCopied(false); createInvite.mutate({ workspace: slug, role: inviteRole }); }} disabled={createInvite.isPending}>
              Create invite link
            </button>
          </div>
          {createInvite.data ? (
            <div className="success">
              <label htmlFor="invite-url">Send this link ({createInvite.data.role}, expires {createInvite.data.expiresAt.toLocaleString()}):</label>
              <div className="row">
                <input id="invite-url" data-testid="invite-url" readOnly value={createInvite.data.url} onFocus={(e) => e.currentTarget.select()} />
                <button
                  className="secondary"
                  onClick={async () => {
                    await navigator.clipboard?.writeText(createInvite.data.url).catch(() => undefined);
                    setCopied(true);
                  }}
                >
                  {copied ? "Copied" : "Copy"}
                </button>
              </div>
            </div>
          ) : null}
          {invites.data && invites.data.length > 0 ? (
            <>
              <h2>Open invite links</h2>
              <table>
                <thead><tr><th>Role</th><th>Created by</th><th>Expires</th><th aria-label="Actions" /></tr></thead>
                <tbody>
                  {invites.data.map((i) => (
                    <tr key={i.id}>
                      <td><span className="badge">{i.role}</span></td>
                      <td>{i.createdBy}</td>
                      <td className="muted">{i.expiresAt.toLocaleString()}</td>
                      <td><button className="secondary" onClick={() => revoke.mutate({ workspace: slug, inviteId: i.id })}>Revoke</button></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </section>
      ) : null}

      {isOwner ? (
        <section className="card" aria-labelledby="settings-heading">
          <h2 id="settings-heading" style={{ marginTop: 0 }}>Workspace name</h2>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              rename.mutate({ workspace: slug, name: newName });
            }}
          >
            <div>
              <label htmlFor="ws-rename">Name</label>
              <input id="ws-rename" value={newName} maxLength={100} placeholder={ws.data?.name} onChange={(e) => setNewName(e.target.value)} />
            </div>
            <button type="submit" disabled={!newName.trim() || rename.isPending}>Rename</button>
          </form>
        </section>
      ) : null}
    </>
  );
}
