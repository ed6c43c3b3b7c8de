import { describe, expect, it } from "vitest";
import { handleOf } from "./common";
import { parseMentions, resolveMentions } from "./mentions";

const members = [
  { id: "a", email: "Ada.Lovelace@lab.org" },
  { id: "b", email: "bob@lab.org" },
  { id: "b2", email: "bob@other.org" },
  { id: "c", email: "carol+x@lab.org" },
];

describe("mentions", () => {
  it("uses the lowercased local part of the email as the handle", () => {
    expect(handleOf("Ada.Lovelace@lab.org")).toBe("ada.lovelace");
  });

  it("finds handles and full emails, not addresses inside text, trimming trailing dots", () => {
    expect(parseMentions("hi @Ada.Lovelace. and (@bob), mail x@bob.org, @carol+x@lab.org!")).toEqual(["ada.lovelace", "bob", "carol+x@lab.org"]);
    expect(parseMentions("no mentions here, just user@host.com")).toEqual([]);
  });

  it("resolves to members: a bare handle matches everyone with that local part, a full email one member", () => {
    expect(resolveMentions("@ada.lovelace look", members).map((m) => m.id)).toEqual(["a"]);
    expect(resolveMentions("@bob", members).map((m) => m.id)).toEqual(["b", "b2"]);
    expect(resolveMentions("@bob@other.org", members).map((m) => m.id)).toEqual(["b2"]);
    expect(resolveMentions("@nobody", members)).toEqual([]);
  });
});
