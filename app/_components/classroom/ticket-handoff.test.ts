import { describe, expect, it } from "vitest";
import { handOverTicket, takeHandedTicket } from "./ticket-handoff";

const ticket = { room: "class:s1", token: "t", url: "ws://sync.test", expiresInSeconds: 60, role: "VIEWER" as const, user: { id: "p1", name: "Ada", color: "#123456" } };

describe("the join's ticket handed to the session page", () => {
  it("is taken once, for its session only", () => {
    handOverTicket("s1", ticket, 1_000);
    expect(takeHandedTicket("s2", 1_500)).toBeNull();
    expect(takeHandedTicket("s1", 1_500)).toBe(ticket);
    expect(takeHandedTicket("s1", 1_600)).toBeNull();
  });

  it("is not used once half its lifetime has passed (a later ticket is asked for)", () => {
    handOverTicket("s1", ticket, 1_000);
    expect(takeHandedTicket("s1", 1_000 + 30_000)).toBeNull();
    handOverTicket("s1", ticket, 1_000);
    expect(takeHandedTicket("s1", 1_000 + 29_000)).toBe(ticket);
  });
});
