import { describe, expect, it } from "vitest";
import { safeCallbackPath, signInUrl } from "./callback-path";

describe("safeCallbackPath", () => {
  it("keeps a same-site path with its query and hash", () => {
    const deep = "/w/lab/datasets/ds1/explore?b=40-45&c=3,17&pad=1,0&run=1#m";
    expect(safeCallbackPath(deep)).toBe(deep);
    expect(safeCallbackPath("/w")).toBe("/w");
    expect(safeCallbackPath("/invite/abc_DEF-123")).toBe("/invite/abc_DEF-123");
    expect(safeCallbackPath("/w/a%2Fb?q=%2F%2Fx")).toBe("/w/a%2Fb?q=%2F%2Fx");
  });

  it("refuses everything a browser could read as another origin", () => {
    const hostile = [
      "//evil.example/x",
      "///evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "/\\/evil.example",
      "\\/evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "/\r/evil.example",
      " //evil.example",
      "http://evil.example",
      "https://evil.example/w",
      "HTTP://evil.example",
      "javascript:alert(1)",
      "data:text/html,x",
      "evil.example",
      "%2F%2Fevil.example",
      "%2f%2fevil.example",
      "/%09/evil.example".replace("%09", "\t"),
      "",
      "/" + "a".repeat(5000),
    ];
    for (const h of hostile) expect(safeCallbackPath(h), JSON.stringify(h)).toBe("/w");
  });

  it("keeps encoded slashes encoded (a path on this site, never an authority)", () => {
    expect(safeCallbackPath("/%2F%2Fevil.example")).toBe("/%2F%2Fevil.example");
    expect(safeCallbackPath("/%5Cevil.example")).toBe("/%5Cevil.example");
  });

  it("refuses non-strings and uses the fallback given", () => {
    expect(safeCallbackPath(undefined)).toBe("/w");
    expect(safeCallbackPath(["/w/a"])).toBe("/w");
    expect(safeCallbackPath(null, "/")).toBe("/");
  });

  it("builds the sign-in link for a deep link", () => {
    expect(signInUrl("/w/lab/datasets/d/explore?b=1-2&c=3")).toBe("/signin?callbackUrl=%2Fw%2Flab%2Fdatasets%2Fd%2Fexplore%3Fb%3D1-2%26c%3D3");
    expect(signInUrl("//evil.example", "/signup")).toBe("/signup?callbackUrl=%2Fw");
  });
});
