import type { ReactNode } from "react";
import Link from "next/link";
import { clientErrorMessage, serverCaller } from "@/app/_lib/server-caller";
import { currentUserId } from "@/server/auth";
import { MemberColorsProvider } from "../../_components/records/member-colors";
import { WorkspaceHeader } from "./workspace-header";
import { WorkspaceNav } from "./workspace-nav";

export const dynamic = "force-dynamic";

export default async function WorkspaceLayout({ children, params }: { children: ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  // Signed out: each page redirects to sign-in with its own full URL (path and query, so a deep
  // link survives sign-in); a layout does not know that URL, so it must not redirect first.
  const userId = await currentUserId();
  if (!userId) return children;
  // One check here, so a workspace that does not exist (or is not yours) says so once, not once per panel.
  const problem = await (await serverCaller(userId)).workspace.get({ workspace: slug }).then(
    () => undefined,
    (e: unknown) => clientErrorMessage(e) ?? `workspace "${slug}" could not be opened; try again`,
  );
  if (problem) {
    return (
      <main className="page">
        <h1 className="mono">{slug}</h1>
        <p className="error" role="alert" data-testid="workspace-error">{problem}</p>
        <p><Link href="/w">Back to your workspaces</Link></p>
      </main>
    );
  }
  return (
    <main className="page">
      <MemberColorsProvider workspace={slug}>
        <WorkspaceHeader slug={slug} />
        <WorkspaceNav slug={slug} />
        {children}
      </MemberColorsProvider>
    </main>
  );
}
