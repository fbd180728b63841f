// The studio's editor: a CodeMirror 6 editor over each <textarea class="studio-text">.
//
// The textarea stays in its form, hidden and kept in step with the editor, so the page's own submit
// posts `text` as before; without scripts the textarea is the editor. Its data attributes:
//   data-kind          workflow | rules | cases (YAML), form | ui (JSON)
//   data-department    data-name (the file's path under the definitions root, workflows/retail/order.yaml)
//   data-validate-url  POST {kind, department, name, text} -> {problems: [...]}: the lint source
//   data-schema-url    a JSON Schema to complete and explain keys from (optional)
//   data-lang          zh | en: the studio's own words and CodeMirror's
//   data-fix-label     the one-click fix's label, "{s}" standing for the suggestion ("Use {s}")
//   data-readonly      present: the text can be read, selected and searched, not changed
// Another script of the page drives the editor by events on the textarea: "studio:set-text" (detail
// {text}) puts a text in it, as typed (undone by Ctrl-Z); "studio:goto" (detail {line, col}, from 1,
// col in characters) puts the cursor there, scrolls it into the middle and focuses the editor.
// After each answer of the validate URL the textarea gets a "studio:validated" CustomEvent, detail
// {text, response}, and #studio-problem-count (when the page has one) the number of problems.
//
// The editor lives in a shadow root of its own (<div class="studio-editor"> after the textarea):
// CodeMirror then adopts its styles as constructed style sheets, which the page's
// Content-Security-Policy (style-src 'self') allows, instead of adding a <style> element, which it
// refuses. The page sizes it through custom properties, which cross the shadow boundary:
// --studio-editor-height, --studio-editor-min-height, --studio-editor-max-height.

import { EditorState } from "@codemirror/state";
import {
  EditorView,
  crosshairCursor,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  hoverTooltip,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  foldKeymap,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { linter, lintKeymap } from "@codemirror/lint";
import { yaml, yamlLanguage } from "@codemirror/lang-yaml";
import { json, jsonLanguage } from "@codemirror/lang-json";
import { jsonCompletion, jsonSchemaHover, stateExtensions, updateSchema } from "codemirror-json-schema";
import { yamlCompletion, yamlSchemaHover } from "codemirror-json-schema/yaml";

import { codemirrorPhrases, languageOf, word } from "./messages.js";
import { isValidateAnswer, offsetOf, toDiagnostics } from "./problems.js";
import { getJson, postJson, reasonOf } from "./requests.js";
import { within } from "./dom.js";
import { formMetaSchema } from "./formSchema.js";
import { inLanguage, withReferencesBesideKeywordsInlined } from "./schemas.js";

export const EDITOR_SELECTOR = "textarea.studio-text";
const YAML_KINDS = new Set(["workflow", "rules", "cases"]);
const LINT_DELAY_MS = 300; // after the last keystroke
const LESSER = new Set(["warning", "info", "hint"]); // counted as warnings; anything else is an error
const counts = new Map(); // textarea -> {errors, warnings} of its last answer

const theme = EditorView.theme({
  "&": {
    height: "var(--studio-editor-height, auto)",
    maxHeight: "var(--studio-editor-max-height, 75vh)",
    border: "1px solid #c4c4c4",
    borderRadius: "4px",
    backgroundColor: "#fff",
    fontSize: "14px",
  },
  "&.cm-focused": { outline: "2px solid #3b7bd4", outlineOffset: "-1px" },
  ".cm-scroller": {
    overflow: "auto",
    fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace',
    lineHeight: "1.5",
  },
  ".cm-content, .cm-gutter": { minHeight: "var(--studio-editor-min-height, 12em)" },
  // @codemirror/lint draws its wavy lines as data: images, which img-src 'self' refuses: text
  // decoration draws the same line, and no image is asked for.
  ".cm-lintRange": { backgroundImage: "none", textDecorationLine: "underline", textDecorationStyle: "wavy" },
  ".cm-lintRange-error": { backgroundImage: "none", textDecorationColor: "#d11" },
  ".cm-lintRange-warning": { backgroundImage: "none", textDecorationColor: "#e69500" },
  ".cm-lintRange-info": { backgroundImage: "none", textDecorationColor: "#888" },
  ".cm-lintRange-hint": { backgroundImage: "none", textDecorationColor: "#66d" },
  ".cm-diagnostic": { maxWidth: "48em" },
  ".studio-problem-hint": { display: "block", marginTop: "2px", color: "#555" },
  ".studio-problem-code": { display: "block", marginTop: "2px", color: "#777", fontSize: "85%" },
  ".cm6-json-schema-hover": { padding: "4px 8px", maxWidth: "40em" },
  ".cm6-json-schema-hover--description p": { margin: "0 0 4px" },
  ".cm6-json-schema-hover--code": { fontFamily: "ui-monospace, monospace", color: "#555" },
});

const mounted = new WeakSet();

/** Mount an editor on every studio textarea in `root` (an element or the document) not mounted yet. */
export function mountEditors(root) {
  for (const textarea of within(root, EDITOR_SELECTOR)) {
    if (!mounted.has(textarea)) {
      mounted.add(textarea);
      mountEditor(textarea);
    }
  }
}

function mountEditor(textarea) {
  const document = textarea.ownerDocument;
  const lang = languageOf(textarea.dataset.lang);
  const kind = textarea.dataset.kind || "";
  const yamlKind = YAML_KINDS.has(kind);
  const readOnly = textarea.hasAttribute("data-readonly");

  const host = document.createElement("div");
  host.className = "studio-editor";
  host.dataset.kind = kind;
  textarea.after(host);
  const shadow = host.attachShadow({ mode: "open" });

  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    foldGutter(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    indentOnInput(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    autocompletion(),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    keymap.of([
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...historyKeymap,
      ...foldKeymap,
      ...completionKeymap,
      ...lintKeymap,
      indentWithTab, // Escape, then Tab, leaves the editor (CodeMirror's tab focus mode)
    ]),
    EditorState.phrases.of(codemirrorPhrases(lang)),
    EditorView.contentAttributes.of(labelAttributes(textarea)),
    theme,
    yamlKind ? yaml() : json(),
    stateExtensions(kind === "form" && !textarea.dataset.schemaUrl ? formMetaSchema() : undefined),
    (yamlKind ? yamlLanguage : jsonLanguage).data.of({
      autocomplete: yamlKind ? yamlCompletion() : jsonCompletion(),
    }),
    hoverTooltip(yamlKind ? yamlSchemaHover() : jsonSchemaHover()),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) {
        textarea.value = update.state.doc.toString();
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }),
  ];
  if (readOnly) {
    extensions.push(EditorState.readOnly.of(true));
    host.dataset.readonly = "";
  }
  if (textarea.dataset.validateUrl) {
    extensions.push(linter(serverLint(textarea, lang), { delay: LINT_DELAY_MS }));
  }

  const view = new EditorView({
    parent: shadow,
    state: EditorState.create({ doc: textarea.value, extensions }),
  });
  textarea.hidden = true;

  for (const label of textarea.labels || []) {
    label.addEventListener("click", (event) => {
      event.preventDefault();
      view.focus();
    });
  }
  // A required textarea left empty stops the submit; the browser cannot focus it, hidden: the editor.
  textarea.addEventListener("invalid", () => view.focus());
  // A reset of the form puts the textarea's first text back: so does the editor.
  textarea.form?.addEventListener("reset", () => {
    setTimeout(() => {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: textarea.value } });
    });
  });

  textarea.addEventListener("studio:set-text", (event) => {
    const text = event.detail && event.detail.text;
    if (typeof text === "string" && text !== view.state.doc.toString()) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, userEvent: "input.restore" });
    }
  });
  textarea.addEventListener("studio:goto", (event) => {
    const where = event.detail || {};
    const at = offsetOf(view.state.doc, where.line, where.col);
    view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: "center" }) });
    view.focus();
  });

  if (textarea.dataset.schemaUrl) {
    const url = textarea.dataset.schemaUrl;
    getJson(url, lang).then(
      (schema) => updateSchema(view, withReferencesBesideKeywordsInlined(inLanguage(schema, lang))),
      (error) => {
        host.dataset.schema = "unavailable";
        console.warn(word(lang, "schemaFailed", { url, reason: reasonOf(error) }));
      },
    );
  }
  return view;
}

