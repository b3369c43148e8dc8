// Typeahead for text inputs marked data-typeahead="<suggest URL>" (WAI-ARIA combobox with a
// listbox popup). data-typeahead-multi: the input holds comma-separated names and suggestions
// complete the last one. Up/Down choose, Enter or Tab take the suggestion, Escape closes.
(function () {
  "use strict";

  var counter = 0;

  function lastTerm(input, multi) {
    var value = input.value;
    return (multi ? value.split(",").pop() : value).trim();
  }

  function attach(input) {
    if (input.hasAttribute("data-typeahead-ready")) return;
    input.setAttribute("data-typeahead-ready", "1");
    var multi = input.hasAttribute("data-typeahead-multi");
    var url = input.getAttribute("data-typeahead");
    var list = document.createElement("ul");
    var id = "typeahead-" + (++counter);
    list.id = id;
    list.className = "typeahead-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", (input.labels && input.labels[0] ? input.labels[0].textContent : "") + " suggestions");
    list.hidden = true;
    input.parentNode.classList.add("typeahead");
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    var active = -1;
    var timer = null;
    var asked = "";

    function close() {
      list.hidden = true;
      list.replaceChildren();
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function choose(text) {
      if (multi) {
        var parts = input.value.split(",");
        parts.pop();
        parts = parts.map(function (p) { return p.trim(); }).filter(Boolean);
        parts.push(text);
        input.value = parts.join(", ") + ", ";
      } else {
        input.value = text;
      }
      close();
      input.focus();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function mark(index) {
      var items = list.children;
      active = index;
      for (var i = 0; i < items.length; i++) items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
      else input.removeAttribute("aria-activedescendant");
    }

    function show(results) {
      list.replaceChildren();
      results.forEach(function (text, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = text;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(text); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    function ask() {
      var term = lastTerm(input, multi);
      if (term === asked) return;
      asked = term;
      if (!term) { close(); return; }
      fetch(url + "&q=" + encodeURIComponent(term), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (lastTerm(input, multi) === term) show(data.results || []); })
        .catch(close);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      var count = list.children.length;
      if (event.key === "ArrowDown" && count) { event.preventDefault(); mark((active + 1) % count); }
      else if (event.key === "ArrowUp" && count) { event.preventDefault(); mark((active - 1 + count) % count); }
      else if ((event.key === "Enter" || event.key === "Tab") && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(list.children[active].textContent);
      } else if (event.key === "Escape" && !list.hidden) { event.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); asked = ""; });
  }

  function scan(root) {
    (root || document).querySelectorAll("input[data-typeahead]").forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scan(event.target); });
})();
