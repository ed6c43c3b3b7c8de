import type { ReactNode } from "react";
import { MemberColorsProvider } from "../../_components/records/member-colors";
import { requireUser } from "../../_lib/require-user";
import { WorkspaceHeader } from "./workspace-header";
import { WorkspaceNav } from "./workspace-nav";

export const dynamic = "force-dynamic";

export default async function WorkspaceLayout({ children, params }: { children: ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  await requireUser(`/w/${slug}`);
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
