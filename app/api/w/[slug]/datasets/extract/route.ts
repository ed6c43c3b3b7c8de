/**
 * Run a model over a text (issue 6): multipart/form-data with `weights`
 * (.safetensors), `vocab` (vocab.json), `text` (a file) or `textPaste`,
 * `tokenizer` (char|word), optional `arch`, `prefixes`
 * ("embedding=…, rnn=…, head=…"), `unknown` (replacement token), `name`;
 * or just `demo` (parens|c-code). The inputs are checked at once; the model
 * runs as a worker job whose progress the datasets list shows. EDITOR role.
 */
import { AppError } from "@statescope/core";
import { env } from "@/server/env";
import { workspaceRoute } from "@/server/http/workspace-route";
import { startDemoExtraction, startExtraction } from "@/server/services/extract/start";
import { parsePrefixMapping, ZDemoCorpus, ZExtractSettings } from "@/server/services/extract/schemas";
import { declaredLength, limitStream } from "@/server/services/uploads";

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

export const POST = workspaceRoute("EDITOR", "model upload", async ({ req, db, actor, access }) => {
  const form = await readForm(req, env().UPLOAD_MAX_BYTES);
  const workspaceId = access.workspace.id;
  const userId = actor.userId;

  const demo = field(form, "demo");
  if (demo) {
    const corpus = ZDemoCorpus.safeParse(demo);
    if (!corpus.success) throw new AppError("BAD_INPUT", `unknown demo corpus ${JSON.stringify(demo)}: choose parens or c-code`);
    const name = field(form, "name");
    const { datasetId } = await startDemoExtraction(db, { workspaceId, userId, corpus: corpus.data, ...(name ? { name: name.slice(0, 200) } : {}) });
    return Response.json({ datasetId }, { status: 202 });
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
  return Response.json({ datasetId }, { status: 202 });
});
