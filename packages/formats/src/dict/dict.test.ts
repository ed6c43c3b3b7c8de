import { describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { parseDict, tokenFor } from "./dict";

describe("parseDict", () => {
  it("reads token/id lines with ids as stored and display tokens kept", () => {
    const d = parseDict("the 1\ncat\t2\n<space> 3\n<nl> 4\n<tab> 5\n", "words.dict");
    expect(d.entries).toEqual([
      { id: 1, token: "the" },
      { id: 2, token: "cat" },
      { id: 3, token: "<space>" },
      { id: 4, token: "<nl>" },
      { id: 5, token: "<tab>" },
    ]);
    expect(tokenFor(d, 2)).toBe("cat");
    expect(tokenFor(d, 99)).toBe("<unk:99>");
  });

  it("maps a line of a space and an id to the single-space token", () => {
    const d = parseDict("a 1\n 2\nb 3\r\n", "chars.dict");
    expect(d.byId.get(2)).toBe(" ");
    expect(d.byId.get(3)).toBe("b");
  });

  it("keeps tokens with inner spaces (split at the last whitespace)", () => {
    expect(parseDict("new york 7\n", "x.dict").byId.get(7)).toBe("new york");
  });

  it.each([
    ["the 1\ncat\n", "words.dict line 2: expected <token> <id>: \"cat\""],
    ["the 1\ncat x\n", "words.dict line 2: id is not an integer: \"cat x\""],
    ["the 1\n\tcat 1\n", "words.dict line 2: id 1 already used on line 1"],
    ["the 1\n\t5\n", "words.dict line 2: expected <token> <id>"],
  ])("rejects malformed lines with file, line and text: %j", (text, msg) => {
    let err: unknown;
    try {
      parseDict(text, "words.dict");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("BAD_INPUT");
    expect((err as AppError).message).toContain(msg);
  });
});
