/**
 * Prisma CLI configuration (Prisma 6.19.3, WASM schema engine through
 * @prisma/adapter-pg). Prisma 7's CLI downloads a native engine at start,
 * which is impossible offline; see ../shared/docs/stack-notes.md.
 */
import path from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// Workaround for prisma/orm#27403: the schema engine's introspection queries
// return system types (name, char, int2vector, oidvector, regproc, …) that
// adapter-pg cannot map. Report them as text / text[].
const AS_TEXT = new Set([18, 19, 22, 24, 30, 194, 2205, 2206]);
const AS_TEXT_ARRAY = new Set([1002, 1003]);
type AddFields = (fieldDescriptions: { dataTypeID: number }[]) => void;
const proto = pg.Result.prototype as unknown as { addFields: AddFields; __statescopePatched?: boolean };
if (!proto.__statescopePatched) {
  const original = proto.addFields;
  proto.addFields = function (this: unknown, fields) {
    for (const f of fields) {
      if (AS_TEXT.has(f.dataTypeID)) f.dataTypeID = 25;
      else if (AS_TEXT_ARRAY.has(f.dataTypeID)) f.dataTypeID = 1009;
    }
    return original.call(this, fields);
  };
  proto.__statescopePatched = true;
}

function adapterFromUrl(raw: string): PrismaPg {
  // Discrete fields, not connectionString: with a connection string the
  // shadow database would be the main database (stack-notes workaround 2).
  const u = new URL(raw);
  return new PrismaPg({
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres",
    // let the CLI exit as soon as its work is done instead of after pg's 10 s idle timeout
    allowExitOnIdle: true,
    idleTimeoutMillis: 500,
  });
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: run migrations through `npm run db:migrate`, which starts the embedded Postgres");
    return adapterFromUrl(url);
  },
});
