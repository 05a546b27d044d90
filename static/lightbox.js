// Before/after photos open in a dialog with their caption, instead of the bare image file.
// Arrow keys or the buttons move between photos; Escape, the Close button or a click outside
// closes it, and focus returns to the photo that opened it. Without JavaScript the links open
// the full-size image.
(function () {
  "use strict";
  var grid = document.querySelector("[data-lightbox]");
  if (!grid || typeof HTMLDialogElement !== "function") return;
  var links = Array.prototype.slice.call(grid.querySelectorAll("a"));
  var current = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  function button(text, onClick) {
    var b = el("button", "", text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  var dialog = el("dialog", "lightbox");
  dialog.setAttribute("aria-labelledby", "lightbox-caption");
  var figure = dialog.appendChild(el("figure"));
  var image = figure.appendChild(el("img"));
  var caption = figure.appendChild(el("figcaption"));
  caption.id = "lightbox-caption";
  var controls = dialog.appendChild(el("div", "controls"));
  var previous = controls.appendChild(button("← Previous", function () { show(current - 1); }));
  var close = controls.appendChild(button("Close", function () { dialog.close(); }));
  var next = controls.appendChild(button("Next →", function () { show(current + 1); }));
  previous.hidden = next.hidden = links.length < 2;
  document.body.appendChild(dialog);

  function show(index) {
    current = (index + links.length) % links.length;
    var link = links[current];
    image.src = link.href;
    image.alt = link.querySelector("img").alt;
    var text = link.getAttribute("data-caption") || "Before and after photo";
    caption.textContent = links.length > 1 ? text + " (" + (current + 1) + " of " + links.length + ")" : text;
  }

  links.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      show(index);
      dialog.showModal();
      (links.length > 1 ? next : close).focus();
    });
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") show(current + 1);
    else if (event.key === "ArrowLeft") show(current - 1);
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
  dialog.addEventListener("close", function () { links[current].focus(); });
})();
