// The studio's browser side, one script: editors and form previews mounted on what the page holds
// when it has loaded, and on what htmx swaps in later (its htmx:load event).
// OrderLoomStudio.mount(element) mounts what another script put on the page.

import { mountEditors } from "./editor.js";
import { mountPreviews } from "./preview.js";

/** Mount everything studio in `root` (an element or the document) that is not mounted yet. */
export function mount(root = document) {
  mountEditors(root);
  mountPreviews(root);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => mount(document));
} else {
  mount(document);
}
document.addEventListener("htmx:load", (event) => mount(event.detail?.elt ?? event.target));
