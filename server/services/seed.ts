/** Demo data seeded on start, so a new user can sign in and look around at once. */
import type { Db } from "@/server/db/client";
import { createUser, findUserByEmail } from "./users";
import { createWorkspace } from "./workspaces";

export const DEMO_LOGIN = { email: "demo@statescope.dev", password: "statescope-demo", name: "Demo researcher" } as const;
export const DEMO_WORKSPACE = { slug: "demo", name: "Demo workspace" } as const;

/**
 * The demo login and workspace; with `datasets`, also the demo datasets (the
 * parens and c-code models run by a worker job, so the start stays quick).
 */
export async function seedDemo(db: Db, opts: { datasets?: boolean } = {}): Promise<{ created: boolean; datasetsQueued: string[]; datasetsError?: string }> {
  let user = await findUserByEmail(db, DEMO_LOGIN.email);
  let created = false;
  if (!user) {
    user = await createUser(db, DEMO_LOGIN);
    created = true;
  }
  const ws = await db.workspace.findUnique({ where: { slug: DEMO_WORKSPACE.slug }, select: { id: true } });
  const workspaceId = ws ? ws.id : (await createWorkspace(db, user.userId, DEMO_WORKSPACE)).workspaceId;
  if (!opts.datasets) return { created, datasetsQueued: [] };
  const { seedDemoDatasets } = await import("./extract/start");
  try {
    const { queued } = await seedDemoDatasets(db, workspaceId, user.userId);
    return { created, datasetsQueued: queued };
  } catch (e) {
    // The app is usable without its demo data: report and go on.
    return { created, datasetsQueued: [], datasetsError: e instanceof Error ? e.message : String(e) };
  }
}
