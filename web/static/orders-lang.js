// Switching language on a form page keeps what was typed (orders/new.html, orders/fire.html, a
// product's form, stock received or adjusted; a form that came back refused too): the header's language
// link sends the form to be drawn again in the other language, through the form's own language button
// (which works without this script), instead of leaving the page.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("header a.lang") : null;
  const button = document.querySelector("main form button[name=_relang]");
  if (link === null || button === null || button.form === null) return;
  event.preventDefault();
  button.form.requestSubmit(button);
});
