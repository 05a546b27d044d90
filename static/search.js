// Progressive enhancement for the search form, the results page and the profile's map.
// Everything here is optional: without JavaScript the forms, links and pages work as they are.
(function () {
  "use strict";
  var LAST_SEARCH = "provider-directory:last-search";
  var PHONE = window.matchMedia("(max-width: 48rem)");

  function remember(url) {
    try { sessionStorage.setItem(LAST_SEARCH, url); } catch (e) { /* storage off: no back link */ }
  }
  function recall() {
    try { return sessionStorage.getItem(LAST_SEARCH); } catch (e) { return null; }
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // text, never HTML
    return node;
  }

  // ---- "Near me": browser geolocation fills lat/lon instead of a typed place ----
  document.querySelectorAll("form[data-near-me]").forEach(function (form) {
    var button = form.querySelector(".near-me");
    var status = form.querySelector(".near-me-status");
    var place = form.elements.location;
    if (!place) return;
    // Typing a place replaces an earlier "near me" search.
    place.addEventListener("input", function () {
      form.elements.lat.disabled = true;
      form.elements.lon.disabled = true;
    });
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
          place.disabled = true;
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

  // ---- Profile: the way back to the search the visitor came from ----
  var back = document.querySelector("[data-back-to-results]");
  var lastSearch = recall();
  if (back && lastSearch) {
    back.href = lastSearch + "#provider-" + back.getAttribute("data-back-to-results");
    back.hidden = false;
  }

  // ---- Maps: numbered, keyboard-reachable markers, clustered when dense ----
  function resultMap(mapEl, data, onSelect) {
    var map = L.map(mapEl, { scrollWheelZoom: false });
    L.tileLayer(data.tiles, { maxZoom: 18, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
    var layer = L.markerClusterGroup
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 45, iconCreateFunction: clusterIcon })
      : L.layerGroup();
    layer.addTo(map);
    var here = null;
    var markers = {};
    var fitting = false;
    var opened = null; // the marker whose popup is open

    function clusterIcon(cluster) {
      var n = cluster.getChildCount();
      var box = el("div");
      box.appendChild(el("span", "", String(n))).setAttribute("aria-hidden", "true");
      box.appendChild(el("span", "visually-hidden", n + " providers close together: press Enter to zoom in"));
      var size = n < 10 ? "small" : n < 50 ? "medium" : "large";
      return L.divIcon({ html: box, className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40) });
    }

    function markerFor(p) {
      var label = (p.n ? p.n + ". " : "") + p.name;
      var html = el("span");
      html.appendChild(el("span", "", p.n ? String(p.n) : "•")).setAttribute("aria-hidden", "true");
      html.appendChild(el("span", "visually-hidden", label));
      var marker = L.marker([p.lat, p.lon], {
        icon: L.divIcon({ html: html, className: "result-marker", iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -12] }),
        keyboard: true,
        title: label,
        riseOnHover: true,
      });
      if (p.url) {
        var popup = el("div");
        var link = popup.appendChild(el("a", "", p.name));
        link.href = p.url;
        var facts = p.where + (p.reviews ? " · " + p.rating.toFixed(1) + " ★ (" + p.reviews + ")" : "");
        popup.appendChild(el("p", "", facts));
        if (document.getElementById("provider-" + p.id)) {
          var show = popup.appendChild(el("button", "link-button", "Show in the list"));
          show.type = "button";
          show.addEventListener("click", function () { onSelect(p.id, true); });
        }
        marker.bindPopup(popup);
        marker.on("keypress", function (e) {
          if (e.originalEvent.key === "Enter") setTimeout(function () { link.focus(); }, 0);
        });
      }
      marker.on("click keypress", function () { onSelect(p.id, false); });
      marker.on("popupopen", function () { opened = marker; });
      marker.on("popupclose", function () {
        if (opened === marker) opened = null;
        onSelect(null, false);
      });
      return marker;
    }

    function draw(next) {
      layer.clearLayers();
      markers = {};
      if (here) map.removeLayer(here);
      here = null;
      var bounds = [];
      (next.points || []).forEach(function (p) {
        markers[p.id] = markerFor(p);
        layer.addLayer(markers[p.id]);
        bounds.push([p.lat, p.lon]);
      });
      if (next.origin) {
        var dot = el("span", "visually-hidden", next.origin_label || "Search centre");
        here = L.marker([next.origin.lat, next.origin.lon], {
          icon: L.divIcon({ html: dot, className: "you-are-here", iconSize: [18, 18] }),
          keyboard: false, interactive: false, title: next.origin_label, zIndexOffset: -500,
        }).addTo(map);
      }
      fitting = true;
      if (bounds.length === 1) map.setView(bounds[0], next.zoom || 13);
      else if (bounds.length) map.fitBounds(bounds, { padding: [28, 28] });
      else if (next.origin) map.setView([next.origin.lat, next.origin.lon], 10);
      fitting = false;
    }

    function highlight(id) {
      Object.keys(markers).forEach(function (key) {
        var icon = markers[key].getElement();
        if (icon) icon.classList.toggle("active", key === id);
      });
    }

    // Escape closes a popup from anywhere in the map (Leaflet only listens while the map itself
    // has focus) and puts focus back on the marker that opened it.
    mapEl.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !opened) return;
      var marker = opened;
      map.closePopup();
      var icon = marker.getElement();
      if (icon) icon.focus();
    });

    draw(data);
    return { map: map, draw: draw, highlight: highlight, isFitting: function () { return fitting; } };
  }

  var mapEl = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  var pane = document.getElementById("results");
  var resultsMap = null;

  function selectCard(id, reveal) {
    document.querySelectorAll(".card.highlight").forEach(function (card) { card.classList.remove("highlight"); });
    if (resultsMap) resultsMap.highlight(id);
    var card = id && document.getElementById("provider-" + id);
    if (!card) return;
    card.classList.add("highlight");
    if (reveal) {
      if (pane) showView("list");
      card.scrollIntoView({ block: "center" });
      card.querySelector("a").focus({ preventScroll: true });
    }
  }

  if (mapEl && dataEl && window.L) {
    resultsMap = resultMap(mapEl, JSON.parse(dataEl.textContent), selectCard);
  }

  // "Search this area": after the visitor moves the map, offer a search of what is visible.
  var areaButton = document.getElementById("search-area");
  if (resultsMap && areaButton) {
    var moved = false;
    resultsMap.map.on("dragstart zoomstart", function () { if (!resultsMap.isFitting()) moved = true; });
    resultsMap.map.on("moveend", function () { if (moved) areaButton.hidden = false; });
    areaButton.addEventListener("click", function () {
      var b = resultsMap.map.getBounds();
      var params = new URLSearchParams(window.location.search);
      params.delete("page");
      params.delete("cursor");
      params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (x) { return x.toFixed(5); }).join(","));
      window.location.search = params.toString();
    });
  }

  if (!pane) return;

  // ---- Results: list or map on a phone ----
  function showView(view) {
    pane.setAttribute("data-view", view);
    pane.querySelectorAll(".view-toggle button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-view") === view));
    });
    if (view === "map" && resultsMap) {
      resultsMap.map.invalidateSize();
      resultsMap.draw(JSON.parse(document.getElementById("map-data").textContent));
    }
  }
  pane.querySelectorAll(".view-toggle button").forEach(function (button) {
    button.addEventListener("click", function () { showView(button.getAttribute("data-view")); });
  });
  pane.addEventListener("mouseover", function (e) {
    var card = e.target.closest(".card");
    if (card && resultsMap) resultsMap.highlight(card.getAttribute("data-provider"));
  });
  pane.addEventListener("focusin", function (e) {
    var card = e.target.closest(".card");
    if (card && resultsMap) resultsMap.highlight(card.getAttribute("data-provider"));
  });

  remember(window.location.pathname + window.location.search);

  // ---- Filters that apply as they change, without reloading the page ----
  // Focus stays where it is, the page does not scroll, and the new count is announced
  // (#count is a live region). Without fetch the form's own "Apply filters" button works.
  var form = document.getElementById("filters");
  var count = document.getElementById("count");
  var panel = document.getElementById("filters-panel");
  if (PHONE.matches && panel) panel.open = false; // on a phone the results come first
  if (!form || !window.fetch || !window.DOMParser) return;

  var FILTERS = ["treatment", "certification", "qualified", "min_rating", "min_reviews", "max_price", "open_now"];
  var timer = null;
  var inflight = null;

  function formUrl() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (String(value).trim() !== "") params.append(key, value); // keep shared URLs short
    });
    return window.location.pathname + "?" + params.toString();
  }

  function replaceRegion(doc, id) {
    var fresh = doc.getElementById(id);
    var old = document.getElementById(id);
    if (fresh && old) old.replaceWith(document.importNode(fresh, true));
  }

  function syncCounts(doc) {
    doc.querySelectorAll("#filters label.check").forEach(function (freshLabel) {
      var input = freshLabel.querySelector("input");
      var mine = form.querySelector('input[name="' + input.name + '"][value="' + CSS.escape(input.value) + '"]');
      if (!mine) return;
      var label = mine.closest("label");
      label.hidden = freshLabel.hidden;
      var n = label.querySelector(".n");
      var freshN = freshLabel.querySelector(".n");
      if (n && freshN) n.textContent = freshN.textContent;
    });
  }

  function apply(url) {
    if (inflight) inflight.abort();
    var controller = new AbortController();
    inflight = controller;
    pane.setAttribute("aria-busy", "true");
    return fetch(url, { signal: controller.signal, headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (!doc.getElementById("results")) { // an error page: show it whole
          window.location.assign(url);
          return;
        }
        ["chips-region", "list-region", "map-data"].forEach(function (id) { replaceRegion(doc, id); });
        syncCounts(doc);
        document.title = doc.title;
        var h1 = doc.querySelector("main h1");
        if (h1) document.querySelector("main h1").textContent = h1.textContent;
        pane.querySelector(".map-wrap").hidden = doc.querySelector("#results .map-wrap").hidden;
        count.textContent = doc.getElementById("count").textContent;
        if (resultsMap) resultsMap.draw(JSON.parse(document.getElementById("map-data").textContent));
        history.replaceState(null, "", url);
        remember(url);
        pane.removeAttribute("aria-busy");
        inflight = null;
      })
      .catch(function (error) {
        if (error.name !== "AbortError") window.location.assign(url);
      });
  }

  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { apply(formUrl()); }, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    apply(formUrl()).then(function () {
      if (PHONE.matches && panel) { // "Apply filters" on a phone: fold the panel, go to the results
        panel.open = false;
        count.focus();
      }
    });
  });

  // Chips: removing one unticks its control and updates; focus moves to the next chip.
  function chips() { return Array.prototype.slice.call(pane.querySelectorAll("#chips-region a")); }
  function clear(name, value) {
    form.querySelectorAll('[name="' + name + '"]').forEach(function (field) {
      if (field.type === "checkbox") { if (!value || field.value === value) field.checked = false; }
      else if (field.type === "radio") field.checked = field.value === "";
      else if (field.type === "hidden") field.remove();
      else field.value = "";
    });
  }
  pane.addEventListener("click", function (event) {
    var link = event.target.closest("#chips-region a");
    if (!link) return;
    event.preventDefault();
    var index = chips().indexOf(link);
    if (link.hasAttribute("data-clear-all")) FILTERS.forEach(function (name) { clear(name, ""); });
    else clear(link.getAttribute("data-param"), link.getAttribute("data-value"));
    clearTimeout(timer);
    apply(formUrl()).then(function () {
      var left = chips();
      (left[Math.min(index, left.length - 1)] || count).focus();
    });
  });
})();
