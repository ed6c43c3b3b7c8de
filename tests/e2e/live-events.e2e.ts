import { expect, test } from "@playwright/test";
import { signInDemo, importDemoProject } from "./helpers";

/**
 * Live record events through the production server (`next start` behind the launcher): a signed-in
 * page holds an `events.onDataset` server-sent-event stream open through the Next route handler,
 * a tRPC mutation saves a hypothesis, and the stream delivers its event at once.
 */
let datasetId = "";

test.beforeAll(async () => {
  datasetId = await importDemoProject(60);
});

test("events.onDataset streams over SSE through the production route handler", async ({ page }) => {
  await signInDemo(page);

  // Open the stream in the page (the session cookie goes along) and keep every data line.
  await page.evaluate(async (id) => {
    const input = encodeURIComponent(JSON.stringify({ json: { workspace: "demo", datasetId: id } }));
    const res = await fetch(`/api/trpc/events.onDataset?input=${input}`, { headers: { accept: "text/event-stream" } });
    const w = window as unknown as { sse: { status: number; type: string | null; text: string } };
    w.sse = { status: res.status, type: res.headers.get("content-type"), text: "" };
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) w.sse.text += r.value;
    })();
  }, datasetId);
  const sse = () => page.evaluate(() => (window as unknown as { sse: { status: number; type: string | null; text: string } }).sse);
  await expect.poll(async () => (await sse()).text).toContain("event: connected");
  expect((await sse()).status).toBe(200);
  expect((await sse()).type).toMatch(/^text\/event-stream/);

  const created = await page.request.post("/api/trpc/hypothesis.create", {
    data: { json: { workspace: "demo", datasetId, name: "over SSE", source: "states::states1", start: 2, end: 6, padLeft: 0, padRight: 0, threshold: 0.3, cells: [0, 1] } },
  });
  expect(created.status()).toBe(200);
  const id = ((await created.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
  const t0 = Date.now();
  await expect.poll(async () => (await sse()).text, { timeout: 5000 }).toContain(id);
  expect(Date.now() - t0).toBeLessThan(2000);
  const line = (await sse()).text.split("\n").find((l) => l.startsWith("data: ") && l.includes(id))!;
  expect(JSON.parse(line.slice(6)).json).toMatchObject({ kind: "hypothesis", id, op: "created", datasetId });
});
