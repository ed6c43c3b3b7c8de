import type { ReactNode } from "react";
import { MemberColorsProvider } from "../../_components/collab/member-colors";
import { currentUserId } from "@/server/auth";
import { WorkspaceHeader } from "./workspace-header";
import { WorkspaceNav } from "./workspace-nav";

export const dynamic = "force-dynamic";

export default async function WorkspaceLayout({ children, params }: { children: ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  // Signed out: each page redirects to sign-in with its own full URL (path and query, so a deep
  // link survives sign-in); a layout does not know that URL, so it must not redirect first.
  if (!(await currentUserId())) return children;
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
