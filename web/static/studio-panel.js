// The studio's problems panel follows the editor: after each check of the text (the editor's
// "studio:validated" event), the list under "Problems" is drawn again from the server's answer, in the
// page's language (the words are the list's data attributes); a problem's link moves the editor to its
// place. Without scripts the list is the one the server drew for the last "Check", each link going to its
// line in the numbered listing of the text checked.
(function () {
  "use strict";

  function words(panel, key, values) {
    let text = panel.dataset[key] || "";
    Object.keys(values).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function draw(panel, problems) {
    const old = panel.querySelector("#studio-problem-list");
    let list;
    if (!problems.length) {
      list = document.createElement("p");
      list.className = "muted";
      list.textContent = panel.dataset.none || "";
    } else {
      list = document.createElement("ol");
      problems.forEach(function (problem) {
        const item = document.createElement("li");
        item.className = problem.severity === "warning" ? "warning" : "error";
        const where = document.createElement("a");
        where.href = "#studio-text";
        where.dataset.line = String(problem.line || 1);
        where.dataset.col = String(problem.col || 1);
        where.textContent = words(panel, "line", { line: problem.line || 1, col: problem.col || 1 });
        const severity = document.createElement("b");
        severity.textContent = panel.dataset[item.className] || problem.severity;
        item.append(where, " ", severity, ": " + problem.message);
        if (problem.hint) {
          const hint = document.createElement("span");
          hint.className = "muted";
          hint.textContent = " (" + problem.hint + ")";
          item.append(hint);
        }
        // A problem this text causes in another file that holds it: a link to that file.
        const name = panel.dataset.name || "";
        if (problem.file && name && problem.file !== name && panel.dataset.fileUrl) {
          const open = document.createElement("a");
          open.className = "studio-elsewhere";
          open.href = panel.dataset.fileUrl.replace(/FILE$/, problem.file);
          open.textContent = words(panel, "open", { path: problem.file });
          item.append(" ", open);
        }
        list.append(item);
      });
    }
    list.id = "studio-problem-list";
    old.replaceWith(list);
  }

  // A text larger than a definition file may be (the textarea's data-max-bytes, counted in UTF-8 as the
  // server counts it) is not sent: the form's submit is stopped and the page says why, in its language,
  // with the text left in the editor. Without scripts the server refuses it with the page, text kept.
  function sizeText(textarea, bytes) {
    return words(textarea, "unit", {
      n: bytes.toLocaleString("en-US"),
      mb: Number((bytes / 1000000).toPrecision(3)).toString(),
    });
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    const textarea = form instanceof HTMLFormElement ? form.querySelector("textarea.studio-text") : null;
    const limit = textarea ? Number(textarea.dataset.maxBytes) : 0;
    if (!textarea || !limit) {
      return;
    }
    const size = new TextEncoder().encode(textarea.value.replace(/\r\n?/g, "\n")).length;
    const refused = form.querySelector("#studio-size-refused");
    if (size <= limit) {
      if (refused) {
        refused.hidden = true;
      }
      return;
    }
    event.preventDefault();
    if (refused) {
      refused.textContent = words(textarea, "tooLarge", {
        size: sizeText(textarea, size),
        limit: sizeText(textarea, limit),
      });
      refused.hidden = false;
      refused.scrollIntoView({ block: "nearest" });
    }
  });

  // Leaving the file page (another language, back to the studio, closing the tab) while the editor holds
  // a text other than the one last saved asks first: the browser's own "leave the page?" question. The
  // text last saved is the one the page was drawn with, or, when the server drew the page with a text not
  // saved (after a check or a refusal), the textarea's data-saved-text. The note for the publish is
  // guarded the same way: the note kept with the draft is its data-saved-note. Sending the form is not
  // leaving: the text and the note go with it, and come back on the page the server draws.
  const guarded = document.querySelector("textarea.studio-text[data-guard-leave]");
  let sending = false;

  function unsaved(textarea) {
    const saved = textarea.hasAttribute("data-saved-text") ? textarea.dataset.savedText : textarea.defaultValue;
    if (textarea.value.replace(/\r\n?/g, "\n") !== saved.replace(/\r\n?/g, "\n")) {
      return true;
    }
    const note = textarea.form ? textarea.form.querySelector("input[name=note][data-guard-leave]") : null;
    return note !== null && note.value.trim() !== (note.dataset.savedNote || "").trim();
  }

  if (guarded) {
    document.addEventListener("submit", function (event) {
      // Registered after the size check above: a text stopped there was not sent, and stays guarded.
      sending = !event.defaultPrevented && event.target === guarded.form;
    });
    window.addEventListener("beforeunload", function (event) {
      if (!sending && unsaved(guarded)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    window.addEventListener("pageshow", function () {
      sending = false; // back here from the browser's history: guarded again
    });
  }

  // A problem's link moves the editor to its line and column (the editor's "studio:goto"); without the
  // editor (no scripts) it goes to the line in the page's numbered listing of the text.
  document.addEventListener("click", function (event) {
    const link = event.target instanceof Element ? event.target.closest(".studio-problems a[data-line]") : null;
    const textarea = document.querySelector("textarea.studio-text");
    if (!link || !textarea || !textarea.hidden) {
      return;
    }
    event.preventDefault();
    const detail = { line: Number(link.dataset.line) || 1, col: Number(link.dataset.col) || 1 };
    textarea.dispatchEvent(new CustomEvent("studio:goto", { detail: detail }));
  });

  document.addEventListener("studio:validated", function (event) {
    const panel = document.querySelector(".studio-problems");
    const response = event.detail && event.detail.response;
    if (panel && response && Array.isArray(response.problems)) {
      draw(panel, response.problems);
    }
  });
})();
