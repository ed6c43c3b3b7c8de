import { requireUser } from "../../_lib/require-user";
import { TokensPanel } from "./tokens-panel";

export const dynamic = "force-dynamic";

export default async function ApiTokensPage() {
  await requireUser("/settings/tokens");
  return (
    <main className="page">
      <h1>API tokens</h1>
      <p className="muted">
        Personal tokens let scripts and the <code>statescope</code> command line use this server on your behalf (<code>Authorization: Bearer ssc_…</code>, or{" "}
        <code>--server … --token …</code>). A token acts with your role in each workspace, never more. The HTTP API is described at{" "}
        <a href="/api/docs">/api/docs</a>.
      </p>
      <TokensPanel />
    </main>
  );
}
