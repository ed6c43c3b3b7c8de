/**
 * The Prisma client (driver adapter over node-postgres). One per process,
 * created on first use from the validated environment.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/prisma/generated/client";
import { env } from "@/server/env";

export type Db = PrismaClient;

export function createDb(url: string): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
}

const holder = globalThis as unknown as { __statescopeDb?: Db };

/** The process-wide client (kept on globalThis so Next's dev reloads reuse it). */
export function db(): Db {
  if (!holder.__statescopeDb) {
    const url = env().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: start the app with `npm start` (it starts the embedded PostgreSQL) or set DATABASE_URL");
    holder.__statescopeDb = createDb(url);
  }
  return holder.__statescopeDb;
}
