// Network view (issue 15, item 10). With JavaScript, the money flows are drawn by Cytoscape.js
// (vendored, served by Palermo; no CDN): zoom, pan, a force-directed layout that keeps labels
// apart (node sizes include their labels), labels hidden when zoomed too far out to read.
// Without JavaScript, or if the library fails, the server-drawn SVG stays, and the table of
// accounts below lists the same network for keyboard and screen-reader users.
// No inline script or style: the Content-Security-Policy allows only 'self'.
(function () {
  "use strict";
  var COLOURS = { collector: "#b3261e", pass_through: "#c46a00", facilitator: "#6a3d9a", beneficial_owner: "#111111" };

  function select(node) {
    document.querySelectorAll(".network .selected, .accounts .selected").forEach(function (el) {
      el.classList.remove("selected");
    });
    if (!node) { return; }
    document.querySelectorAll('[data-node="' + node + '"]').forEach(function (el) { el.classList.add("selected"); });
    document.querySelectorAll('.network .edge[data-from="' + node + '"], .network .edge[data-to="' + node + '"]')
      .forEach(function (el) { el.classList.add("selected"); });
  }

  // The server-drawn SVG (no-JS fallback and the evidence pack's drawing).
  document.addEventListener("click", function (event) {
    var a = event.target.closest && event.target.closest(".network a.node");
    if (a) { select(a.getAttribute("data-node")); }
  });
  window.addEventListener("hashchange", function () {
    var row = document.querySelector(window.location.hash + "[data-node]");
    if (row) { select(row.getAttribute("data-node")); }
  });

  function interactive() {
    var dataEl = document.getElementById("network-data");
    var box = document.getElementById("network-canvas");
    if (!dataEl || !box || typeof window.cytoscape !== "function") { return; }
    var data = JSON.parse(dataEl.textContent);
    var tools = document.getElementById("network-tools");
    var said = document.getElementById("network-selected");
    var fallback = document.getElementById("network-fallback");
    box.hidden = false;
    var elements = data.nodes.map(function (n) {
      return { group: "nodes", data: n, classes: (n.hub ? "hub key" : (n.role ? "key" : "")) };
    }).concat(data.edges.map(function (e) { return { group: "edges", data: e }; }));
    var cy;
    try {
      cy = window.cytoscape({
        container: box,
        elements: elements,
        minZoom: 0.05,
        maxZoom: 6,
        style: [
          { selector: "node", style: {
            "background-color": function (n) { return COLOURS[n.data("role")] || "#1f6fb2"; },
            "width": 16, "height": 16,
            "label": "data(label)", "font-size": 13, "color": "#1a1a1a",
            "text-valign": "top", "text-margin-y": -4,
            "text-background-color": "#ffffff", "text-background-opacity": 0.9, "text-background-padding": 2,
            "text-events": "no"
          } },
          { selector: "node.key", style: { "font-weight": "bold" } },
          { selector: "node.nolabel", style: { "label": "" } },
          { selector: "node.hub", style: { "width": 26, "height": 26, "border-width": 3, "border-color": "#f9a825" } },
          { selector: "node:selected", style: { "border-width": 5, "border-color": "#000000", "font-weight": "bold", "z-index": 10 } },
          { selector: "edge", style: {
            "width": "data(width)", "line-color": "#8a96a3", "target-arrow-color": "#8a96a3",
            "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.9
          } },
          { selector: "edge.near", style: { "line-color": "#b3261e", "target-arrow-color": "#b3261e", "z-index": 9 } },
          { selector: ".faded", style: { "opacity": 0.2 } }
        ],
        layout: {
          name: "cose", animate: false, nodeDimensionsIncludeLabels: true, randomize: true,
          nodeRepulsion: function () { return 400000; }, idealEdgeLength: function () { return 90; },
          nodeOverlap: 40, componentSpacing: 80, padding: 30,
          // cose costs about n² per iteration: fewer on a big graph, so the page stays responsive.
          numIter: data.nodes.length > 300 ? 150 : (data.nodes.length > 120 ? 400 : 1000)
        }
      });
    } catch (err) {
      box.hidden = true;  // keep the server-drawn SVG
      return;
    }
    if (fallback) { fallback.hidden = true; }
    // Labels: always the same readable size on screen, and never on top of one another. After
    // every zoom or pan, labels are placed greedily, hubs first, then accounts with a role, then
    // the busiest; a label that would overlap one already placed is left out until zooming in
    // makes room for it (the account still names itself when selected).
    var FONT = 13;
    var ranked = cy.nodes().sort(function (a, b) {
      function rank(n) { return (n.data("hub") ? 2000 : 0) + (n.data("role") ? 1000 : 0) + n.degree(); }
      return rank(b) - rank(a);
    });
    function placeLabels() {
      var z = cy.zoom();
      var w = cy.width(), h = cy.height();
      var placed = [];
      cy.batch(function () {
        cy.nodes().style("font-size", FONT / z);
        var order = ranked.filter(":selected").toArray().concat(ranked.filter(":unselected").toArray());
        order.forEach(function (n) {
          var p = n.renderedPosition();
          var lw = String(n.data("label")).length * FONT * 0.62 + 6;
          var lh = FONT * 1.4;
          var r = n.renderedOuterWidth() / 2;
          var box = { x1: p.x - lw / 2, x2: p.x + lw / 2, y1: p.y - r - lh - 4, y2: p.y - r };
          var inView = box.x2 > 0 && box.x1 < w && box.y2 > 0 && box.y1 < h;
          var free = n.selected() || (inView && placed.every(function (o) {
            return box.x2 < o.x1 || box.x1 > o.x2 || box.y2 < o.y1 || box.y1 > o.y2;
          }));
          if (free) { placed.push(box); n.removeClass("nolabel"); } else { n.addClass("nolabel"); }
        });
      });
    }
    var pending = false;
    cy.on("viewport select unselect", function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; placeLabels(); });
    });
    placeLabels();
    if (tools) { tools.hidden = false; }
    if (said) { said.hidden = false; said.textContent = said.getAttribute("data-none"); }

    function show(node) {
      cy.elements().removeClass("faded near");
      cy.nodes().unselect();
      if (!node) { select(null); if (said) { said.textContent = said.getAttribute("data-none"); } return; }
      node.select();
      var around = node.closedNeighborhood();
      cy.elements().difference(around).addClass("faded");
      node.connectedEdges().addClass("near");
      select(node.id());
      if (said) {
        said.textContent = node.data("title") + " ";
        var link = document.createElement("a");
        link.href = "#acct-" + node.id().slice(1);
        link.textContent = said.getAttribute("data-flows");
        said.appendChild(link);
      }
    }
    cy.on("tap", "node", function (evt) { show(evt.target); });
    cy.on("tap", function (evt) { if (evt.target === cy) { show(null); } });

    function zoomBy(factor) {
      cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    }
    if (tools) {
      tools.addEventListener("click", function (event) {
        var b = event.target.closest && event.target.closest("[data-zoom]");
        if (!b) { return; }
        var how = b.getAttribute("data-zoom");
        if (how === "in") { zoomBy(1.25); } else if (how === "out") { zoomBy(0.8); } else { cy.fit(undefined, 30); }
      });
    }
    var order = cy.nodes().sort(function (a, b) { return Number(a.id().slice(1)) - Number(b.id().slice(1)); });
    var at = -1;
    box.addEventListener("keydown", function (event) {
      var k = event.key;
      var step = 60;
      if (k === "ArrowLeft") { cy.panBy({ x: step, y: 0 }); }
      else if (k === "ArrowRight") { cy.panBy({ x: -step, y: 0 }); }
      else if (k === "ArrowUp") { cy.panBy({ x: 0, y: step }); }
      else if (k === "ArrowDown") { cy.panBy({ x: 0, y: -step }); }
      else if (k === "+" || k === "=") { zoomBy(1.25); }
      else if (k === "-" || k === "_") { zoomBy(0.8); }
      else if (k === "0") { cy.fit(undefined, 30); }
      else if (k === "n" || k === "N" || k === "p" || k === "P") {
        if (!order.length) { return; }
        at = (k === "n" || k === "N") ? (at + 1) % order.length : (at - 1 + order.length) % order.length;
        var node = order[at];
        show(node);
        cy.animate({ center: { eles: node } }, { duration: 0 });
      } else if (k === "Escape") { show(null); }
      else { return; }
      event.preventDefault();
    });
    window.addEventListener("hashchange", function () {
      var row = document.querySelector(window.location.hash + "[data-node]");
      if (row) { var n = cy.getElementById(row.getAttribute("data-node")); if (n.nonempty()) { show(n); } }
    });
  }

  // After the page has loaded: the layout takes a moment on a big graph.
  if (document.readyState === "complete") {
    window.setTimeout(interactive, 0);
  } else {
    window.addEventListener("load", function () { window.setTimeout(interactive, 0); });
  }
})();
