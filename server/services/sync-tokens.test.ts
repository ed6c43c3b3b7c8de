import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isAppError } from "@statescope/core";
import { signSyncToken, verifyRoomToken, verifySyncToken } from "./sync-tokens";

const SECRET = "test-secret-test-secret-test-secret";
const OTHER = "other-secret-other-secret-other-secret";
const ROOM = "ws:w1:d1";

/** The refusal's code and message, or "admitted". */
function verdict(f: () => unknown): string {
  try {
    f();
    return "admitted";
  } catch (e) {
    if (!isAppError(e)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

/** A token whose body is `claims` as given (no schema check), signed with `secret`. */
function signedBody(secret: string, claims: unknown): string {
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

// The sync server verifies every join's token with one secret (its HMAC key made once): verification
// stays exactly as strict, whichever secret was used before.
describe("realtime token verification", () => {
  const claims = { u: "u1", w: "w1", r: ROOM, role: "EDITOR" as const };

  it("admits a valid token for its room and returns its claims", () => {
    expect(verifyRoomToken(SECRET, signSyncToken(SECRET, claims), ROOM)).toMatchObject({ ...claims, n: "u1" });
  });

  it("refuses tokens signed with another secret, also right after that secret's tokens were verified (and back)", () => {
    const mine = signSyncToken(SECRET, claims);
    const theirs = signSyncToken(OTHER, claims);
    expect(verdict(() => verifyRoomToken(OTHER, theirs, ROOM))).toBe("admitted");
    expect(verdict(() => verifyRoomToken(SECRET, theirs, ROOM))).toBe("UNAUTHENTICATED: realtime token signature is invalid");
    expect(verdict(() => verifyRoomToken(OTHER, mine, ROOM))).toBe("UNAUTHENTICATED: realtime token signature is invalid");
    expect(verdict(() => verifyRoomToken(SECRET, mine, ROOM))).toBe("admitted");
    expect(verdict(() => verifyRoomToken("", mine, ROOM))).toBe("UNAUTHENTICATED: realtime token signature is invalid");
  });

  it("refuses a changed body, a changed or truncated signature, and malformed tokens", () => {
    const token = signSyncToken(SECRET, claims);
    const [body, sig] = token.split(".") as [string, string];
    const owner = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), role: "OWNER" })).toString("base64url");
    const flipped = sig.slice(0, -1) + (sig.endsWith("A") ? "B" : "A");
    for (const bad of [`${owner}.${sig}`, `${body}.${flipped}`, `${body}.${sig.slice(0, -2)}`, `${body}.${sig}=`, `${body}.`, `.${sig}`, `${token}.x`, "", "garbage"]) {
      expect(verdict(() => verifyRoomToken(SECRET, bad, ROOM))).toMatch(/^UNAUTHENTICATED: (malformed realtime token|realtime token signature is invalid|no realtime token)/);
    }
  });

  it("refuses an expired token", () => {
    const old = signSyncToken(SECRET, claims, Date.now() - 61_000);
    expect(verdict(() => verifyRoomToken(SECRET, old, ROOM))).toBe("UNAUTHENTICATED: realtime token expired: reconnect to get a new one");
    expect(verdict(() => verifySyncToken(SECRET, old, Date.now() - 2_000))).toBe("admitted");
  });

  it("refuses a token for another room or another workspace's room", () => {
    expect(verdict(() => verifyRoomToken(SECRET, signSyncToken(SECRET, claims), "ws:w1:d2"))).toBe("FORBIDDEN: this token is for another room");
    const foreign = signSyncToken(SECRET, { ...claims, w: "w2" });
    expect(verdict(() => verifyRoomToken(SECRET, foreign, ROOM))).toBe("FORBIDDEN: this token is for another workspace's room");
  });

  it("refuses a correctly signed body that is not a claim (the schema is still checked)", () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    for (const body of [{ ...claims, n: "u1", c: "#123456", exp, role: "ADMIN" }, { ...claims, n: "u1", c: "red;x", exp }, { ...claims, n: "u1", c: "#123456", exp: exp + 0.5 }, { ...claims, n: "u1", c: "#123456" }]) {
      expect(verdict(() => verifyRoomToken(SECRET, signedBody(SECRET, body), ROOM))).toBe("UNAUTHENTICATED: malformed realtime token");
    }
  });
});
