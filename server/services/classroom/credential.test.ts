/**
 * The session credential from a request's cookie: verified once, then remembered (a class sends a
 * thousand requests at once) — remembering must not let an expired, forged or other-secret token through.
 */
import { describe, expect, it } from "vitest";
import { CLASS_COOKIE, CLASS_CREDENTIAL_TTL_SECONDS, classCredentialFromCookies, signClassCredential } from "./credential";

const SECRET = "credential-test-secret-credential-test";
const cookie = (token: string) => `other=1; ${CLASS_COOKIE}=${encodeURIComponent(token)}`;

describe("class credential from cookies", () => {
  it("a remembered credential still expires", () => {
    const now = Date.now();
    // signed so that it expires 2 s from now
    const token = signClassCredential(SECRET, { s: "s1", p: "p1" }, now - CLASS_CREDENTIAL_TTL_SECONDS * 1000 + 2000);
    expect(classCredentialFromCookies(SECRET, cookie(token), now)).toMatchObject({ s: "s1", p: "p1" });
    expect(classCredentialFromCookies(SECRET, cookie(token), now)).toMatchObject({ s: "s1", p: "p1" });
    expect(classCredentialFromCookies(SECRET, cookie(token), now + 5000)).toBeNull();
  });

  it("a remembered credential is valid for its secret only; a forged one never", () => {
    const token = signClassCredential(SECRET, { s: "s2", p: "p2" });
    expect(classCredentialFromCookies(SECRET, cookie(token))).toMatchObject({ s: "s2", p: "p2" });
    expect(classCredentialFromCookies(`${SECRET}-rotated`, cookie(token))).toBeNull();
    const [body, sig] = token.split(".");
    expect(classCredentialFromCookies(SECRET, cookie(`${body}.${sig!.slice(0, -2)}AA`))).toBeNull();
    const other = Buffer.from(JSON.stringify({ s: "s2", p: "someone-else", exp: Math.floor(Date.now() / 1000) + 3600 })).toString("base64url");
    expect(classCredentialFromCookies(SECRET, cookie(`${other}.${sig}`))).toBeNull();
  });

  it("what it hands out cannot be changed by one request for the next", () => {
    const token = signClassCredential(SECRET, { s: "s3", p: "p3" });
    const c = classCredentialFromCookies(SECRET, cookie(token))!;
    expect(() => ((c as { p: string }).p = "p4")).toThrow();
    expect(classCredentialFromCookies(SECRET, cookie(token))).toMatchObject({ p: "p3" });
  });
});
