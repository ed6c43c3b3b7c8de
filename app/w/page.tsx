import { requireUser } from "../_lib/require-user";
import { WorkspaceList } from "./workspace-list";

export const dynamic = "force-dynamic";

export default async function WorkspacesPage() {
  await requireUser("/w");
  return (
    <main className="page">
      <h1>Workspaces</h1>
      <WorkspaceList />
    </main>
  );
}
