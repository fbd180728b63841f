// A choice that fills in what goes with it (orders/new.html, orders/fire.html): a product picked in an
// order line's select fills that line's name and unit price from the catalogue; a wholesale account
// picked fills the contact and address its record holds, and one lacking some says so beside the picker
// (data-note, shown in the select's "-note" paragraph). The option carries what it fills as JSON
// (data-fills, drawn by the server in the page's language); a name without a dot is a field of the same
// row, named like the select with its last part replaced ("lines[0].sku" fills "lines[0].name" and
// "lines[0].unit_price"), one with a dot a field from the form's root ("contact.name"): a text box, a
// text area or a select (a province), which the clerk may change again. Filled before the form's
// refresh (htmx, on input) is sent,
// so the line amount and the total come back computed with the new price. A field the clerk may not type
// in (the unit price of a workflow priced by the catalogue) is the catalogue's to fill; a computed one
// (the line amount) is the server's. Without this script the clerk types what may be typed, and the
// server prices the order from the catalogue whatever the page sent.
document.addEventListener(
  "input",
  (event) => {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement) || select.form === null) return;
    const chosen = select.selectedOptions[0];
    const note = document.getElementById(select.id + "-note");
    if (note !== null) {
      // what the choice says once chosen (an account with nothing on file), else nothing
      note.textContent = chosen === undefined ? "" : chosen.dataset.note || "";
      note.hidden = note.textContent === "";
    }
    if (chosen === undefined || !chosen.dataset.fills) return;
    let fills;
    try {
      fills = JSON.parse(chosen.dataset.fills);
    } catch {
      return;
    }
    const cut = select.name.lastIndexOf(".");
    const prefix = cut < 0 ? "" : select.name.slice(0, cut + 1);
    for (const [name, value] of Object.entries(fills)) {
      const field = select.form.elements.namedItem(name.includes(".") ? name : prefix + name);
      const fillable =
        field instanceof HTMLInputElement ||
        field instanceof HTMLTextAreaElement ||
        field instanceof HTMLSelectElement;
      if (fillable && !field.disabled && field.dataset.computed !== "true") {
        field.value = String(value);
      }
    }
  },
  true, // before htmx reads the form: the refresh carries the filled values
);
