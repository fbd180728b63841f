// Keys on the clerk's lists (the orders, my work, a queue): j / k move from order to order, x selects the order,
// Enter opens it, / goes to the search box, a takes the batch's first step on the orders selected, ? lists
// the keys. A page opts in with data-keys on a container; inside it:
//   [data-key-row]     a row (its first link opens the order, its checkbox [data-key-select] selects it)
//   [data-key-search]  the search box
//   [data-key-approve] the button a presses: the one in the form of the orders selected
//   #keys-help         a <dialog> listing the keys (?)
// Keys typed into a field, or with Ctrl, Alt or Meta, are the field's and the browser's, never ours.
(function () {
  "use strict";
  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) { return true; }
    if (tag !== "input") { return false; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) < 0;
  }
  function start() {
    var scope = document.querySelector("[data-keys]");
    if (!scope) { return; }
    var help = document.getElementById("keys-help");
    function rows() { return Array.prototype.slice.call(scope.querySelectorAll("[data-key-row]")); }
    function current() {
      var active = document.activeElement;
      return active && active.closest ? active.closest("[data-key-row]") : null;
    }
    function go(row) {
      rows().forEach(function (other) { other.classList.toggle("key-current", other === row); });
      var link = row.querySelector("a[href]");
      (link || row).focus();
      row.scrollIntoView({ block: "nearest" });
    }
    function move(step) {
      var all = rows();
      if (!all.length) { return; }
      var at = all.indexOf(current());
      var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
      go(all[next]);
    }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) { return; }
      if (help && help.open && event.key !== "?") { return; }  // the dialog has the keys while open
      var row;
      switch (event.key) {
        case "j": move(1); break;
        case "k": move(-1); break;
        case "x":
          row = current();
          var box = row && row.querySelector("[data-key-select]");
          if (!box) { return; }
          box.click();  // as a click would: its change event, its form
          go(row);
          break;
        case "/":
          var search = scope.querySelector("[data-key-search]") || document.querySelector("[data-key-search]");
          if (!search) { return; }
          search.focus();
          if (search.select) { search.select(); }
          break;
        case "a":
          // the first step of the batch the orders selected belong to (a page may offer one per
          // workflow and state, each its own form); nothing selected, nothing to take it on
          var chosen = scope.querySelector("[data-key-select]:checked");
          var approve = chosen && chosen.form && chosen.form.querySelector("[data-key-approve]:not([disabled])");
          if (!approve) { return; }
          approve.click();
          break;
        case "?":
          if (!help || !help.showModal) { return; }
          if (help.open) { help.close(); } else { help.showModal(); }
          break;
        default:
          return;
      }
      event.preventDefault();
    });
    scope.addEventListener("focusin", function (event) {
      var row = event.target.closest && event.target.closest("[data-key-row]");
      if (row) { rows().forEach(function (other) { other.classList.toggle("key-current", other === row); }); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
