import { encode } from "next-auth/jwt";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { resetEnvCache } from "@/server/env";
import { createSessionReader } from "./session";

const SECRET = "session-test-secret-0123456789abcdef";
const PLAIN = "authjs.session-token";
const SECURE = "__Secure-authjs.session-token";
let saved: string | undefined;

beforeAll(() => {
  saved = process.env.AUTH_SECRET;
  process.env.AUTH_SECRET = SECRET;
  resetEnvCache();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => {
  if (saved === undefined) delete process.env.AUTH_SECRET;
  else process.env.AUTH_SECRET = saved;
  resetEnvCache();
});

/** A session cookie as next-auth's sign-in sets it (the salt is the cookie's name). */
const cookie = async (name: string, o: { sub?: string; secret?: string; maxAge?: number } = {}) =>
  `other=1; ${name}=${await encode({ token: { sub: o.sub ?? "user-1", email: "a@b.test" }, secret: o.secret ?? SECRET, salt: name, maxAge: o.maxAge })}`;
const request = (headers: Record<string, string>) => new Request("http://127.0.0.1/api/trpc/x", { headers });

describe("the session reader", () => {
  it("reads the user of a valid session cookie, the __Secure- one over HTTPS", async () => {
    const sessionUserId = createSessionReader();
    expect(await sessionUserId(request({ cookie: await cookie(PLAIN), "x-forwarded-proto": "http" }))).toBe("user-1");
    expect(await sessionUserId(request({ cookie: await cookie(SECURE, { sub: "user-2" }), "x-forwarded-proto": "https" }))).toBe("user-2");
    // over HTTPS next-auth reads only the __Secure- cookie
    expect(await sessionUserId(request({ cookie: await cookie(PLAIN), "x-forwarded-proto": "https" }))).toBeNull();
  });

  it("is signed out for no cookie, an expired, foreign or tampered token, and a bearer token", async () => {
    const sessionUserId = createSessionReader();
    expect(await sessionUserId(request({}))).toBeNull();
    expect(await sessionUserId(request({ cookie: await cookie(PLAIN, { maxAge: -3600 }) }))).toBeNull();
    expect(await sessionUserId(request({ cookie: await cookie(PLAIN, { secret: "another-secret-0123456789abcdefgh" }) }))).toBeNull();
    const good = await cookie(PLAIN);
    const tampered = good.slice(0, -6) + (good.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");
    expect(await sessionUserId(request({ cookie: tampered }))).toBeNull();
    const token = good.split(`${PLAIN}=`)[1]!;
    expect(await sessionUserId(request({ authorization: `Bearer ${token}` }))).toBeNull();
  });

  it("answers for a remembered token only until the token expires", async () => {
    const sessionUserId = createSessionReader({ max: 2 });
    const now = Date.now();
    vi.useFakeTimers({ now, toFake: ["Date"] });
    const hour = await cookie(PLAIN, { sub: "user-3", maxAge: 3600 });
    expect(await sessionUserId(request({ cookie: hour }))).toBe("user-3");
    expect(await sessionUserId(request({ cookie: hour }))).toBe("user-3");
    // the same cookie over HTTPS is not the session cookie there
    expect(await sessionUserId(request({ cookie: hour, "x-forwarded-proto": "https" }))).toBeNull();
    // other tokens push it out of a full reader, and it is decrypted again
    for (const sub of ["user-4", "user-5"]) expect(await sessionUserId(request({ cookie: await cookie(PLAIN, { sub }) }))).toBe(sub);
    expect(await sessionUserId(request({ cookie: hour }))).toBe("user-3");
    vi.setSystemTime(now + 3601_000);
    expect(await sessionUserId(request({ cookie: hour }))).toBeNull(); // remembered, expired
    vi.setSystemTime(now + 7200_000);
    expect(await sessionUserId(request({ cookie: hour }))).toBeNull(); // decrypted again, expired
  });
});
