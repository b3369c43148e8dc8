// Candidate list (templates/candidates/list.html): the filter panel toggle, "select all on the
// page" and "select all N matching" (which sets the bulk form's scope; the server resolves
// "all" from the filters itself), and forms that save the current URL's filters.
(function () {
  "use strict";

  var toggle = document.getElementById("filters-toggle");
  var panel = document.getElementById("filter-panel");
  if (toggle && panel) {
    toggle.addEventListener("click", function () {
      var open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var first = panel.querySelector("input, select");
        if (first) first.focus();
      }
    });
  }

  function bulkForm() { return document.getElementById("bulk-form"); }

  function setScope(scope) {
    var form = bulkForm();
    var select = form.querySelector("select[name=scope]");
    select.value = scope;
    var banner = document.getElementById("select-all-banner");
    banner.querySelector('[data-when="page"]').hidden = scope === "all";
    banner.querySelector('[data-when="all"]').hidden = scope !== "all";
  }

  function refreshBanner() {
    var form = bulkForm();
    if (!form) return;
    var boxes = form.querySelectorAll("input[name=candidate_ids]");
    var ticked = form.querySelectorAll("input[name=candidate_ids]:checked").length;
    var all = boxes.length > 0 && ticked === boxes.length;
    var pageBox = document.getElementById("select-page");
    if (pageBox) {
      pageBox.checked = all;
      pageBox.indeterminate = ticked > 0 && !all;
    }
    var total = parseInt(form.getAttribute("data-total"), 10) || 0;
    var banner = document.getElementById("select-all-banner");
    banner.hidden = !(all && total > boxes.length);
    if (!all) setScope("selected");
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-page") {
      bulkForm().querySelectorAll("input[name=candidate_ids]").forEach(function (box) { box.checked = target.checked; });
      refreshBanner();
    } else if (target.name === "candidate_ids") {
      refreshBanner();
    } else if (target.name === "scope" && target.form === bulkForm()) {
      var banner = document.getElementById("select-all-banner");
      if (!banner.hidden || target.value === "all") {
        banner.hidden = target.value !== "all" && banner.hidden;
        setScope(target.value);
      }
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-select-all]")) {
      setScope("all");
    } else if (event.target.closest("[data-clear-selection]")) {
      bulkForm().querySelectorAll("input[name=candidate_ids]").forEach(function (box) { box.checked = false; });
      setScope("selected");
      refreshBanner();
    }
  });

  // htmx updated the rows and the address bar: forms that keep "the current view" follow it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var query = window.location.search.replace(/^\?/, "");
    var view = form.querySelector("#view-query");
    if (view) view.value = query.split("&").filter(function (p) { return p && p.indexOf("page=") !== 0; }).join("&");
    var next = form.querySelector("input[name=next]");
    if (next && form.id !== "bulk-form") next.value = window.location.pathname + window.location.search;
  }, true);
})();

// "Save the current filters as a view…" in the views menu opens the save form below the list.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest('a[href="#save-view"]');
  if (!link) return;
  var box = document.getElementById("save-view");
  if (!box) return;
  event.preventDefault();
  box.open = true;
  var menu = link.closest("details");
  if (menu) menu.open = false;
  box.scrollIntoView({ block: "center" });
  var name = document.getElementById("view-name");
  if (name) name.focus();
});
