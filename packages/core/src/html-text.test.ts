import { describe, expect, it } from "vitest";
import { htmlToText } from "./html-text";

describe("htmlToText", () => {
  it("keeps the text of an LSTMVis description: no tags, scripts or entities, line breaks kept", () => {
    expect(htmlToText('<p>Books <b>corpus</b> &amp; <a href="x">more</a></p><script>alert(1)</script>second<br/>line')).toBe("Books corpus & more\nsecond\nline");
    expect(htmlToText("a &lt;b&gt; &quot;c&quot; &#39;d&#39;&nbsp;e")).toBe("a <b> \"c\" 'd' e");
  });
});
