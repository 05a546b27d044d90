// Counts clicks on a profile's contact links for the clinic's dashboard (a beacon; the links
// work the same without it). The beacon URL and the CSRF token come from data attributes.
(function () {
  "use strict";
  var source = document.querySelector("[data-contact-beacon]");
  if (!source || !navigator.sendBeacon) return;
  document.querySelectorAll(".contact-actions a").forEach(function (link) {
    link.addEventListener("click", function () {
      var data = new FormData();
      data.append("csrf_token", source.dataset.csrf);
      navigator.sendBeacon(source.dataset.contactBeacon, data);
    });
  });
})();
