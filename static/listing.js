// The listing form's map: the pin shows where search will place the clinic; dragging it
// overrides the geocoded point (pin_moved=1) and is saved with the form.
(function () {
  "use strict";
  var el = document.getElementById("pin-map");
  if (!el || !window.L) return;
  var form = el.closest("form");
  var lat = form.elements["location.lat"], lon = form.elements["location.lon"], moved = form.elements.pin_moved;
  var start = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : [39.5, -98.35];
  var map = L.map(el).setView(start, lat.value ? 15 : 4);
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
  var pin = L.marker(start, { draggable: true, keyboard: true, title: "Clinic location (drag to correct)" }).addTo(map);
  pin.on("dragend", function () {
    var p = pin.getLatLng();
    lat.value = p.lat.toFixed(6);
    lon.value = p.lng.toFixed(6);
    moved.value = "1";
  });
})();
