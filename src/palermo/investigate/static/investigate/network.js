// Network view: selecting an account highlights its payments in the graph and its row in the table.
// Plain script (no library, nothing from the network); the Content-Security-Policy allows only 'self'.
(function () {
  function select(node) {
    document.querySelectorAll(".network .selected, .accounts .selected").forEach(function (el) {
      el.classList.remove("selected");
    });
    if (!node) { return; }
    document.querySelectorAll('[data-node="' + node + '"]').forEach(function (el) { el.classList.add("selected"); });
    document.querySelectorAll('.network .edge[data-from="' + node + '"], .network .edge[data-to="' + node + '"]')
      .forEach(function (el) { el.classList.add("selected"); });
  }
  document.addEventListener("click", function (event) {
    var a = event.target.closest && event.target.closest(".network a.node");
    if (a) { select(a.getAttribute("data-node")); }
  });
  window.addEventListener("hashchange", function () {
    var row = document.querySelector(window.location.hash + "[data-node]");
    if (row) { select(row.getAttribute("data-node")); }
  });
})();
