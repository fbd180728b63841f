// Stands in for codemirror-json-schema's utils/markdown.js (build.mjs swaps it in): the same
// renderMarkdown, without shiki. shiki highlights code blocks with a WebAssembly regular-expression
// engine (about 300 KB, and WebAssembly needs 'wasm-unsafe-eval' in the Content-Security-Policy); the
// descriptions of our schemas hold no code blocks worth colouring.
//
// The descriptions come from our own schemas, and are rendered with raw HTML off all the same: tables
// are off too (markdown-it aligns their cells with style="…", which the policy refuses), and so are
// images (an image from another host is refused by img-src).

import MarkdownIt from "markdown-it";

const renderer = new MarkdownIt({ html: false, linkify: true, typographer: false }).disable([
  "table",
  "image",
]);

export function renderMarkdown(markdown, inline = true) {
  return inline ? renderer.renderInline(markdown) : renderer.render(markdown);
}
