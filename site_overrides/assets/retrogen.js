// retrogen: filter a table's rows by select boxes. Reads data-* attributes and toggles `hidden`;
// it never writes HTML, so no review text can become markup here.
(function () {
  "use strict";
  function setUp(panel) {
    var table = document.getElementById(panel.getAttribute("data-filter-for"));
    if (!table) { return; }
    var selects = panel.querySelectorAll("select[data-filter]");
    var count = panel.querySelector(".rg-count");
    var rows = table.tBodies[0].rows;
    function apply() {
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i], keep = true;
        for (var j = 0; j < selects.length; j++) {
          var key = selects[j].getAttribute("data-filter"), want = selects[j].value;
          if (!want) { continue; }
          var have = row.getAttribute("data-" + key) || "";
          if (key === "tags" ? have.split("\n").indexOf(want) < 0 : have !== want) { keep = false; }
        }
        row.hidden = !keep;
        if (keep) { shown++; }
      }
      if (count) { count.textContent = shown + " / " + rows.length; }
    }
    for (var k = 0; k < selects.length; k++) { selects[k].addEventListener("change", apply); }
    apply();
  }
  function init() {
    var panels = document.querySelectorAll("[data-filter-for]");
    for (var i = 0; i < panels.length; i++) { setUp(panels[i]); }
  }
  // Material's instant loading swaps pages without a reload: document$ announces each new page.
  if (window.document$ && window.document$.subscribe) { window.document$.subscribe(init); }
  else { document.addEventListener("DOMContentLoaded", init); }
})();
