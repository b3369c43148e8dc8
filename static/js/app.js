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
