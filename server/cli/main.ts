/**
 * The `statescope` command line. Shares the server's services and database
 * selection (DATABASE_URL, else the embedded Postgres of STATESCOPE_DATA_DIR,
 * reusing the one `npm start` runs). With --json, stdout carries exactly one
 * JSON object; errors go to stderr. Exit codes: 0 ok, 2 bad input, 1 failure.
 */
import { parseArgs } from "node:util";
import { AppError, CLIENT_ERROR_CODES, isAppError, MATCH_DEFAULTS } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { ANALYZE_COMMANDS, evidenceText, trackEvidence } from "./analyze";
import type { CommandSpec } from "./command";
import { exitAfterFlush } from "./exit";
import { prepare } from "./runtime";

const COMMON = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  // against a server through its HTTP API instead of the local database (or STATESCOPE_SERVER / STATESCOPE_TOKEN)
  server: { type: "string" },
  token: { type: "string" },
  workspace: { type: "string" },
} as const;

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.length === 0) throw new AppError("BAD_INPUT", `missing --${name}`);
  return v;
}

const COMMANDS: Record<string, CommandSpec> = {
  "user create": {
    usage: "statescope user create --email EMAIL --password PASSWORD [--name NAME] [--json]",
    summary: "create an account (email + password)",
    options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
    async run({ db, values }) {
      const { createUser } = await import("@/server/services/users");
      const name = typeof values.name === "string" ? values.name : undefined;
      const u = await createUser(db, { email: required(values, "email"), password: required(values, "password"), ...(name ? { name } : {}) });
      return { userId: u.userId, email: u.email, name: u.name };
    },
    text: (o) => `created user ${String(o.email)} (id ${String(o.userId)})`,
  },
  "workspace create": {
    usage: "statescope workspace create --slug SLUG --owner EMAIL [--name NAME] [--json]",
    summary: "create a workspace owned by an existing user",
    options: { slug: { type: "string" }, owner: { type: "string" }, name: { type: "string" } },
    async run({ db, values }) {
      const { findUserByEmail } = await import("@/server/services/users");
      const { createWorkspace } = await import("@/server/services/workspaces");
      const ownerEmail = required(values, "owner");
      const owner = await findUserByEmail(db, ownerEmail);
      if (!owner) throw new AppError("BAD_INPUT", `no user with the email ${ownerEmail}: create it first with \`statescope user create\``);
      const name = typeof values.name === "string" ? values.name : undefined;
      const ws = await createWorkspace(db, owner.userId, { slug: required(values, "slug"), ...(name ? { name } : {}) });
      return { workspaceId: ws.workspaceId, slug: ws.slug, ownerEmail: owner.email };
    },
    text: (o) => `created workspace ${String(o.slug)} (id ${String(o.workspaceId)}), owner ${String(o.ownerEmail)}`,
  },
  "token create": {
    usage: "statescope token create --email EMAIL --name NAME --scope read|write [--workspace SLUG] [--expires-days N] [--json]",
    summary: "create a personal API token for a user (shown once; for `--server` and the HTTP API)",
    options: { email: { type: "string" }, name: { type: "string" }, scope: { type: "string" }, workspace: { type: "string" }, "expires-days": { type: "string" } },
    async run({ db, values }) {
      const { findUserByEmail } = await import("@/server/services/users");
      const { createToken } = await import("@/server/services/tokens/tokens");
      const { ZTokenCreate } = await import("@/server/services/tokens/schemas");
      const { parseInput } = await import("@/server/services/validate");
      const email = required(values, "email");
      const user = await findUserByEmail(db, email);
      if (!user) throw new AppError("BAD_INPUT", `no user with the email ${email}: create it first with \`statescope user create\``);
      const days = values["expires-days"];
      if (typeof days === "string" && !/^\d{1,5}$/.test(days)) throw new AppError("BAD_INPUT", `--expires-days must be a whole number of days, got ${JSON.stringify(days)}`);
      const input = parseInput(
        ZTokenCreate,
        { name: required(values, "name"), scope: required(values, "scope"), ...(typeof values.workspace === "string" ? { workspace: values.workspace } : {}), ...(typeof days === "string" ? { expiresInDays: Number(days) } : {}) },
        "token",
      );
      const t = await createToken(db, user.userId, input);
      return { tokenId: t.tokenId, token: t.token, scope: t.scope, workspace: t.workspace, expiresAt: t.expiresAt?.toISOString() ?? null };
    },
    text: (o) => `${String(o.token)}\n(token ${String(o.tokenId)}, ${String(o.scope)}, ${o.workspace ? `workspace ${String(o.workspace)}` : "all workspaces"}, ${o.expiresAt ? `expires ${String(o.expiresAt)}` : "no expiry"}; shown only now)`,
  },
  "token revoke": {
    usage: "statescope token revoke --id TOKEN_ID [--json]",
    summary: "revoke an API token at once (its next request is refused)",
    options: { id: { type: "string" } },
    async run({ db, values }) {
      const { revokeToken } = await import("@/server/services/tokens/tokens");
      const r = await revokeToken(db, null, required(values, "id"));
      return { tokenId: r.tokenId, revokedAt: r.revokedAt.toISOString() };
    },
    text: (o) => `revoked token ${String(o.tokenId)}`,
  },
  import: {
    usage: 'statescope import <folder-or-archive> --workspace SLUG [--owner EMAIL] [--name NAME] [--description "…"] [--citation "…"] [--json]',
    summary: "import an LSTMVis project or NumPy folder (or a .zip/.tar.gz of one) as a new dataset; progress on stderr; --citation says how to cite the data on findings",
    options: { workspace: { type: "string" }, owner: { type: "string" }, name: { type: "string" }, description: { type: "string" }, citation: { type: "string" } },
    async run({ db, values, positionals, note }) {
      const path = await import("node:path");
      const { env } = await import("@/server/env");
      const { importDataset } = await import("@/server/services/datasets/import");
      const target = positionals[0];
      if (!target || positionals.length > 1) throw new AppError("BAD_INPUT", "expected exactly one folder or archive to import");
      const owner = typeof values.owner === "string" ? values.owner : undefined;
      const ws = await resolveWorkspace(db, required(values, "workspace"), owner, note);
      const creatorId = await datasetCreator(db, ws.workspaceId, owner);
      const abs = path.resolve(env().STATESCOPE_CWD ?? process.cwd(), target);
      const name = typeof values.name === "string" ? values.name : undefined;
      const out = await interruptible(note, (signal, progress) =>
        importDataset(
          db,
          { workspaceId: ws.workspaceId, userId: creatorId, path: abs, ...(name ? { name } : {}) },
          {
            signal,
            onProgress: (phase, percent) => progress(`importing: ${phase} ${Math.floor(percent)}%`),
          },
        ),
      );
      const meta = { ...(typeof values.description === "string" ? { description: values.description } : {}), ...(typeof values.citation === "string" ? { citation: values.citation } : {}) };
      if (Object.keys(meta).length > 0) {
        const { updateDatasetMeta } = await import("@/server/services/findings/findings");
        await updateDatasetMeta(db, { workspaceId: ws.workspaceId, role: "OWNER" }, { datasetId: out.datasetId, ...meta });
      }
      return { ...out, workspaceCreated: ws.workspaceCreated };
    },
    async remote({ client, values, positionals, note }) {
      const path = await import("node:path");
      const { env } = await import("@/server/env");
      const { remoteImport } = await import("./remote/commands");
      const target = positionals[0];
      if (!target || positionals.length > 1) throw new AppError("BAD_INPUT", "expected exactly one folder or archive to import");
      localOnly(values, "owner", "the dataset belongs to the token's user");
      const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
      return remoteImport(client, path.resolve(env().STATESCOPE_CWD ?? process.cwd(), target), { name: str("name"), description: str("description"), citation: str("citation") }, note);
    },
    text: (o) => `imported dataset ${String(o.name)} (id ${String(o.datasetId)}): ${String(o.steps)} steps${(o.warnings as string[]).map((w) => `\nwarning: ${w}`).join("")}`,
  },
  extract: {
    usage:
      "statescope extract --weights model.safetensors --vocab vocab.json --text input.txt --tokenizer char|word [--arch lstm|gru] [--prefixes embedding=emb,rnn=lstm,head=head] [--unknown TOKEN] [--gates] --workspace SLUG [--owner EMAIL] [--name NAME] [--json]",
    summary: "run a PyTorch LSTM/GRU (safetensors + vocab.json) over a text and store its states as a new dataset; progress on stderr",
    options: {
      weights: { type: "string" },
      vocab: { type: "string" },
      text: { type: "string" },
      tokenizer: { type: "string" },
      arch: { type: "string" },
      prefixes: { type: "string" },
      unknown: { type: "string" },
      gates: { type: "boolean" },
      workspace: { type: "string" },
      owner: { type: "string" },
      name: { type: "string" },
    },
    async run({ db, values, positionals, note }) {
      const path = await import("node:path");
      const { extractDataset, formatEta } = await import("@/server/services/extract/extract");
      const { tokenizer, arch, prefixes, weights, vocab, text, name } = await extractInputs(values, positionals);
      const owner = typeof values.owner === "string" ? values.owner : undefined;
      const ws = await resolveWorkspace(db, required(values, "workspace"), owner, note);
      const creatorId = await datasetCreator(db, ws.workspaceId, owner);
      const out = await interruptible(note, (signal, progress) =>
        extractDataset(
          db,
          {
            workspaceId: ws.workspaceId,
            userId: creatorId,
            name,
            weights: weights.data as Uint8Array,
            weightsName: path.basename(weights.path),
            vocab: vocab.data.toString("utf8"),
            text: text.data.toString("utf8"),
            tokenizer,
            ...(arch ? { arch } : {}),
            ...(prefixes ? { prefixes } : {}),
            ...(typeof values.unknown === "string" ? { unknown: { token: values.unknown } } : {}),
            gates: values.gates === true,
          },
          {
            signal,
            onProgress: (phase, percent, eta) => progress(`extracting: ${phase} ${Math.floor(percent)}%${eta !== null ? ` (${formatEta(eta)} left)` : ""}`),
          },
        ),
      );
      return { ...out, workspaceCreated: ws.workspaceCreated };
    },
    async remote({ client, values, positionals, note }) {
      const path = await import("node:path");
      const { remoteExtract } = await import("./remote/commands");
      localOnly(values, "owner", "the dataset belongs to the token's user");
      const { tokenizer, weights, vocab, text, name } = await extractInputs(values, positionals);
      const form = new FormData();
      const file = (f: { path: string; data: Buffer }) => new Blob([new Uint8Array(f.data)]);
      form.append("name", name);
      form.append("tokenizer", tokenizer);
      if (typeof values.arch === "string") form.append("arch", values.arch);
      if (typeof values.prefixes === "string") form.append("prefixes", values.prefixes);
      if (typeof values.unknown === "string") form.append("unknown", values.unknown);
      if (values.gates === true) form.append("gates", "true");
      form.append("weights", file(weights), path.basename(weights.path));
      form.append("vocab", file(vocab), path.basename(vocab.path));
      form.append("text", file(text), path.basename(text.path));
      return remoteExtract(client, form, note);
    },
    text: (o) => `extracted dataset ${String(o.name)} (id ${String(o.datasetId)}): ${String(o.steps)} steps${(o.warnings as string[]).map((w) => `\nwarning: ${w}`).join("")}`,
  },
  states: {
    usage: "statescope states --dataset ID --source NAME --from A --to B [--cells 1,2] [--transform none|tanh] [--json]",
    summary: "print stored state values of steps A ≤ t < B (one row per step; NaN as null)",
    options: { dataset: { type: "string" }, source: { type: "string" }, from: { type: "string" }, to: { type: "string" }, cells: { type: "string" }, transform: { type: "string" } },
    async run({ db, values }) {
      const { readStates } = await import("@/server/services/datasets/datasets");
      const q = statesArgs(values);
      // The CLI prints what was asked for: no per-request window limit beyond memory sanity.
      return statesOutput(await readStates(db, null, q, 1_000_000), q.transform);
    },
    async remote({ client, values }) {
      const { remoteStates } = await import("./remote/commands");
      const q = statesArgs(values);
      return statesOutput(await remoteStates(client, q), q.transform);
    },
    text: (o) => (o.values as Array<Array<number | null>>).map((r, i) => `${Number(o.from) + i}\t${r.map((v) => (v === null ? "NaN" : String(v))).join("\t")}`).join("\n"),
  },
  match: {
    usage:
      "statescope match --dataset ID --source NAME --cells 3,17,42 [--threshold 0.3] [--pad 1,0] [--mode fast|precise] [--length L] [--k 50] [--repeat N] [--track TRACK] [--json]",
    summary: "run a match query in-process and print its results (matching.md); --repeat N times it N times; --track adds the evidence of the matched steps on a track",
    options: {
      dataset: { type: "string" },
      source: { type: "string" },
      cells: { type: "string" },
      threshold: { type: "string" },
      pad: { type: "string" },
      mode: { type: "string" },
      length: { type: "string" },
      k: { type: "string" },
      repeat: { type: "string" },
      track: { type: "string" },
    },
    async run({ db, values }) {
      const { MatchEngine } = await import("@/server/services/matching/engine");
      const { canonicalQuery } = await import("@/server/services/matching/schemas");
      const { env } = await import("@/server/env");
      const { input, repeat } = await matchArgs(values);
      const engine = new MatchEngine(env().MATCH_CACHE_BYTES, { shardSteps: env().MATCH_SHARD_STEPS });
      const prepared = await engine.prepare(db, null, canonicalQuery(input));
      const evidenceOf = typeof values.track === "string" ? await trackEvidence(db, input, values.track) : null;
      const timingsMs: number[] = [];
      let last: Awaited<ReturnType<typeof engine.run>> | undefined;
      for (let i = 0; i < repeat; i++) {
        last = await engine.runPrepared(db, prepared);
        timingsMs.push(Number((last.indexMs + last.computeMs).toFixed(3)));
      }
      return { results: last!.result.results, histograms: last!.result.histograms, timingsMs, ...(evidenceOf ? { evidence: evidenceOf(last!.result.results) } : {}) };
    },
    async remote({ client, values }) {
      const { remoteMatch } = await import("./remote/commands");
      const { input, repeat, track } = await matchArgs(values);
      return remoteMatch(client, input, { repeat, track });
    },
    text: (o) => {
      const rows = o.results as Array<{ pos: number; length: number; I: number; U: number }>;
      const head = "pos\tlength\tI\tU";
      const evidence = o.evidence ? [evidenceText(o.evidence as Parameters<typeof evidenceText>[0])] : [];
      return [head, ...rows.map((r) => `${r.pos}\t${r.length}\t${r.I}\t${r.U}`), `timings (ms): ${(o.timingsMs as number[]).join(", ")}`, ...evidence].join("\n");
    },
  },
  ...ANALYZE_COMMANDS,
  "finding publish": {
    usage:
      'statescope finding publish --dataset ID --source NAME --brush A-B [--cells 1,2] [--threshold T] [--pad L,R] [--mode fast|precise] [--length L] --title "…" [--text-file notes.md] [--visibility unlisted|public|workspace|private] [--finding ID] --workspace SLUG [--owner EMAIL] [--json]',
    summary: "publish a view as a finding (or, with --finding, its next version): the brush is half-open [A, B); cells default to the selection rule's at the threshold",
    options: {
      dataset: { type: "string" },
      source: { type: "string" },
      brush: { type: "string" },
      cells: { type: "string" },
      threshold: { type: "string" },
      pad: { type: "string" },
      mode: { type: "string" },
      length: { type: "string" },
      title: { type: "string" },
      "text-file": { type: "string" },
      visibility: { type: "string" },
      finding: { type: "string" },
      workspace: { type: "string" },
      owner: { type: "string" },
    },
    async run({ db, values }) {
      const { env } = await import("@/server/env");
      const { MatchEngine } = await import("@/server/services/matching/engine");
      const { publishFinding } = await import("@/server/services/findings/findings");
      const { inProcessMatchRunner } = await import("@/server/services/findings/match-runners");
      const input = await publishArgs(values);
      const slug = required(values, "workspace");
      const ws = await db.workspace.findUnique({ where: { slug }, select: { id: true } });
      if (!ws) throw new AppError("BAD_INPUT", `workspace "${slug}" does not exist`);
      const owner = typeof values.owner === "string" ? values.owner : undefined;
      const author = await datasetCreator(db, ws.id, owner);
      if (!author) throw new AppError("BAD_INPUT", owner ? `no user with the email ${owner}` : `workspace "${slug}" has no owner to publish as: pass --owner EMAIL`);
      const membership = await db.membership.findUnique({ where: { workspaceId_userId: { workspaceId: ws.id, userId: author } }, select: { role: true } });
      if (!membership) throw new AppError("BAD_INPUT", `${owner} is not a member of workspace "${slug}"`);
      const e = env();
      const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
      const engine = new MatchEngine(e.MATCH_CACHE_BYTES, { shardSteps: e.MATCH_SHARD_STEPS });
      return publishFinding(
        db,
        { userId: author },
        { workspaceId: ws.id, role: membership.role },
        input,
        inProcessMatchRunner(db, engine),
        publicUrl,
      );
    },
    async remote({ client, values }) {
      localOnly(values, "owner", "the finding is published as the token's user");
      return client.json("POST", client.ws("/findings"), { json: await publishArgs(values) });
    },
    text: (o) => `published ${String(o.url)} (finding ${String(o.findingId)}, version ${String(o.version)})`,
  },
  export: {
    usage: "statescope export --finding ID[@vN] --format svg|png|csv|json|bibtex|csl [--view select|match|both] [--width one|two] [--scale 2|4] [--theme light|dark] [--rows N] --out FILE [--json]",
    summary: "write a finding's figure, match results or citation to FILE: the same bytes its URL serves (latest version unless @vN)",
    options: {
      finding: { type: "string" },
      format: { type: "string" },
      view: { type: "string" },
      width: { type: "string" },
      scale: { type: "string" },
      theme: { type: "string" },
      rows: { type: "string" },
      out: { type: "string" },
    },
    async run({ db, values }) {
      const { writeFile } = await import("node:fs/promises");
      const { env } = await import("@/server/env");
      const { readFinding } = await import("@/server/services/findings/findings");
      const { fileParams, findingFile } = await import("@/server/services/findings/files");
      const { id, version, file: name, out } = await exportArgs(values);
      const read = await readFinding(db, "admin", id, version);
      if (read.status === "not-found") throw new AppError("NOT_FOUND", `finding ${id}${version ? ` has no version ${version}` : " does not exist"}`);
      if (read.status === "withdrawn") throw new AppError("CONFLICT", `finding ${id} was withdrawn by the authors on ${read.withdrawnAt.toISOString().slice(0, 10)}`);
      const e = env();
      const file = await findingFile(read, name, fileParams((k) => values[k] as string | undefined), { publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`, accessed: new Date() });
      try {
        await writeFile(out, file.body);
      } catch (err) {
        throw new AppError("BAD_INPUT", `--out ${out}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      return { path: out, bytes: file.body.length, contentType: file.contentType };
    },
    async remote({ client, values }) {
      const { fileParams } = await import("@/server/services/findings/files");
      const { remoteExport } = await import("./remote/commands");
      const { id, version, file, out } = await exportArgs(values);
      fileParams((k) => values[k] as string | undefined); // checked here, as locally, before anything is sent
      const params = Object.fromEntries(["view", "width", "theme", "rows", "scale"].flatMap((k) => (typeof values[k] === "string" ? [[k, values[k] as string]] : [])));
      return remoteExport(client, { id, version, file, params }, out);
    },
    text: (o) => `wrote ${String(o.bytes)} bytes (${String(o.contentType)}) to ${String(o.path)}`,
  },
};

/** The flags of `states`, checked. */
function statesArgs(values: Record<string, string | boolean | undefined>) {
  const int = (name: string) => {
    const raw = required(values, name);
    if (!/^\d{1,12}$/.test(raw)) throw new AppError("BAD_INPUT", `--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const transform = typeof values.transform === "string" ? values.transform : "none";
  if (transform !== "none" && transform !== "tanh") throw new AppError("BAD_INPUT", `--transform must be none or tanh, got ${JSON.stringify(transform)}`);
  const cells = typeof values.cells === "string" ? parseCells(values.cells) : undefined;
  return { datasetId: required(values, "dataset"), source: required(values, "source"), from: int("from"), to: int("to"), cells, transform } as const;
}

/** `states`' result: one row per step, NaN as null. */
function statesOutput(w: { source: string; from: number; to: number; cells: number[] | null; cellCount: number; values: ArrayLike<number> }, transform: "none" | "tanh") {
  const width = w.cells ? w.cells.length : w.cellCount;
  const rows: Array<Array<number | null>> = [];
  for (let t = 0; t < w.to - w.from; t++) {
    const row = new Array<number | null>(width);
    for (let i = 0; i < width; i++) {
      const v = w.values[t * width + i]!;
      const x = transform === "tanh" ? Math.fround(Math.tanh(v)) : v;
      row[i] = Number.isNaN(x) ? null : x;
    }
    rows.push(row);
  }
  return { source: w.source, from: w.from, to: w.to, cells: w.cells ?? Array.from({ length: w.cellCount }, (_, i) => i), values: rows };
}

/** The flags of `match`, checked into the match input (the same schema the server parses). */
async function matchArgs(values: Record<string, string | boolean | undefined>) {
  const { ZMatchInput } = await import("@/server/services/matching/schemas");
  const { parseInput } = await import("@/server/services/validate");
  const d = MATCH_DEFAULTS;
  const num = (name: string, fallback: string, re = /^-?\d+(\.\d+)?(e-?\d+)?$/i) => {
    const raw = typeof values[name] === "string" ? (values[name] as string) : fallback;
    if (!re.test(raw)) throw new AppError("BAD_INPUT", `--${name} must be a number, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const cells = parseCells(required(values, "cells"));
  const padRaw = typeof values.pad === "string" ? values.pad : `${d.padLeft},${d.padRight}`;
  const pad = /^\d{1,5},\d{1,5}$/.test(padRaw) ? padRaw.split(",").map(Number) : null;
  if (!pad) throw new AppError("BAD_INPUT", `--pad must be LEFT,RIGHT (two non-negative integers), got ${JSON.stringify(padRaw)}`);
  const mode = typeof values.mode === "string" ? values.mode : d.mode;
  if (mode !== "fast" && mode !== "precise") throw new AppError("BAD_INPUT", `--mode must be fast or precise, got ${JSON.stringify(mode)}`);
  const repeat = num("repeat", "1", /^\d{1,6}$/);
  if (repeat < 1) throw new AppError("BAD_INPUT", "--repeat must be at least 1");
  const input = parseInput(
    ZMatchInput,
    {
      datasetId: required(values, "dataset"),
      source: required(values, "source"),
      cells,
      threshold: num("threshold", String(d.threshold)),
      padLeft: pad[0],
      padRight: pad[1],
      mode,
      length: num("length", String(d.length), /^\d{1,9}$/),
      k: num("k", String(d.k), /^\d{1,9}$/),
    },
    "match query",
  );
  return { input, repeat, track: typeof values.track === "string" ? values.track : undefined };
}

/** The flags of `finding publish`, checked into the publish input (the same schema the server parses). */
async function publishArgs(values: Record<string, string | boolean | undefined>) {
  const path = await import("node:path");
  const { readFile } = await import("node:fs/promises");
  const { env } = await import("@/server/env");
  const brushRaw = required(values, "brush");
  const brush = /^(\d{1,12})-(\d{1,12})$/.exec(brushRaw);
  if (!brush) throw new AppError("BAD_INPUT", `--brush must be A-B, the half-open step range [A, B) (e.g. 120-128), got ${JSON.stringify(brushRaw)}`);
  const padRaw = typeof values.pad === "string" ? values.pad : "1,0";
  const pad = /^\d{1,2},\d{1,2}$/.test(padRaw) ? (padRaw.split(",").map(Number) as [number, number]) : null;
  if (!pad) throw new AppError("BAD_INPUT", `--pad must be LEFT,RIGHT (two whole numbers, at most 20), got ${JSON.stringify(padRaw)}`);
  const threshold = typeof values.threshold === "string" ? Number(values.threshold) : 0.3;
  if (!Number.isFinite(threshold) || (typeof values.threshold === "string" && !/^-?\d+(\.\d+)?$/.test(values.threshold))) throw new AppError("BAD_INPUT", `--threshold must be a number, got ${JSON.stringify(values.threshold)}`);
  const mode = typeof values.mode === "string" ? values.mode : "fast";
  if (mode !== "fast" && mode !== "precise") throw new AppError("BAD_INPUT", `--mode must be fast or precise, got ${JSON.stringify(mode)}`);
  const length = typeof values.length === "string" ? (/^\d{1,9}$/.test(values.length) ? Number(values.length) : NaN) : 0;
  if (Number.isNaN(length)) throw new AppError("BAD_INPUT", `--length must be a whole number (0 = any), got ${JSON.stringify(values.length)}`);
  const visRaw = typeof values.visibility === "string" ? values.visibility : undefined;
  if (visRaw !== undefined && !["unlisted", "public", "workspace", "private"].includes(visRaw)) throw new AppError("BAD_INPUT", `--visibility must be unlisted, public, workspace or private, got ${JSON.stringify(visRaw)}`);
  const cells = typeof values.cells === "string" ? parseCells(values.cells) : undefined;
  let abstract = "";
  if (typeof values["text-file"] === "string") {
    const p = path.resolve(env().STATESCOPE_CWD ?? process.cwd(), values["text-file"]);
    try {
      abstract = await readFile(p, "utf8");
    } catch (e) {
      throw new AppError("BAD_INPUT", `--text-file ${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  return {
    datasetId: required(values, "dataset"),
    title: required(values, "title"),
    abstract,
    ...(typeof values.finding === "string" ? { findingId: values.finding } : {}),
    ...(visRaw ? { visibility: visRaw.toUpperCase() as "UNLISTED" | "PUBLIC" | "WORKSPACE" | "PRIVATE" } : {}),
    view: {
      layers: [{ source: required(values, "source"), threshold, ...(cells ? { cells } : {}) }],
      brush: [Number(brush[1]), Number(brush[2])] as [number, number],
      pad,
      match: { layer: 0, mode: mode as "fast" | "precise", length },
    },
  };
}

/** The flags of `export`, checked: the finding (and version), the file it names, where to write it. */
async function exportArgs(values: Record<string, string | boolean | undefined>) {
  const path = await import("node:path");
  const { env } = await import("@/server/env");
  const ref = /^([0-9a-z]{12})(?:@v([1-9]\d{0,8}))?$/.exec(required(values, "finding"));
  if (!ref) throw new AppError("BAD_INPUT", `--finding must be a finding id, optionally with @vN (e.g. 7k2m9x4q8t3z@v2), got ${JSON.stringify(values.finding)}`);
  const formats = { svg: "figure.svg", png: "figure.png", csv: "matches.csv", json: "matches.json", bibtex: "cite.bib", csl: "cite.json" } as const;
  const format = required(values, "format");
  if (!(format in formats)) throw new AppError("BAD_INPUT", `--format must be ${Object.keys(formats).join(", ")}, got ${JSON.stringify(format)}`);
  const out = path.resolve(env().STATESCOPE_CWD ?? process.cwd(), required(values, "out"));
  return { id: ref[1]!, version: ref[2] ? Number(ref[2]) : undefined, file: formats[format as keyof typeof formats], out };
}

/** The flags and files of `extract`, checked (the local and the remote run read them alike). */
async function extractInputs(values: Record<string, string | boolean | undefined>, positionals: string[]) {
  const path = await import("node:path");
  const { readFile } = await import("node:fs/promises");
  const { env } = await import("@/server/env");
  const { parsePrefixMapping } = await import("@/server/services/extract/schemas");
  if (positionals.length > 0) throw new AppError("BAD_INPUT", `unexpected argument ${JSON.stringify(positionals[0])}; files are given with --weights, --vocab and --text`);
  const tokenizer = required(values, "tokenizer");
  if (tokenizer !== "char" && tokenizer !== "word") throw new AppError("BAD_INPUT", `--tokenizer must be char or word, got ${JSON.stringify(tokenizer)}`);
  const arch = typeof values.arch === "string" ? values.arch : undefined;
  if (arch !== undefined && arch !== "lstm" && arch !== "gru") throw new AppError("BAD_INPUT", `--arch must be lstm or gru, got ${JSON.stringify(arch)}`);
  let prefixes: ReturnType<typeof parsePrefixMapping> | undefined;
  if (typeof values.prefixes === "string") {
    try {
      prefixes = parsePrefixMapping(values.prefixes);
    } catch (e) {
      throw new AppError("BAD_INPUT", `--prefixes: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const cwd = env().STATESCOPE_CWD ?? process.cwd();
  const file = async (name: string) => {
    const p = path.resolve(cwd, required(values, name));
    try {
      return { path: p, data: await readFile(p) };
    } catch (e) {
      throw new AppError("BAD_INPUT", `--${name} ${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  };
  const weights = await file("weights");
  const vocab = await file("vocab");
  const text = await file("text");
  const name = typeof values.name === "string" ? values.name : path.basename(text.path).replace(/\.[^.]*$/, "");
  return { tokenizer, arch, prefixes, weights, vocab, text, name } as const;
}

/** An option that only means something locally: refused with --server, saying why. */
function localOnly(values: Record<string, string | boolean | undefined>, name: string, why: string): void {
  if (values[name] !== undefined) throw new AppError("BAD_INPUT", `--${name} is for local runs: with --server, ${why}`);
}

/** "3,17,42" → [3, 17, 42], or a BAD_INPUT naming the flag. */
function parseCells(raw: string): number[] {
  const parts = raw.split(",").map((c) => c.trim());
  if (parts.some((c) => !/^\d{1,9}$/.test(c))) throw new AppError("BAD_INPUT", `--cells must be a comma-separated list of cell indices, got ${JSON.stringify(raw)}`);
  return parts.map(Number);
}

/** The user a CLI-made dataset is attributed to: --owner, else the workspace's first owner. */
async function datasetCreator(db: Db, workspaceId: string, ownerEmail: string | undefined): Promise<string | null> {
  if (ownerEmail) return (await db.user.findUnique({ where: { email: ownerEmail.toLowerCase() }, select: { id: true } }))?.id ?? null;
  const m = await db.membership.findFirst({ where: { workspaceId, role: "OWNER" }, orderBy: { createdAt: "asc" }, select: { userId: true } });
  return m?.userId ?? null;
}

/**
 * Runs a long job that Ctrl-C (or SIGTERM) cancels through its AbortSignal, so the service
 * can clean up what it wrote; `progress` prints each distinct progress line once on stderr.
 */
async function interruptible<T>(note: (l: string) => void, run: (signal: AbortSignal, progress: (line: string) => void) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let shown = "";
  try {
    return await run(ctl.signal, (line) => {
      if (line !== shown) note((shown = line));
    });
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/**
 * For commands that take `--workspace SLUG`: the workspace, created when it
 * does not exist (owner: --owner, else the only user).
 */
export async function resolveWorkspace(db: Db, slug: string, ownerEmail: string | undefined, note: (l: string) => void) {
  const { findUserByEmail } = await import("@/server/services/users");
  const { createWorkspace } = await import("@/server/services/workspaces");
  const ws = await db.workspace.findUnique({ where: { slug }, select: { id: true, slug: true } });
  if (ws) return { workspaceId: ws.id, slug: ws.slug, workspaceCreated: false };
  let ownerId: string;
  if (ownerEmail) {
    const u = await findUserByEmail(db, ownerEmail);
    if (!u) throw new AppError("BAD_INPUT", `workspace "${slug}" does not exist and --owner ${ownerEmail} is not a user`);
    ownerId = u.userId;
  } else {
    const users = await db.user.findMany({ take: 2, select: { id: true } });
    if (users.length !== 1) {
      throw new AppError("BAD_INPUT", `workspace "${slug}" does not exist: pass --owner EMAIL to create it (there are ${users.length === 0 ? "no users" : "several users"})`);
    }
    ownerId = users[0]!.id;
  }
  const created = await createWorkspace(db, ownerId, { slug });
  note(`created workspace "${slug}"`);
  return { workspaceId: created.workspaceId, slug: created.slug, workspaceCreated: true };
}

function helpText(): string {
  const lines = [
    "statescope — command line for Statescope",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([, c]) => `  ${c.usage}\n      ${c.summary}`),
    "",
    "Every command accepts --json (one JSON object on stdout; errors as {\"error\":{code,message}} on stderr).",
    "Exit codes: 0 success, 2 bad input, 1 failure.",
    "Database: DATABASE_URL, else the embedded PostgreSQL in STATESCOPE_DATA_DIR (default .data),",
    "reusing the server `npm start` runs there.",
    "",
    "Against a server instead: add --server URL --workspace SLUG and an API token (--token ssc_… or,",
    "better, STATESCOPE_TOKEN; STATESCOPE_SERVER for --server) to import, extract, states, match,",
    "analyze, finding publish and export: same output and exit codes. user, workspace and token",
    "commands are local administration.",
  ];
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const fail = (code: number, errCode: string, message: string) => {
    if (json) process.stderr.write(JSON.stringify({ error: { code: errCode, message } }) + "\n");
    else process.stderr.write(`statescope: ${message}\n`);
    return code;
  };

  const words = argv.filter((a) => !a.startsWith("-"));
  if (argv.length === 0 || (words.length === 0 && (argv.includes("--help") || argv.includes("-h")))) {
    process.stdout.write(helpText() + "\n");
    return 0;
  }
  const two = words.slice(0, 2).join(" ");
  const keyWords = COMMANDS[two] ? 2 : 1;
  const spec = COMMANDS[two] ?? COMMANDS[words[0] ?? ""];
  if (!spec) return fail(2, "BAD_INPUT", `unknown command "${words.join(" ")}"; run \`statescope --help\``);

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...spec.options }, allowPositionals: true, strict: true });
  } catch (e) {
    return fail(2, "BAD_INPUT", `${e instanceof Error ? e.message : String(e)}\nusage: ${spec.usage}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${spec.usage}\n  ${spec.summary}\n`);
    return 0;
  }

  const note = (l: string) => process.stderr.write(`${l}\n`);
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals.slice(keyWords);
  const commandName = words.slice(0, keyWords).join(" ");
  let stop: (() => Promise<void>) | undefined;
  let db: Db | undefined;
  try {
    const remote = await remoteClient(commandName, spec, values);
    let out: Record<string, unknown>;
    if (remote) out = await spec.remote!({ client: remote, values, positionals, note });
    else {
      if (values.workspace !== undefined && !("workspace" in spec.options)) throw new AppError("BAD_INPUT", `--workspace is for \`${commandName} --server …\` only; usage: ${spec.usage}`);
      const { database } = await prepare({ log: note, sink: process.stderr });
      stop = () => database.stop();
      const { createDb } = await import("@/server/db/client");
      db = createDb(database.url);
      out = await spec.run({ db, values, positionals, note });
    }
    process.stdout.write((json ? JSON.stringify(out) : spec.text(out)) + "\n");
    return 0;
  } catch (e) {
    if (isAppError(e)) return fail(CLIENT_ERROR_CODES.has(e.code) ? 2 : 1, e.code, e.message);
    return fail(1, "INTERNAL", e instanceof Error ? e.message : String(e));
  } finally {
    await db?.$disconnect().catch(() => undefined);
    await stop?.().catch(() => undefined);
  }
}

/**
 * With `--server` (or STATESCOPE_SERVER): the HTTP API client the command runs against, after
 * checking the command has a remote form and the token and workspace are given; else null.
 */
async function remoteClient(name: string, spec: CommandSpec, values: Record<string, string | boolean | undefined>) {
  const { env } = await import("@/server/env");
  const server = typeof values.server === "string" ? values.server : env().STATESCOPE_SERVER;
  if (server === undefined) {
    if (values.token !== undefined) throw new AppError("BAD_INPUT", "--token is used with --server URL (or STATESCOPE_SERVER) only");
    return null;
  }
  if (!spec.remote) {
    // STATESCOPE_SERVER in the environment leaves the administration commands local; an explicit --server does not
    if (typeof values.server !== "string") return null;
    throw new AppError("BAD_INPUT", `\`${name}\` is local administration: run it on the server's machine, without --server`);
  }
  const token = typeof values.token === "string" ? values.token : env().STATESCOPE_TOKEN;
  if (!token) throw new AppError("BAD_INPUT", "--server needs an API token: --token ssc_… or STATESCOPE_TOKEN (create one under Settings → API tokens, or with `statescope token create`)");
  const workspace = values.workspace;
  if (typeof workspace !== "string" || workspace.length === 0) throw new AppError("BAD_INPUT", `with --server, pass --workspace SLUG (the workspace the data lives in); usage: ${spec.usage}`);
  const { ApiClient } = await import("./remote/client");
  return new ApiClient(server, token, workspace);
}

main(process.argv.slice(2)).then(exitAfterFlush);
