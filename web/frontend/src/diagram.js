// The state diagram beside a workflow's text: <div class="studio-diagram" data-diagram-url="…"
// data-source="<textarea id>">. Its address answers POST {department, name, text} with
// {"mermaid": "<stateDiagram-v2 source>"}, or {"mermaid": null} while the text does not parse: then
// the last good drawing stays. The drawing is asked for once at the start and after each validation.
//
// Mermaid (about 5 MB) is loaded only by a page that has a diagram: the first diagram on the page
// inserts <script src=".../vendor/mermaid/mermaid.min.js">, found beside this bundle
// (data-mermaid-src on the div says otherwise).

import { word } from "./messages.js";
import { followAll } from "./panels.js";
import { RequestFailed } from "./requests.js";

export const DIAGRAM_SELECTOR = "div.studio-diagram";
const MERMAID_FROM_BUNDLE = "../mermaid/mermaid.min.js";

let mermaidLoading = null; // Promise of the mermaid object, once asked for
let renders = Promise.resolve(); // Mermaid draws one diagram at a time
let drawings = 0;
const opened = new WeakSet(); // the boxes already brought to their diagram's start

/** Follow every diagram in `root`; `bundleUrl` is where this script was loaded from. */
export function mountDiagrams(root, bundleUrl) {
  followAll(root, DIAGRAM_SELECTOR, {
    url: (div) => div.dataset.diagramUrl,
    check: (answer) =>
      answer !== null &&
      typeof answer === "object" &&
      (answer.mermaid === null || typeof answer.mermaid === "string"),
    start: (div, lang) => {
      loadMermaid(div, bundleUrl, lang).catch(() => undefined); // said when a drawing waits for it
    },
    show: async (div, content, answer, lang, current) => {
      if (answer.mermaid === null) return false;
      const mermaid = await loadMermaid(div, bundleUrl, lang);
      if (!current()) return true;
      const svg = await draw(mermaid, content, answer.mermaid);
      if (current()) {
        content.innerHTML = svg; // Mermaid's own output, sanitized by it (securityLevel strict)
        openOnStart(content);
      }
      return true;
    },
    failed: "diagramFailed",
    stale: "diagramStale",
    askAtStart: true,
  });
}

/**
 * Where the drawing is larger than its box (a narrow screen draws it at its own size in a box that
 * scrolls: studio-narrow.css), the box's first drawing is shown from the diagram's start, not from the
 * drawing's top-left corner, which may be empty. Later drawings keep where the admin scrolled to.
 */
function openOnStart(box) {
  if (opened.has(box) || (box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight)) return;
  const start = box.querySelector("svg g[id*='root_start']");
  if (!start) return;
  opened.add(box);
  const frame = box.getBoundingClientRect();
  const at = start.getBoundingClientRect();
  box.scrollLeft += at.left - frame.left - (box.clientWidth - at.width) / 2;
  box.scrollTop += at.top - frame.top - box.clientHeight / 5;
}

/** The mermaid object, loading its script the first time it is asked for (again after a failure). */
function loadMermaid(div, bundleUrl, lang) {
  const document = div.ownerDocument;
  const src = div.dataset.mermaidSrc || new URL(MERMAID_FROM_BUNDLE, bundleUrl).href;
  if (!mermaidLoading) {
    mermaidLoading = new Promise((resolve, reject) => {
      const loaded = () => {
        const mermaid = document.defaultView.mermaid;
        mermaid.initialize({
          startOnLoad: false,
          securityLevel: "strict",
          suppressErrorRendering: true, // a source it cannot draw throws, it draws no error picture
        });
        resolve(mermaid);
      };
      if (document.defaultView.mermaid) {
        loaded();
        return;
      }
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.dataset.studio = "mermaid";
      script.addEventListener("load", loaded);
      script.addEventListener("error", () => {
        mermaidLoading = null; // the next diagram may try again
        reject(new RequestFailed(word(lang, "scriptMissing", { src })));
      });
      document.head.append(script);
    });
  }
  return mermaidLoading;
}

/**
 * The SVG text of `source`. Mermaid lays the drawing out in the page before handing it back: it does
 * so in a box of its own at the end of the body, out of sight (not in `content`, which keeps the last
 * drawing meanwhile).
 */
function draw(mermaid, content, source) {
  const drawing = renders.then(async () => {
    const scratch = content.ownerDocument.createElement("div");
    scratch.className = "studio-diagram-scratch";
    scratch.setAttribute("aria-hidden", "true");
    Object.assign(scratch.style, { position: "absolute", left: "-10000px", top: "0", width: "1000px" });
    content.ownerDocument.body.append(scratch);
    try {
      const { svg } = await mermaid.render(`studio-diagram-${++drawings}`, source, scratch);
      return svg;
    } finally {
      scratch.remove();
    }
  });
  renders = drawing.catch(() => undefined);
  return drawing;
}
