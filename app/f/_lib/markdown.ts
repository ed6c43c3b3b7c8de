/**
 * The finding's text: Markdown with raw HTML disabled (it is escaped, never passed through),
 * no images (a stranger's page must not load third-party resources), links restricted to
 * http(s)/mailto and marked nofollow.
 */
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, typographer: true });
md.disable(["image"]);
const SAFE_LINK = /^(https?:|mailto:|#|\/)/i;
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());
const defaultLink = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet("rel", "nofollow noopener noreferrer");
  return defaultLink(tokens, idx, options, env, self);
};

export function markdownToHtml(src: string): string {
  return md.render(src);
}

/** Plain text of the first paragraph (meta descriptions, oEmbed), at most `max` characters. */
export function markdownSummary(src: string, max = 200): string {
  const text = src
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[#>*_`~]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return text.length <= max ? text : text.slice(0, max - 1).trimEnd() + "…";
}
