// Pipeline board (templates/candidates/board.html): drag-and-drop and keyboard moves, in place.
//
// Written by hand rather than with a drag-and-drop library: native HTML5 drag events cover the
// mouse, and the keyboard pattern (pick up, choose a column, drop) is ~100 lines that a library
// would not give us either. Without this script every move still works: the card's "Move to…"
// buttons and the bulk bar are plain form submissions.
//
// Moves POST `application`, `stage` and `from_stage` (the stage this board showed) and ask for
// JSON; the server refuses a move from a stale board (409) and says where the card really is.
(function () {
  "use strict";

  var form = document.querySelector("form[data-board]");
  if (!form) return;
  var live = document.getElementById("board-live");
  var columns = Array.prototype.slice.call(form.querySelectorAll(".board-column"));
  var grabbed = null; // the card picked up with the keyboard
  var target = null; // the column it would go to
  var dragged = null;

  function announce(text) {
    // Cleared first so the same sentence twice is read twice.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 30);
  }

  function flash(text, kind) {
    var box = document.getElementById("messages");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "flash flash-" + kind;
    p.setAttribute("role", kind === "error" ? "alert" : "status");
    p.textContent = text;
    box.replaceChildren(p);
  }

  function columnOf(stageId) {
    return form.querySelector('.board-column[data-stage="' + stageId + '"]');
  }

  function cardsOf(column) {
    return column.querySelector(".board-cards");
  }

  function stageName(column) {
    return column.getAttribute("data-stage-name");
  }

  function setCounts(counts) {
    columns.forEach(function (column) {
      var n = counts[column.getAttribute("data-stage")];
      if (n !== undefined) column.querySelector("[data-count]").textContent = n;
    });
  }

  function place(card, column) {
    card.setAttribute("data-stage", column.getAttribute("data-stage"));
    card.setAttribute("aria-label", card.getAttribute("data-name") + ", " + stageName(column));
    // The card's own "Move to…" buttons list every stage but the one it is in.
    card.querySelectorAll("[data-move-to]").forEach(function (button) {
      var to = button.getAttribute("data-move-to");
      button.hidden = to === column.getAttribute("data-stage");
      button.value = card.getAttribute("data-application") + ":" + to + ":" + column.getAttribute("data-stage");
    });
    var list = cardsOf(column);
    list.insertBefore(card, list.firstChild);
    card.classList.remove("moved");
    void card.offsetWidth; // restart the highlight animation
    card.classList.add("moved");
  }

  function move(card, column) {
    var from = card.getAttribute("data-stage");
    var to = column.getAttribute("data-stage");
    if (from === to) return Promise.resolve(false);
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    body.append("application", card.getAttribute("data-application"));
    body.append("stage", to);
    body.append("from_stage", from);
    card.setAttribute("aria-busy", "true");
    return fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (data) { return { response: response, data: data }; });
    }).then(function (result) {
      var data = result.data;
      card.removeAttribute("aria-busy");
      if (data.counts) setCounts(data.counts);
      if (result.response.ok && data.ok) {
        place(card, column);
        announce(data.message);
        return true;
      }
      // Stale board: show the card where it really is (or drop it if it was closed).
      if (data.stage === null) {
        card.remove();
      } else if (data.stage !== undefined && columnOf(data.stage)) {
        place(card, columnOf(data.stage));
      }
      flash(data.message, "error");
      announce(data.message);
      return false;
    }).catch(function () {
      card.removeAttribute("aria-busy");
      var text = "The move could not be saved. Check your connection and try again.";
      flash(text, "error");
      announce(text);
      return false;
    });
  }

  // --- Mouse: native drag and drop -----------------------------------------------------------
  form.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-application"));
  });
  form.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    columns.forEach(function (c) { c.classList.remove("drop-target"); });
  });
  columns.forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      column.classList.add("drop-target");
    });
    column.addEventListener("dragleave", function (event) {
      if (!column.contains(event.relatedTarget)) column.classList.remove("drop-target");
    });
    column.addEventListener("drop", function (event) {
      event.preventDefault();
      column.classList.remove("drop-target");
      if (dragged) move(dragged, column);
    });
  });

  // --- Keyboard: pick up, choose a column, drop ----------------------------------------------
  function highlight(column) {
    columns.forEach(function (c) { c.classList.toggle("drop-target", c === column); });
  }

  function cancel(silent) {
    if (!grabbed) return;
    grabbed.classList.remove("grabbed");
    grabbed = null;
    target = null;
    highlight(null);
    if (!silent) announce("Move cancelled.");
  }

  form.addEventListener("keydown", function (event) {
    var card = event.target;
    if (!(card instanceof HTMLElement) || !card.classList.contains("board-card")) return;
    var key = event.key;
    if (!grabbed && (key === " " || key === "Enter")) {
      event.preventDefault();
      grabbed = card;
      target = columnOf(card.getAttribute("data-stage"));
      card.classList.add("grabbed");
      highlight(target);
      announce(card.getAttribute("data-name") + " picked up, in " + stageName(target) +
        ". Use the left and right arrow keys to choose a stage, Enter to drop, Escape to cancel.");
      return;
    }
    if (grabbed === card && (key === "ArrowRight" || key === "ArrowLeft")) {
      event.preventDefault();
      var index = columns.indexOf(target) + (key === "ArrowRight" ? 1 : -1);
      if (index < 0 || index >= columns.length) return;
      target = columns[index];
      highlight(target);
      announce(stageName(target) + ", " + target.querySelector("[data-count]").textContent + " candidates.");
      return;
    }
    if (grabbed === card && (key === "Enter" || key === " ")) {
      event.preventDefault();
      var to = target;
      cancel(true);
      move(card, to).then(function () { card.focus(); });
      return;
    }
    if (grabbed === card && key === "Escape") {
      event.preventDefault();
      cancel(false);
      return;
    }
    if (!grabbed && (key === "ArrowDown" || key === "ArrowUp")) {
      var sibling = key === "ArrowDown" ? card.nextElementSibling : card.previousElementSibling;
      if (sibling) { event.preventDefault(); sibling.focus(); }
    }
  });
  form.addEventListener("focusout", function (event) {
    if (grabbed && event.target === grabbed && !grabbed.contains(event.relatedTarget)) cancel(false);
  });

  // --- "Move to…" buttons and the bulk bar -----------------------------------------------------
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-move-to]");
    if (!button) return;
    event.preventDefault();
    var card = button.closest(".board-card");
    var menu = button.closest("details");
    if (menu) menu.open = false;
    move(card, columnOf(button.getAttribute("data-move-to"))).then(function () { card.focus(); });
  });

  function updateSelected() {
    var n = form.querySelectorAll("input[name=application_ids]:checked").length;
    var label = document.getElementById("board-selected");
    label.textContent = n ? n + (n === 1 ? " card selected" : " cards selected") : label.getAttribute("data-empty");
  }
  var selectedLabel = document.getElementById("board-selected");
  selectedLabel.setAttribute("data-empty", selectedLabel.textContent);
  form.addEventListener("change", function (event) {
    if (event.target.name === "application_ids") updateSelected();
  });
})();
