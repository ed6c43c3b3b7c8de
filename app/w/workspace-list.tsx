"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorMessage, useTRPC } from "../_lib/trpc";

function slugify(s: string): string {
  return s.toLowerCase().trim().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48);
}

export function WorkspaceList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const list = useQuery(trpc.workspace.list.queryOptions());
  const create = useMutation(
    trpc.workspace.create.mutationOptions({
      // Navigate at once: the list refetches in the background, the new workspace has no datasets
      // yet, and its details are requested now rather than after the next page has loaded.
      // (Awaiting the list refetch, then the page, then its queries cost ~3 s on a loaded machine.)
      onSuccess: (ws) => {
        qc.setQueryData(trpc.dataset.list.queryKey({ workspace: ws.slug }), []);
        void qc.prefetchQuery(trpc.workspace.get.queryOptions({ workspace: ws.slug }));
        void qc.invalidateQueries({ queryKey: trpc.workspace.list.queryKey() });
        router.push(`/w/${ws.slug}`);
      },
    }),
  );
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugTouched, setSlugTouched] = useState(false);

  return (
    <>
      <div className="card list" aria-busy={list.isLoading}>
        {list.isLoading ? <p className="muted">Loading your workspaces…</p> : null}
        {list.error ? <p className="error">{errorMessage(list.error)}</p> : null}
        {list.data && list.data.length === 0 ? (
          <div className="empty">
            <h2>No workspaces yet</h2>
            <p>A workspace holds datasets, hypotheses and the people you explore them with. Create one below, or open an invite link someone sent you.</p>
          </div>
        ) : null}
        {list.data?.map((w) => (
          <Link key={w.id} className="item" href={`/w/${w.slug}`}>
            <span>
              <strong>{w.name}</strong> <span className="muted mono">/{w.slug}</span>
            </span>
            <span>
              <span className="badge">{w.role}</span> <span className="muted">{w.memberCount} member{w.memberCount === 1 ? "" : "s"}</span>
            </span>
          </Link>
        ))}
      </div>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>New workspace</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ slug, name: name || slug });
          }}
          aria-label="Create workspace"
        >
          <div className="row">
            <div>
              <label htmlFor="ws-name">Name</label>
              <input
                id="ws-name"
                value={name}
                maxLength={100}
                onChange={(e) => {
                  setName(e.target.value);
                  if (!slugTouched) setSlug(slugify(e.target.value));
                }}
                placeholder="Syntax probing"
              />
            </div>
            <div>
              <label htmlFor="ws-slug">URL name</label>
              <input
                id="ws-slug"
                value={slug}
                maxLength={48}
                required
                onChange={(e) => {
                  setSlugTouched(true);
                  setSlug(e.target.value);
                }}
                placeholder="syntax-probing"
              />
            </div>
            <button type="submit" disabled={create.isPending || !slug}>{create.isPending ? "Creating…" : "Create"}</button>
          </div>
          {create.error ? <p className="error" role="alert">{errorMessage(create.error)}</p> : null}
        </form>
      </div>
    </>
  );
}
