import { describe, expect, it } from "vitest";
import { mayStream } from "./trpc-handler";

describe("mayStream: the calls the web server's front gives an abort signal", () => {
  it("is true for the subscriptions (their event streams end when the client goes), alone or in a batch", () => {
    expect(mayStream("/api/trpc/events.onInbox")).toBe(true);
    expect(mayStream("/api/trpc/events.onDataset")).toBe(true);
    expect(mayStream(`/api/trpc/${encodeURIComponent("health,events.onInbox")}`)).toBe(true);
  });

  it("is false for queries and mutations (a class's answers and joins) and for unknown names", () => {
    for (const p of ["/api/trpc/health", "/api/trpc/classroom.answer", "/api/trpc/classroom.join", "/api/trpc/classroom.tasks,classroom.state", "/api/trpc/nope"]) expect(mayStream(p)).toBe(false);
  });
});
