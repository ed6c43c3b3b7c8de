import { describe, expect, it } from "vitest";
import { parseUpgrade } from "./server";

describe("an upgrade URL's room, token and schema version", () => {
  it("are read from the path and the query", () => {
    expect(parseUpgrade("/ws%3Aw1%3Ad1?token=a.b&v=3")).toEqual({ room: "ws:w1:d1", token: "a.b", version: "3" });
    expect(parseUpgrade("/class:c1?v=3&token=t&token=other")).toEqual({ room: "class:c1", token: "t", version: "3" });
    expect(parseUpgrade("/r%zz?token=t")).toEqual({ room: "", token: "t", version: null });
    expect(parseUpgrade(undefined)).toEqual({ room: "", token: null, version: null });
  });

  it("name nothing for a target the URL parser refuses, instead of throwing in the connection handler", () => {
    for (const url of ["//[", "//a b/r?token=t", "//:99999/r"]) expect(parseUpgrade(url), url).toEqual({ room: "", token: null, version: null });
  });
});
