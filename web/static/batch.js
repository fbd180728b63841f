// The batch's results page (web/templates/orders/batch_run.html). Loaded before the rows, which come
// as each order's step commits: the progress bar and its count follow them while the page loads.
(function () {
  "use strict";
  var bar = document.getElementById("batch-progress");
  var count = document.getElementById("batch-count");
  if (!bar || !count) { return; }
  var total = Number(bar.getAttribute("max")) || 0;
  function update() {
    var table = document.getElementById("batch-results");
    if (!table || !table.tBodies[0]) { return; }
    var body = table.tBodies[0];
    var rows = body.rows.length;
    var done = body.querySelectorAll('tr[data-done="1"]').length;
    var text = rows + " / " + total + " · " + table.dataset.doneWord + " " + done +
      " · " + table.dataset.refusedWord + " " + (rows - done);
    bar.value = rows;
    if (count.textContent !== text) { count.textContent = text; }  // unchanged: no mutation to follow
  }
  var watching = new MutationObserver(update);
  watching.observe(document.body, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () {
    update();
    watching.disconnect();
  });
})();
