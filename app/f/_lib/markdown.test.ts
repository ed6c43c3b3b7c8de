import { describe, expect, it } from "vitest";
import { html, raw } from "./html";
import { markdownSummary, markdownToHtml } from "./markdown";

describe("the finding's text", () => {
  it("renders Markdown with raw HTML escaped, no images, safe links only, marked nofollow", () => {
    const out = markdownToHtml("**bold** <img src=x onerror=alert(1)> ![pic](https://evil.example/p.png) [ok](https://a.example) [bad](javascript:alert(1))");
    expect(out).toContain("<strong>bold</strong>");
    expect(out).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(out).not.toContain("<img");
    expect(out).toContain('<a href="https://a.example" rel="nofollow noopener noreferrer">ok</a>');
    expect(out).not.toContain('href="javascript:');
  });

  it("summarises to plain text for meta descriptions", () => {
    expect(markdownSummary("# Title\n\nCells **on** at [phrases](https://x).", 200)).toBe("Title Cells on at phrases.");
    expect(markdownSummary("word ".repeat(100), 20)).toBe("word word word word…");
  });
});

describe("html", () => {
  it("escapes interpolations unless they are raw", () => {
    expect(html`<p title="${'"x"'}">${"<b>"}${raw("<i>ok</i>")}${["a", "&"]}</p>`.value).toBe('<p title="&quot;x&quot;">&lt;b&gt;<i>ok</i>a&amp;</p>');
  });
});
