"use client";
import { useQuery } from "@tanstack/react-query";
import { MentionInbox } from "../../_components/records/mention-inbox";
import { errorMessage, useTRPC } from "../../_lib/trpc";

export function WorkspaceHeader({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const ws = useQuery(trpc.workspace.get.queryOptions({ workspace: slug }));
  if (ws.error) return <p className="error" role="alert">{errorMessage(ws.error)}</p>;
  return (
    <div className="workspace-header">
      <h1>
        {ws.data?.name ?? slug} {ws.data ? <span className="badge" data-testid="my-role">{ws.data.role}</span> : null}
      </h1>
      {ws.data ? <MentionInbox workspace={slug} /> : null}
    </div>
  );
}
