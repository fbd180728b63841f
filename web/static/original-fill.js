// The fill from the original order (orders/new.html) draws the intake again; while it is on its way the
// clerk may go on choosing and typing. What they touch between asking and the new form arriving is put
// back into the new form, so the fill only fills what they have not touched since. Without this script
// the fill is the form's own button, sent with everything typed (nothing races then). Enter in the
// order number's field fills, as leaving it does; Enter elsewhere submits the form.
(() => {
  let touched = null; // name -> what the clerk left in it, while a fill is on its way

  const isFill = (event) => event.detail && event.detail.elt && event.detail.elt.id === "intake-original";

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (isFill(event)) touched = new Map();
  });

  const remember = (event) => {
    const field = event.target;
    if (touched === null || !(field instanceof Element) || !field.name) return;
    if (field.form === null || field.form.id !== "order-form") return;
    if (field.type === "checkbox") {
      touched.set(`${field.name}\u0000${field.value}`, { field: field.name, value: field.value, checked: field.checked });
    } else if (field.type === "radio") {
      if (field.checked) touched.set(field.name, { field: field.name, value: field.value, radio: true });
    } else {
      touched.set(field.name, { field: field.name, value: field.value });
    }
  };
  document.addEventListener("input", remember, true);
  document.addEventListener("change", remember, true);

  const putBack = () => {
    const form = document.getElementById("order-form");
    const kept = touched;
    touched = null;
    if (form === null || kept === null || kept.size === 0) return;
    let last = null;
    for (const one of kept.values()) {
      const named = Array.from(form.elements).filter((element) => element.name === one.field);
      for (const element of named) {
        if (element.type === "checkbox") {
          if ("checked" in one && element.value === one.value) element.checked = one.checked;
        } else if (element.type === "radio") {
          element.checked = element.value === one.value;
        } else if (element.type !== "hidden" && !("checked" in one) && !one.radio) {
          element.value = one.value;
        }
        last = element;
      }
    }
    // what was put back may show or hide parts of the form: the form's own refresh redraws them
    if (last !== null) last.dispatchEvent(new Event("input", { bubbles: true }));
  };

  // the new form is in the page: htmx:load names the content it brought (the fill's own element is gone)
  document.addEventListener("htmx:load", (event) => {
    const content = event.detail && event.detail.elt;
    if (touched !== null && content instanceof Element && content.querySelector("#order-form") !== null) putBack();
  });
  document.addEventListener("keydown", (event) => {
    const fill = document.getElementById("intake-original");
    if (event.key !== "Enter" || fill === null || !(event.target instanceof HTMLInputElement)) return;
    if (event.target.id !== fill.dataset.field) return;
    event.preventDefault(); // not the form's submit: the fill, as on leaving the field
    event.target.dispatchEvent(new Event("change", { bubbles: true }));
  });
  document.addEventListener("htmx:responseError", (event) => {
    if (isFill(event)) touched = null;
  });
})();
