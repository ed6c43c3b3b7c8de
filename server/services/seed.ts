/** Demo data seeded on start, so a new user can sign in and look around at once. */
import type { Db } from "@/server/db/client";
import { createUser, findUserByEmail } from "./users";
import { createWorkspace } from "./workspaces";

export const DEMO_LOGIN = { email: "demo@statescope.dev", password: "statescope-demo", name: "Demo researcher" } as const;
export const DEMO_WORKSPACE = { slug: "demo", name: "Demo workspace" } as const;

export async function seedDemo(db: Db): Promise<{ created: boolean }> {
  let user = await findUserByEmail(db, DEMO_LOGIN.email);
  let created = false;
  if (!user) {
    user = await createUser(db, DEMO_LOGIN);
    created = true;
  }
  const ws = await db.workspace.findUnique({ where: { slug: DEMO_WORKSPACE.slug }, select: { id: true } });
  if (!ws) await createWorkspace(db, user.userId, DEMO_WORKSPACE);
  return { created };
}
