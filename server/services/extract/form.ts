/**
 * Starting an extraction from a multipart form (the web app's "Run a model" form and the HTTP
 * API's POST …/extractions): `weights` (.safetensors), `vocab` (vocab.json), `text` (a file) or
 * `textPaste`, `tokenizer` (char|word), optional `arch`, `prefixes` ("embedding=…, rnn=…,
 * head=…"), `unknown` (replacement token), `name`, `gates`; or just `demo` (parens|c-code). The
 * form is read as it streams in with the upload limit enforced, the inputs are checked at once,
 * and the model runs as a worker job.
 */
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { declaredLength, limitStream } from "../uploads";
import { parsePrefixMapping, ZDemoCorpus, ZExtractSettings } from "./schemas";
import { startDemoExtraction, startExtraction } from "./start";

/** The multipart form, parsed as it streams in, with the upload limit enforced while streaming. */
async function readForm(req: Request, maxBytes: number): Promise<FormData> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) throw new AppError("BAD_INPUT", "send the files as multipart/form-data");
  if (!req.body) throw new AppError("BAD_INPUT", "the request has no body");
  const tooLarge = () => new AppError("TOO_LARGE", `the upload is larger than the limit of ${maxBytes.toLocaleString("en")} bytes (UPLOAD_MAX_BYTES)`);
  const body = limitStream(req.body, { maxBytes, tooLarge, declaredBytes: declaredLength(req.headers) });
  try {
    return await new Response(body, { headers: { "content-type": type } }).formData();
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError("BAD_INPUT", "the form data could not be read");
  }
}

function field(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v.trim() : "";
}

async function fileField(form: FormData, name: string, what: string): Promise<{ name: string; bytes: Uint8Array }> {
  const v = form.get(name);
  if (!v || typeof v === "string" || v.size === 0) throw new AppError("BAD_INPUT", `missing ${what} (form field "${name}")`);
  return { name: v.name || name, bytes: new Uint8Array(await v.arrayBuffer()) };
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw new AppError("BAD_INPUT", `${what} is not UTF-8 text`);
  }
}

/** Reads the form of `req` and queues the extraction; the dataset id at once. */
export async function startExtractionFromForm(db: Db, req: Request, opts: { workspaceId: string; userId: string; maxBytes: number }): Promise<{ datasetId: string }> {
  const { workspaceId, userId, maxBytes } = opts;
  const form = await readForm(req, maxBytes);

  const demo = field(form, "demo");
  if (demo) {
    const corpus = ZDemoCorpus.safeParse(demo);
    if (!corpus.success) throw new AppError("BAD_INPUT", `unknown demo corpus ${JSON.stringify(demo)}: choose parens or c-code`);
    const name = field(form, "name");
    const { datasetId } = await startDemoExtraction(db, { workspaceId, userId, corpus: corpus.data, ...(name ? { name: name.slice(0, 200) } : {}) });
    return { datasetId };
  }

  const weights = await fileField(form, "weights", "the weights (.safetensors)");
  const vocab = await fileField(form, "vocab", "the vocabulary (vocab.json)");
  const pasted = form.get("textPaste");
  const textFile = form.get("text");
  let text: string;
  let textName = "text";
  if (textFile && typeof textFile !== "string" && textFile.size > 0) {
    text = utf8(new Uint8Array(await textFile.arrayBuffer()), `text file ${textFile.name}`);
    textName = textFile.name.replace(/\.[^.]*$/, "") || "text";
  } else if (typeof pasted === "string" && pasted.length > 0) text = pasted;
  else throw new AppError("BAD_INPUT", "missing the text: upload a text file or paste the text");

  let prefixes;
  const rawPrefixes = field(form, "prefixes");
  if (rawPrefixes) {
    try {
      prefixes = parsePrefixMapping(rawPrefixes);
    } catch (e) {
      throw new AppError("BAD_INPUT", e instanceof Error ? e.message : String(e));
    }
  }
  const unknownToken = form.get("unknown");
  const arch = field(form, "arch");
  const settings = ZExtractSettings.safeParse({
    name: (field(form, "name") || textName).slice(0, 200),
    tokenizer: field(form, "tokenizer") || "char",
    ...(arch && arch !== "auto" ? { arch } : {}),
    ...(prefixes ? { prefixes } : {}),
    unknown: typeof unknownToken === "string" && unknownToken.length > 0 ? { token: unknownToken } : "auto",
    gates: field(form, "gates") === "on" || field(form, "gates") === "true",
  });
  if (!settings.success) {
    const issue = settings.error.issues[0]!;
    throw new AppError("BAD_INPUT", `${issue.path.join(".") || "form"}: ${issue.message}`);
  }
  const { datasetId } = await startExtraction(db, {
    workspaceId,
    userId,
    settings: settings.data,
    weights: weights.bytes,
    weightsName: weights.name,
    vocab: utf8(vocab.bytes, `vocabulary ${vocab.name}`),
    text,
  });
  return { datasetId };
}
