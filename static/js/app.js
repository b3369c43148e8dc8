// htmx: show the server's error page text instead of failing silently.
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("messages");
  if (!box) return;
  var p = document.createElement("p");
  p.className = "flash flash-error";
  p.setAttribute("role", "alert");
  p.textContent = "The request failed (" + event.detail.xhr.status + "). Please try again.";
  box.appendChild(p);
});

// The Content-Security-Policy runs no inline handlers: behaviour is declared with data-*
// attributes and wired here.

// <select data-autosubmit>: submit its form as soon as the choice changes.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (!(field instanceof HTMLElement) || !field.hasAttribute("data-autosubmit") || !field.form) return;
  field.form.requestSubmit();
});

// <form data-confirm="Question?">: ask before submitting.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
}, true);

// Candidate filters: keep shareable filter URLs short by dropping empty filters before htmx
// builds the request.
document.addEventListener("htmx:configRequest", function (event) {
  var data = event.detail.formData;
  if (!data || !event.detail.elt.closest(".criteria-form")) return;
  Array.from(new Set(data.keys())).forEach(function (key) {
    if (data.getAll(key).every(function (v) { return v === ""; })) data.delete(key);
  });
});
