// Switching language on an order's form page keeps what was typed (orders/new.html, orders/fire.html):
// the header's language link sends the form to be drawn again in the other language, through the
// form's own language button (which works without this script), instead of leaving the page.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("header a.lang") : null;
  const button = document.querySelector("#order-form button[name=_relang]");
  if (link === null || button === null || button.form === null) return;
  event.preventDefault();
  button.form.requestSubmit(button);
});
