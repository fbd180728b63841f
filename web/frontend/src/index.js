// The studio's browser side, one script: editors, diagrams and form previews mounted on what the page
// holds when it has loaded, and on what htmx swaps in later (its htmx:load event).
// OrderLoomStudio.mount(element) mounts what another script put on the page.

import { mountEditors } from "./editor.js";
import { mountDiagrams } from "./diagram.js";
import { mountPreviews } from "./preview.js";

// Where this script came from (document.currentScript is only set while it first runs): Mermaid is
// found beside it.
const bundleUrl = document.currentScript ? document.currentScript.src : document.baseURI;

/** Mount everything studio in `root` (an element or the document) that is not mounted yet. */
export function mount(root = document) {
  mountEditors(root);
  mountDiagrams(root, bundleUrl);
  mountPreviews(root);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => mount(document));
} else {
  mount(document);
}
document.addEventListener("htmx:load", (event) => mount(event.detail?.elt ?? event.target));
