/**
 * The route handlers' part of the authorization matrix, over HTTP against a running production
 * server (a launcher): every route of ROUTE_ACCESS is called signed out, by each role of workspace
 * A below its minimum, by the owner of workspace B (with A's slug, and with B's slug and A's ids),
 * and by A's member at exactly the minimum. Returns what did not answer as the table says.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROUTE_ACCESS } from "../../server/api/access";
import { createDb } from "../../server/db/client";
import { ROLE_RANK } from "../../server/services/authz";
import { importDataset } from "../../server/services/datasets/import";
import type { Role } from "../../server/services/schemas";
import { createUser } from "../../server/services/users";
import { createWorkspace } from "../../server/services/workspaces";
import { makeLstmVisProject } from "../fixtures/formats/projects";
import { sessionCookie } from "./durability";
import type { Launcher } from "./launcher";

const ROLES: Role[] = ["VIEWER", "EDITOR", "OWNER"];

export async function routeMatrixFailures(l: Launcher): Promise<string[]> {
  const db = createDb(l.databaseUrl);
  const tmp = await mkdtemp(join(tmpdir(), "route-matrix-"));
  try {
    const person = async (slug: string) => {
      const email = `${slug}@route-matrix.test`;
      const { userId } = await createUser(db, { email, password: "password1", name: slug });
      return { userId, cookie: await sessionCookie(userId, email, slug) };
    };
    const fx = await makeLstmVisProject(join(tmp, "p"), { n: 20 });
    const aOwner = await person("rm-a-owner");
    const a = await createWorkspace(db, aOwner.userId, { slug: "rm-a" });
    const member = async (role: Role) => {
      const u = await person(`rm-a-${role.toLowerCase()}`);
      await db.membership.create({ data: { workspaceId: a.workspaceId, userId: u.userId, role } });
      return u;
    };
    const members: Record<Role, { cookie: string }> = { OWNER: aOwner, EDITOR: await member("EDITOR"), VIEWER: await member("VIEWER") };
    const bOwner = await person("rm-b-owner");
    await createWorkspace(db, bOwner.userId, { slug: "rm-b" });
    const dsA = (await importDataset(db, { workspaceId: a.workspaceId, userId: aOwner.userId, path: fx.dir, name: "a" })).datasetId;

    const wrong: string[] = [];
    for (const [route, minimum] of Object.entries(ROUTE_ACCESS) as [string, Role][]) {
      const [method, template] = route.split(" ") as [string, string];
      const url = (slug: string) =>
        `${l.webUrl}${template.replace("[slug]", slug).replace("[datasetId]", dsA)}${method === "GET" ? "?source=states::states1&from=0&to=4" : ""}`;
      const status = async (slug: string, cookie: string | null) => {
        const r = await fetch(url(slug), {
          method,
          headers: { origin: l.webUrl, ...(cookie ? { cookie } : {}) },
          ...(method === "GET" ? {} : { body: new FormData() }),
          signal: AbortSignal.timeout(30_000),
        });
        await r.arrayBuffer().catch(() => undefined);
        return r.status;
      };
      const expect = async (who: string, got: Promise<number>, ok: (s: number) => boolean, want: string) => {
        const s = await got;
        if (!ok(s)) wrong.push(`${route} ${who}: HTTP ${s}, want ${want}`);
      };
      await expect("signed out", status("rm-a", null), (s) => s === 401, "401");
      for (const role of ROLES) {
        if (ROLE_RANK[role] < ROLE_RANK[minimum]) await expect(`as A's ${role}`, status("rm-a", members[role].cookie), (s) => s === 403, "403");
      }
      await expect("as B's owner, A's slug", status("rm-a", bOwner.cookie), (s) => s === 403 || s === 404, "403/404");
      if (template.includes("[datasetId]")) await expect("as B's owner, B's slug with A's ids", status("rm-b", bOwner.cookie), (s) => s === 403 || s === 404, "403/404");
      await expect(`as A's ${minimum} (its minimum)`, status("rm-a", members[minimum].cookie), (s) => ![401, 403, 404].includes(s), "past authorization");
    }
    return wrong;
  } finally {
    await db.$disconnect();
    await rm(tmp, { recursive: true, force: true });
  }
}
