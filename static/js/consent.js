// Consent forms: "Select all topics" ticks the topic boxes only when the person clicks it (no
// box is ever ticked in advance). Without JavaScript the button stays hidden.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-select-all]").forEach(function (button) {
    var group = document.querySelector('[data-select-group="' + button.dataset.selectAll + '"]');
    if (!group) return;
    button.closest(".select-all").hidden = false;
    button.addEventListener("click", function () {
      group.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
        box.checked = true;
      });
    });
  });
});
