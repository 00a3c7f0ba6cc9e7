// retrogen: filters and sortable columns for the list pages, and every section open when a page is printed.
// It reads data-* attributes, toggles `hidden` and moves rows; it never writes HTML, so no review text can
// become markup here. The filters and the sort live in the address (?team=…&tag=…&sort=-due): a filtered
// view can be shared, and it survives a reload.
(function () {
  "use strict";

  function query() { return new URLSearchParams(window.location.search); }

  // The address without a reload: replaceState keeps Material's own history state.
  function remember(updates) {
    const params = query();
    for (const [key, value] of Object.entries(updates)) {
      if (value) { params.set(key, value); } else { params.delete(key); }
    }
    const search = params.toString();
    window.history.replaceState(window.history.state, "",
      window.location.pathname + (search ? "?" + search : "") + window.location.hash);
  }

  function rowsOf(body) {
    return Array.from(body.rows).filter((row) => !row.classList.contains("rg-group"));
  }

  // A ratio as numbers.percent writes it: one decimal, dropped when zero; empty without a denominator.
  function percent(part, whole) {
    if (!whole) { return ""; }
    return (part / whole * 100).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 })
      .replace(/\.0$/, "") + "%";
  }

  // The figures of actions.action_summary, over the given action rows.
  function figures(rows) {
    const state = (name) => rows.filter((row) => row.getAttribute("data-state") === name).length;
    const verdict = (name) => rows.filter((row) => row.getAttribute("data-verification") === name).length;
    const done = state("done"), cancelled = state("cancelled"), carried = state("carried");
    const onTime = rows.filter((row) => row.getAttribute("data-on_time")).length;
    // Decided as engine/loop.DECIDED counts it: a target met without the action done is decided, not achieved.
    const achieved = verdict("achieved"), decided = achieved + verdict("missed") + verdict("met_without_action");
    return {
      actions: rows.length, open: state("open") + state("overdue"), overdue: state("overdue"), done: done,
      cancelled: cancelled, carried: carried, completion_rate: percent(done, rows.length - cancelled - carried),
      on_time_rate: percent(onTime, done), verified: decided, achieved: achieved,
      verification_rate: percent(achieved, decided),
    };
  }

  // The tiles and the per-team and per-owner tables, recounted from the action rows the filters kept.
  function recount(counted) {
    if (!counted.length) { return; }
    const kept = counted.flatMap((table) => Array.from(table.tBodies).flatMap(rowsOf))
      .filter((row) => !row.hidden);
    const write = (scope, values) => {
      for (const cell of scope.querySelectorAll("[data-stat]")) {
        const value = values[cell.getAttribute("data-stat")];
        if (value !== undefined) { cell.textContent = String(value); }
      }
    };
    // A tile without a figure (no action done, none decided) says so with a dash rather than standing blank.
    for (const table of counted) {
      const figure = document.querySelector("[data-weekly-for='" + CSS.escape(table.id) + "']");
      if (figure) { redrawWeekly(figure, kept); }
    }
    const tiles = Object.fromEntries(Object.entries(figures(kept)).map(([k, v]) => [k, v === "" ? "—" : v]));
    for (const tile of document.querySelectorAll(".rg-cards")) { write(tile, tiles); }
    for (const table of document.querySelectorAll("table[data-summary-by]")) {
      const key = "data-" + table.getAttribute("data-summary-by");
      // The workload's columns: overdue actions by how many days late ("overdue_1_7:1:7 … overdue_over_30:31:").
      const ages = (table.getAttribute("data-ages") || "").split(" ").filter(Boolean).map((age) => age.split(":"));
      for (const row of Array.from(table.tBodies).flatMap((body) => Array.from(body.rows))) {
        const mine = kept.filter((action) => action.getAttribute(key) === row.getAttribute(key));
        const values = figures(mine);
        for (const [name, first, last] of ages) {
          values[name] = mine.filter((action) => {
            const late = Number(action.getAttribute("data-days_late"));
            return action.getAttribute("data-state") === "overdue" && late >= Number(first) &&
              (last === "" || late <= Number(last));
          }).length;
        }
        row.hidden = mine.length === 0 || (table.hasAttribute("data-active-only") && values.open === 0);
        write(row, values);
      }
    }
  }

  // Ticks as charts.nice_ticks draws them: about five, spaced 1, 2 or 5 × 10^n, never below 1 for counts.
  function niceTicks(high) {
    let top = high, raw = top / 4;
    if (!(raw > 0)) { top = 1; raw = 0.25; }
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    let step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9));
    if (top >= 1) { step = Math.max(step, 1); }
    const ticks = [];
    for (let i = 0; i <= Math.round(Math.ceil(top / step)); i++) { ticks.push(i * step); }
    return ticks;
  }

  // What a chart needs to be redrawn, read once from the SVG the build drew: each series' dots (their x),
  // the grid lines and tick labels of the y axis, and where the axis runs.
  const drawn = new WeakMap();
  function layout(svg) {
    if (!drawn.has(svg)) {
      const grid = Array.from(svg.querySelectorAll("line.rg-grid"));
      const ticks = Array.from(svg.querySelectorAll("text.rg-tick"));
      const ys = grid.map((line) => Number(line.getAttribute("y1")));
      drawn.set(svg, {
        grid: grid, ticks: ticks, bottom: Math.max(...ys), top: Math.min(...ys),
        lift: ticks.length ? Number(ticks[0].getAttribute("y")) - ys[0] : 0,
      });
    }
    return drawn.get(svg);
  }

  function redraw(svg, series) {
    const axis = layout(svg);
    if (!axis.grid.length || !axis.ticks.length) { return; }
    const ticks = niceTicks(Math.max(0, ...series.flat()));
    const y = (value) => axis.bottom + (axis.top - axis.bottom) * value / ticks[ticks.length - 1];
    // As many grid lines and tick labels as ticks: copies of the build's own, the extra ones hidden.
    while (axis.grid.length < ticks.length) {
      axis.grid.push(axis.grid[0].parentNode.insertBefore(axis.grid[0].cloneNode(true), axis.grid[0]));
      axis.ticks.push(axis.ticks[0].parentNode.insertBefore(axis.ticks[0].cloneNode(true), axis.ticks[0]));
    }
    axis.grid.forEach((line, i) => {
      line.style.display = i < ticks.length ? "" : "none";
      if (i < ticks.length) { line.setAttribute("y1", y(ticks[i]).toFixed(1)); line.setAttribute("y2", y(ticks[i]).toFixed(1)); }
    });
    axis.ticks.forEach((label, i) => {
      label.style.display = i < ticks.length ? "" : "none";
      if (i < ticks.length) {
        label.setAttribute("y", (y(ticks[i]) + axis.lift).toFixed(1));
        label.textContent = ticks[i].toLocaleString("en-US");
      }
    });
    series.forEach((values, index) => {
      const dots = Array.from(svg.querySelectorAll("use.rg-s" + index + ":not(.rg-key)"));
      const line = svg.querySelector("polyline.rg-s" + index);
      // the line's own x of each point: a marker may stand beside its point (charts.side_by_side)
      const xs = line ? line.getAttribute("points").split(" ").map((point) => point.split(",")[0]) : [];
      if (!line || dots.length !== values.length || xs.length !== values.length) { return; }
      const points = dots.map((dot, i) => {
        dot.setAttribute("y", y(values[i]).toFixed(1));
        const tip = dot.querySelector("title");
        if (tip) { tip.textContent = tip.textContent.replace(/: [^:]*$/, ": " + values[i].toLocaleString("en-US")); }
        return xs[i] + "," + y(values[i]).toFixed(1);
      });
      line.setAttribute("points", points.join(" "));
    });
  }

  // The tracker's weekly chart (open, overdue, done on each day it shows), added up from the actions the
  // filters keep: each row spells its state on each day (data-weeks, history.weekly_codes), "-3o2v21".
  const LETTERS = ["o", "v", "d"];
  function redrawWeekly(figure, kept) {
    const table = figure.querySelector(".rg-chart-table tbody");
    const days = table ? table.rows.length : 0;
    if (!days) { return; }
    const series = LETTERS.map(() => new Array(days).fill(0));
    for (const row of kept) {
      let day = 0;
      for (const [, letter, count] of (row.getAttribute("data-weeks") || "").matchAll(/([-ovd])(\d+)/g)) {
        const index = LETTERS.indexOf(letter);
        for (let i = 0; i < Number(count) && day < days; i++, day++) { if (index >= 0) { series[index][day] += 1; } }
      }
    }
    for (const svg of figure.querySelectorAll("svg.rg-chart")) { redraw(svg, series); }
    Array.from(table.rows).forEach((row, day) => {
      series.forEach((values, index) => {
        if (row.cells[index + 1]) { row.cells[index + 1].textContent = values[day].toLocaleString("en-US"); }
      });
    });
  }

  function setUpFilters(panel) {
    const tables = panel.getAttribute("data-filter-for").split(" ")
      .map((id) => document.getElementById(id)).filter(Boolean);
    const controls = Array.from(panel.querySelectorAll("[data-filter]"));
    const count = panel.querySelector(".rg-count");
    const given = query();
    for (const control of controls) {
      const wanted = given.get(control.name);
      const known = control.tagName !== "SELECT" ||
        Array.from(control.options).some((option) => option.value === wanted);
      if (wanted !== null && known) { control.value = wanted; }
    }

    function keeps(row) {
      return controls.every((control) => {
        const want = control.value.trim(), key = control.getAttribute("data-filter");
        if (!want) { return true; }
        if (key === "text") {
          const text = row.textContent.toLowerCase();
          return want.toLowerCase().split(/\s+/).every((word) => text.includes(word));
        }
        const have = row.getAttribute("data-" + key) || "";
        return control.hasAttribute("data-filter-many") ? have.split("\n").includes(want) : have === want;
      });
    }

    function apply(save) {
      let shown = 0, total = 0;
      for (const table of tables) {
        for (const body of table.tBodies) {
          let visible = 0;
          for (const row of rowsOf(body)) {
            const keep = keeps(row);
            row.hidden = !keep;
            total += 1;
            if (keep) { visible += 1; shown += 1; }
          }
          // A team's heading row goes with its last shown row.
          const group = body.querySelector("tr.rg-group");
          if (group) { group.hidden = visible === 0; }
        }
      }
      for (const table of tables) {
        // A list the filters leave empty says so in a sentence instead of showing a bare header.
        const empty = document.querySelector("[data-empty-for='" + CSS.escape(table.id) + "']");
        const box = table.closest(".md-typeset__scrollwrap") || table;
        const any = Array.from(table.tBodies).some((body) => rowsOf(body).some((row) => !row.hidden));
        box.hidden = !any;
        if (empty) { empty.hidden = any; }
      }
      // Where one table holds every item (the tracker's list of all actions), the count is of items, not of
      // rows: an action also listed as overdue or slipped counts once.
      const counted = tables.filter((table) => table.hasAttribute("data-counted"));
      recount(counted);
      if (counted.length) {
        const rows = counted.flatMap((table) => Array.from(table.tBodies).flatMap(rowsOf));
        shown = rows.filter((row) => !row.hidden).length;
        total = rows.length;
      }
      if (count) { count.textContent = shown + " / " + total; }
      if (save) { remember(Object.fromEntries(controls.map((c) => [c.name, c.value.trim()]))); }
    }

    for (const control of controls) {
      control.addEventListener(control.tagName === "INPUT" ? "input" : "change", () => apply(true));
    }
    const reset = panel.querySelector("[data-filter-reset]");
    if (reset) {
      reset.addEventListener("click", () => {
        for (const control of controls) { control.value = ""; }
        apply(true);
      });
    }
    apply(false);
  }

  function compare(a, b) {
    if (a === b) { return 0; }
    if (a === "") { return 1; }  // rows without a value go last either way
    if (b === "") { return -1; }
    const x = Number(a), y = Number(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) { return x - y; }
    return a < b ? -1 : 1;
  }

  // Sorts every table of the page that has the column; within a table, each tbody (a team's group) alone.
  function sortBy(key, descending) {
    for (const header of document.querySelectorAll("th[data-sort]")) {
      const mine = header.getAttribute("data-sort") === key;
      header.setAttribute("aria-sort", mine ? (descending ? "descending" : "ascending") : "none");
      if (!mine) { continue; }
      for (const body of header.closest("table").tBodies) {
        // A row without the figure (none written for an empty one) sorts as empty: last either way.
        const value = (row) => row.getAttribute("data-" + key) || "";
        const rows = rowsOf(body);
        rows.sort((a, b) => {
          const order = compare(value(a), value(b));
          return descending && value(a) && value(b) ? -order : order;
        });
        for (const row of rows) { body.appendChild(row); }
      }
    }
  }

  function setUpSorting() {
    const headers = document.querySelectorAll("th[data-sort]");
    for (const header of headers) {
      const button = header.querySelector("button.rg-sort");
      if (!button) { continue; }
      button.addEventListener("click", () => {
        const key = header.getAttribute("data-sort");
        const descending = header.getAttribute("aria-sort") === "ascending";
        sortBy(key, descending);
        remember({ sort: (descending ? "-" : "") + key });
      });
    }
    const wanted = query().get("sort");
    if (wanted && headers.length) {
      const key = wanted.replace(/^-/, "");
      if (document.querySelector("th[data-sort='" + CSS.escape(key) + "']")) { sortBy(key, wanted.startsWith("-")); }
    }
  }

  // A card (a table row on a phone) names its figures with their columns' titles: a header marked data-card
  // labels its column's cells here, once, rather than each of thousands of rows carrying the same words.
  function labelCards() {
    for (const table of document.querySelectorAll("table[data-cards]")) {
      const heads = table.tHead ? Array.from(table.tHead.rows[0].cells) : [];
      heads.forEach((head, index) => {
        if (!head.hasAttribute("data-card")) { return; }
        const label = head.textContent.trim();
        for (const row of Array.from(table.tBodies).flatMap(rowsOf)) {
          const cell = row.cells[index];
          if (cell && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", label); }
        }
      });
    }
  }

  function init() {
    labelCards();
    for (const panel of document.querySelectorAll("[data-filter-for]")) { setUpFilters(panel); }
    setUpSorting();
  }

  // Closed <details> print as their summary alone: open them for printing, close them again after.
  let closed = [];
  window.addEventListener("beforeprint", () => {
    closed = Array.from(document.querySelectorAll("details:not([open])"));
    for (const details of closed) { details.open = true; }
  });
  window.addEventListener("afterprint", () => {
    for (const details of closed) { details.open = false; }
    closed = [];
  });

  // Material's instant loading swaps pages without a reload: document$ announces each new page, the first
  // one included. Without Material's script, the page's own load event does.
  if (window.document$ && window.document$.subscribe) { window.document$.subscribe(init); }
  else if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
