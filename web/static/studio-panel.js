// The studio's problems panel follows the editor: after each check of the text (the editor's
// "studio:validated" event), the list under "Problems" is drawn again from the server's answer, in the
// page's language (the words are the list's data attributes). Without scripts the list is the one the
// server drew for the last "Check".
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

  document.addEventListener("studio:validated", function (event) {
    const panel = document.querySelector(".studio-problems");
    const response = event.detail && event.detail.response;
    if (panel && response && Array.isArray(response.problems)) {
      draw(panel, response.problems);
    }
  });
})();
