// The listing form's opening hours: "Closed" hides a day's time pickers, "Add another range"
// reveals (or adds) a range, "Remove" clears one. Without JavaScript every picker shows, with one
// empty range per day to fill in.
(function () {
  "use strict";
  document.querySelectorAll(".hours-editor fieldset.day").forEach(function (day) {
    var closed = day.querySelector("input[type=checkbox]");
    var list = day.querySelector(".ranges");
    var add = day.querySelector(".add-range");

    function ranges() { return Array.prototype.slice.call(list.querySelectorAll(".range")); }
    function empty(range) {
      return Array.prototype.every.call(range.querySelectorAll("input"), function (i) { return !i.value; });
    }
    function refresh() {
      list.hidden = closed.checked;
      add.hidden = closed.checked;
      var shown = ranges().filter(function (r) { return !r.hidden; });
      shown.forEach(function (r) { r.querySelector(".remove-range").hidden = shown.length < 2; });
    }
    function newRange() {
      var last = ranges()[ranges().length - 1];
      var copy = last.cloneNode(true);
      var index = ranges().length;
      copy.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/\.\d+\.(open|close)$/, "." + index + ".$1");
        input.value = "";
      });
      copy.querySelectorAll(".visually-hidden").forEach(function (hint) {
        hint.textContent = hint.textContent.replace(/ \(range \d+\)|$/, " (range " + (index + 1) + ")");
      });
      list.appendChild(copy);
      return copy;
    }

    // Show filled ranges, and one empty range only when the day has none.
    ranges().forEach(function (range, i) { range.hidden = i > 0 && empty(range); });
    closed.addEventListener("change", function () {
      refresh();
      if (!closed.checked) ranges()[0].querySelector("input").focus();
    });
    add.addEventListener("click", function () {
      var next = ranges().filter(function (r) { return r.hidden; })[0] || newRange();
      next.hidden = false;
      refresh();
      next.querySelector("input").focus();
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest(".remove-range");
      if (!button) return;
      var range = button.closest(".range");
      range.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      range.hidden = true;
      refresh();
      add.focus();
    });
    refresh();
  });
})();
