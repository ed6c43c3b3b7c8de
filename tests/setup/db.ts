/** Per-file databases for integration tests, cloned from the migrated template. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Db } from "../../server/db/client";
import { createPgPubSub } from "../../server/pubsub/pg";
import type { PubSub } from "../../server/pubsub/pubsub";

export interface TestDatabase {
  url: string;
  db: Db;
  /** Pub/sub on this database, as a process has one (its LISTEN connection opens on the first subscription). */
  pubsub: PubSub;
  drop(): Promise<void>;
}

export async function freshDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name} template statescope_template`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = createDb(url);
  const pubsub = createPgPubSub({ connectionString: url });
  return {
    url,
    db,
    pubsub,
    async drop() {
      await pubsub.close();
      await db.$disconnect();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