/** The lint source: the server's problems with the text as it is now. */
function serverLint(textarea, lang) {
  const url = textarea.dataset.validateUrl;
  const fixLabel = textarea.dataset.fixLabel || word(lang, "fixLabel");
  return async (view) => {
    const doc = view.state.doc;
    const text = doc.toString();
    const body = {
      kind: textarea.dataset.kind || "",
      department: textarea.dataset.department || "",
      name: textarea.dataset.name || "",
      text,
    };
    let response;
    try {
      response = await postJson(textarea.ownerDocument, url, body, lang, isValidateAnswer);
    } catch (error) {
      if (view.state.doc !== doc) return []; // typed on meanwhile: the next run says how it went
      showCount(textarea, null);
      return [{ from: 0, to: 0, severity: "warning", message: word(lang, "lintFailed", { reason: reasonOf(error) }) }];
    }
    if (view.state.doc !== doc) return []; // an answer about a text that is gone: CodeMirror drops it
    showCount(textarea, response.problems);
    textarea.dispatchEvent(new CustomEvent("studio:validated", { bubbles: true, detail: { text, response } }));
    return toDiagnostics(doc, response.problems, fixLabel, lang);
  };
}

/** #studio-problem-count: the problems of every editor of the page; "?" while one could not be checked. */
function showCount(textarea, problems) {
  counts.set(
    textarea,
    problems === null
      ? null
      : {
          errors: problems.filter((p) => !LESSER.has(p.severity)).length,
          warnings: problems.filter((p) => LESSER.has(p.severity)).length,
        },
  );
  const element = textarea.ownerDocument.getElementById("studio-problem-count");
  if (!element) return;
  let errors = 0;
  let warnings = 0;
  let unknown = false;
  for (const [each, count] of counts) {
    if (!each.isConnected) counts.delete(each);
    else if (count === null) unknown = true;
    else {
      errors += count.errors;
      warnings += count.warnings;
    }
  }
  element.textContent = unknown ? "?" : String(errors + warnings);
  element.dataset.errors = String(errors);
  element.dataset.warnings = String(warnings);
  element.dataset.state = unknown ? "unknown" : errors + warnings ? "problems" : "clean";
}

function labelAttributes(textarea) {
  const label = textarea.labels && textarea.labels[0];
  const name = label ? label.textContent.trim() : textarea.getAttribute("aria-label") || textarea.dataset.name;
  return name ? { "aria-label": name } : {};
}
