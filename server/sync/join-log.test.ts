import { describe, expect, it } from "vitest";
import { createJoinLog, JOIN_LOG_USERS_PER_LINE } from "./server";

describe("createJoinLog", () => {
  it("names a large class's joins in lines of at most JOIN_LOG_USERS_PER_LINE users, every user once", () => {
    const lines: string[] = [];
    const log = createJoinLog((l) => lines.push(l), 60_000);
    const room = "class:w1:s1";
    const users = Array.from({ length: 1000 }, (_, i) => `guest-${String(i).padStart(4, "0")}`);
    log.joined("instructor", room, "EDITOR");
    for (const u of users) log.joined(u, room, "VIEWER");
    log.close();
    expect(lines[0]).toBe(`user instructor joined ${room} as EDITOR`);
    const gathered = lines.slice(1);
    expect(gathered).toHaveLength(Math.ceil(1000 / JOIN_LOG_USERS_PER_LINE));
    expect(gathered[1]).toMatch(new RegExp(`^1000 users joined ${room} as VIEWER \\(101–200\\): guest-0100, `));
    for (const l of gathered) expect(l.length).toBeLessThan(4096);
    expect(gathered.flatMap((l) => l.slice(l.indexOf(": ") + 2).split(", "))).toEqual(users);
  });

  it("keeps a gathered line of up to JOIN_LOG_USERS_PER_LINE users whole", () => {
    const lines: string[] = [];
    const log = createJoinLog((l) => lines.push(l), 60_000);
    log.joined("first", "r", "EDITOR");
    for (let i = 0; i < JOIN_LOG_USERS_PER_LINE; i++) log.joined(`u${i}`, "r", "VIEWER");
    log.close();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${JOIN_LOG_USERS_PER_LINE} users joined r as VIEWER: u0, u1, `));
  });
});
