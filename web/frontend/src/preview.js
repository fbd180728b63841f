// The form preview beside a form's text: <div class="studio-preview" data-preview-url="…"
// data-source="<textarea id>">. After each validation of the textarea its address answers POST
// {department, name, text} with {"html": "…"}: the form as the server renders it (safe HTML), which
// replaces the preview. {"html": null} keeps the last preview. htmx, when the page has it, processes
// the new content (a preview's refresh of computed fields).

import { followAll } from "./panels.js";

export const PREVIEW_SELECTOR = "div.studio-preview";

export function mountPreviews(root) {
  followAll(root, PREVIEW_SELECTOR, {
    url: (div) => div.dataset.previewUrl,
    check: (answer) =>
      answer !== null && typeof answer === "object" && (answer.html === null || typeof answer.html === "string"),
    show: async (div, content, answer) => {
      if (answer.html === null) return false;
      content.innerHTML = answer.html;
      div.ownerDocument.defaultView.htmx?.process(content);
      return true;
    },
    failed: "previewFailed",
    stale: "previewStale",
    askAtStart: false,
  });
}
