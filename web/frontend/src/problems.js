// The server's problems as CodeMirror diagnostics.
//
// A problem: {line, col, end_line, end_col, severity, message, hint, suggestion, code}. Lines and columns
// count from 1; a column counts characters (code points, as Python does), end_col is exclusive; line 0
// is about the whole file and is shown at its start. CodeMirror counts UTF-16 code units, so a column is
// converted on its line: a character outside the Basic Multilingual Plane (𠀀, an emoji) is one column
// and two code units.

import { fill, word } from "./messages.js";

const SEVERITIES = new Set(["error", "warning", "info", "hint"]);

/** True for an answer of the validate endpoint's shape: {"problems": [object, …]}. */
export function isValidateAnswer(answer) {
  return (
    answer !== null &&
    typeof answer === "object" &&
    Array.isArray(answer.problems) &&
    answer.problems.every((p) => p !== null && typeof p === "object" && !Array.isArray(p))
  );
}

/**
 * The diagnostics of `problems` over the document `doc` (a CodeMirror Text), in the page's language
 * `lang`. `fixLabel` words the one-click fix of a problem with a suggestion ("Use {s}"): the action
 * replaces the problem's range with the suggestion. A problem's code (unknown-state) is not part of
 * its words: the tooltip shows it last, small and labelled ("code", "代码"), for looking it up in the
 * docs; it is never appended to the message as CodeMirror does with a diagnostic's `source`.
 */
export function toDiagnostics(doc, problems, fixLabel, lang) {
  return problems.map((problem) => toDiagnostic(doc, problem, fixLabel, lang));
}

function toDiagnostic(doc, problem, fixLabel, lang) {
  const from = position(doc, problem.line, problem.col, 0, false);
  let to = from;
  if (wholeNumber(problem.line) >= 1 && wholeNumber(problem.end_line) !== null) {
    to = Math.max(from, position(doc, problem.end_line, problem.end_col, from, true));
  }
  const message = text(problem.message) || text(problem.code) || "?";
  const hint = text(problem.hint);
  const code = text(problem.message) ? text(problem.code) : ""; // a problem without words shows its code as them
  const diagnostic = {
    from,
    to,
    severity: SEVERITIES.has(problem.severity) ? problem.severity : "error",
    message: hint ? `${message}\n${hint}` : message,
    renderMessage: () => renderMessage(message, hint, code, lang),
  };
  if (typeof problem.suggestion === "string") {
    const suggestion = problem.suggestion;
    diagnostic.actions = [
      {
        name: fill(fixLabel, { s: suggestion }),
        apply(view, start, end) {
          view.dispatch({
            changes: { from: start, to: end, insert: suggestion },
            selection: { anchor: start + suggestion.length },
            userEvent: "input.fix",
          });
        },
      },
    ];
  }
  return diagnostic;
}

/** The document offset of (line, col), both from 1 (col in characters), clamped into the document. */
export function offsetOf(doc, line, col) {
  return position(doc, line, col, 0, false);
}

/**
 * The document offset of (line, col), both from 1, clamped into the document: line 0 (or less) is the
 * start, a line past the last is the end, a column past the line's end is its end. Without a column,
 * the line's start (or its end when `atEnd`); `fallback` when the line is not a whole number.
 */
function position(doc, line, col, fallback, atEnd) {
  const number = wholeNumber(line);
  if (number === null) return fallback;
  if (number < 1) return 0;
  if (number > doc.lines) return doc.length;
  const docLine = doc.line(number);
  const column = wholeNumber(col);
  if (column === null) return atEnd ? docLine.to : docLine.from;
  return docLine.from + codeUnits(docLine.text, Math.max(0, column - 1));
}

/** How many UTF-16 code units the first `characters` code points of `text` take (at most its length). */
function codeUnits(text, characters) {
  let units = 0;
  for (let seen = 0; seen < characters && units < text.length; seen++) {
    const point = text.codePointAt(units);
    units += point > 0xffff ? 2 : 1;
  }
  return units;
}

function wholeNumber(value) {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

function text(value) {
  return typeof value === "string" ? value : "";
}

function renderMessage(message, hint, code, lang) {
  const box = document.createElement("span");
  box.className = "studio-problem";
  const said = document.createElement("span");
  said.className = "studio-problem-message";
  said.textContent = message;
  box.append(said);
  if (hint) {
    const help = document.createElement("span");
    help.className = "studio-problem-hint";
    help.textContent = hint;
    box.append(help);
  }
  if (code) {
    const label = document.createElement("small");
    label.className = "studio-problem-code";
    const name = document.createElement("code");
    name.textContent = code;
    label.append(`${word(lang, "codeLabel")} `, name);
    box.append(label);
  }
  return box;
}
