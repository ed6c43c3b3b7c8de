import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isAppError } from "@statescope/core";
import { plainClaims, signSyncToken, verifyRoomToken, verifySyncToken, ZSyncClaims } from "./sync-tokens";

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

describe("the claims' quick check", () => {
  const exp = Math.floor(Date.now() / 1000) + 60;
  const base = { u: "u1", w: "w1", r: ROOM, role: "EDITOR", n: "Ada", c: "#1f77b4", exp };
  const s = (n: number) => "x".repeat(n);
  const variants: unknown[] = [
    base,
    JSON.parse(Buffer.from(signSyncToken(SECRET, { u: "u1", w: "class:c1", r: "class:c1", role: "VIEWER", n: "Student 1" }).split(".")[0]!, "base64url").toString()),
    ...[0, 1, 64, 65].flatMap((n) => [{ ...base, u: s(n) }, { ...base, w: s(n) }]),
    ...[0, 1, 200, 201].flatMap((n) => [{ ...base, r: s(n) }, { ...base, n: s(n) }]),
    { ...base, n: "é".repeat(200) },
    { ...base, n: "😀".repeat(100) },
    { ...base, n: "😀".repeat(101) },
    ...["OWNER", "VIEWER", "ADMIN", "owner", "", null, 1].map((role) => ({ ...base, role })),
    ...["#ABCDEF", "#abcdeg", "#abcde", "#abcdef0", "abcdef0", "#abcdef\n", "", null].map((c) => ({ ...base, c })),
    ...[0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e300, "1", null].map((e) => ({ ...base, exp: e })),
    { ...base, extra: 1 },
    { u: "u1", w: "w1", r: ROOM, role: "EDITOR", n: "Ada", c: "#1f77b4" },
    { ...base, u: 1 },
    { ...base, n: undefined },
    JSON.parse(`{"u":"u1","w":"w1","r":"${ROOM}","role":"EDITOR","n":"Ada","c":"#1f77b4","exp":${exp},"__proto__":{"x":1}}`),
    Object.values(base),
    null,
    "claims",
    42,
  ];

  it("accepts only what ZSyncClaims accepts, and gives what it gives", () => {
    let quick = 0;
    for (const v of variants) {
      const fast = plainClaims(v);
      if (fast === null) continue;
      quick++;
      const z = ZSyncClaims.safeParse(v);
      expect(z.success, JSON.stringify(v)).toBe(true);
      expect(fast).toEqual(z.data);
    }
    // the tokens signSyncToken writes take the quick way
    expect(plainClaims(variants[1])).not.toBeNull();
    expect(quick).toBeGreaterThan(10);
  });

  it("leaves the verdict to ZSyncClaims for anything else: verification accepts exactly what it accepts", () => {
    for (const v of variants) {
      const z = ZSyncClaims.safeParse(v);
      const got = verdict(() => verifySyncToken(SECRET, signedBody(SECRET, v), (exp - 10) * 1000));
      const want = !z.success ? "UNAUTHENTICATED: malformed realtime token" : z.data.exp < exp - 10 ? "UNAUTHENTICATED: realtime token expired: reconnect to get a new one" : "admitted";
      expect(got, JSON.stringify(v)).toBe(want);
    }
  });
});
