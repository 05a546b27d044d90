// Site-wide progressive enhancement; every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");

  // Error summaries (the GOV.UK pattern): the summary takes focus when the page opens, so screen
  // readers announce it, and each of its links moves focus to the field it names.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#'], a[data-focus][href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    var field = target.matches("input, select, textarea, button")
      ? target // a group (a day's hours, the treatments): its first field in error, else its first field
      : target.querySelector("[aria-invalid=true]") || target.querySelector("input:not([type=hidden]), select, textarea");
    if (!field) return;
    event.preventDefault();
    // Show the question with its field: the legend of a group, else the field's own label.
    var group = field.closest("fieldset");
    var label = (group && group.querySelector("legend")) || (field.labels && field.labels[0]) || field;
    label.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
})();
