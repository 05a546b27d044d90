// Progressive enhancement for the search, results and profile pages.
// Everything here is optional: without JavaScript the forms and links work as they are.
(function () {
  "use strict";

  // "Near me": browser geolocation fills lat/lon instead of a typed place.
  document.querySelectorAll("form[data-near-me]").forEach(function (form) {
    var button = form.querySelector(".near-me");
    var status = form.querySelector(".near-me-status");
    if (!button || !("geolocation" in navigator)) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          form.elements.lat.value = pos.coords.latitude.toFixed(5);
          form.elements.lon.value = pos.coords.longitude.toFixed(5);
          form.elements.lat.disabled = false;
          form.elements.lon.disabled = false;
          form.elements.location.disabled = true;
          form.submit();
        },
        function () {
          status.textContent = "We could not get your location (permission denied or unavailable). " +
            "Type a city or ZIP code instead.";
        },
        { timeout: 10000, maximumAge: 600000 }
      );
    });
  });

  // On a phone the results come first: filters start folded away.
  var filters = document.querySelector("details.filters-wrap");
  if (filters && window.matchMedia("(max-width: 48rem)").matches) filters.open = false;

  // Filters apply as soon as they change; the "Apply filters" button stays for no-JS use.
  document.querySelectorAll("[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () {
      var form = input.form;
      form.querySelectorAll("input, select").forEach(function (el) {
        if (!el.value) el.disabled = true; // keep shared URLs short
      });
      form.submit();
    });
  });

  // Map of results (or of one provider): markers work even when tiles cannot load.
  var mapEl = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  if (!mapEl || !dataEl || !window.L) return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(mapEl, { scrollWheelZoom: false });
  L.tileLayer(data.tiles, {
    maxZoom: 18,
    attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);
  var bounds = [];
  data.points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: 8, weight: 2, color: "#0b5c8a", fillColor: "#2a8fd1", fillOpacity: 0.85,
      className: "result-marker",
    }).addTo(map);
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.textContent = p.name; // text, never HTML
    link.href = p.url ? "#provider-" + p.id : "#";
    popup.appendChild(link);
    marker.bindPopup(popup);
    marker.on("click", function () {
      var card = document.getElementById("provider-" + p.id);
      if (card) card.classList.add("highlight");
    });
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length === 1) map.setView(bounds[0], data.zoom || 13);
  else if (bounds.length) map.fitBounds(bounds, { padding: [24, 24] });

  // "Search this area": after the user moves the map, offer a bbox search of what is visible.
  var areaButton = document.getElementById("search-area");
  if (!areaButton) return;
  var userMoved = false;
  map.on("dragstart zoomstart", function () { userMoved = true; });
  map.on("moveend", function () { if (userMoved) areaButton.hidden = false; });
  areaButton.addEventListener("click", function () {
    var b = map.getBounds();
    var params = new URLSearchParams(window.location.search);
    ["cursor", "page"].forEach(function (k) { params.delete(k); });
    params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (x) { return x.toFixed(5); }).join(","));
    window.location.search = params.toString();
  });
})();
