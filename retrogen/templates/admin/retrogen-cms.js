// Saves a review from the form as `retrogen new` writes one: the schema modeline first, keys in the
// template's order, dates and codes plain, other text quoted only where YAML needs it, and nothing for a field
// left empty. Reading uses js-yaml (vendored beside Decap CMS). The layout comes from the page, generated from
// the schema by `retrogen build` (retrogen/site/editor.py).
(function () {
  "use strict";
  var layout = JSON.parse(document.getElementById("retrogen-layout").textContent);
  var INDENT = "  ";
  // Keep these plain: text YAML would read as the same string and that reads well unquoted.
  var UNSAFE_START = /^[\s\-?:,\[\]{}#&*!|>'"%@`]/;

  function isEmpty(value) {
    if (value === null || value === undefined || value === "") return true;
    if (Array.isArray(value)) return value.every(isEmpty);
    if (typeof value === "object" && !(value instanceof Date)) {
      return Object.keys(value).every(function (key) { return isEmpty(value[key]); });
    }
    return false;
  }

  function dateText(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    return String(value).slice(0, 10);
  }

  function scalar(value, path) {
    if (layout.dates.indexOf(path) >= 0) return dateText(value);
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    var text = String(value);
    // retrogen reads YAML 1.1, where yes, on, 1_000 and 1:30 are no text: those stay quoted too.
    var plain = !UNSAFE_START.test(text) && !/[\s:#]$|[\n\r\t:]| #/.test(text) &&
      !/^(y|yes|n|no|on|off|true|false|null|~)$/i.test(text) && !/^[-+]?[\d_.]+([eE][-+]?\d+)?$/.test(text);
    if (plain) {
      try {
        plain = window.jsyaml.load(text) === text;
      } catch (error) {
        plain = false;
      }
    }
    return plain ? text : JSON.stringify(text);
  }

  function block(text, indent) {
    // Multi-line text as a literal block, when YAML can give it back exactly; quoted otherwise.
    if (/^\s|[ \t]\n|\s$|\r/.test(text)) return null;
    return "|-\n" + text.split("\n").map(function (line) { return line ? indent + INDENT + line : ""; }).join("\n");
  }

  function keysOf(object, prefix) {
    var order = layout.order[prefix] || [];
    var known = order.filter(function (key) { return key in object; });
    return known.concat(Object.keys(object).filter(function (key) { return order.indexOf(key) < 0; }));
  }

  function mapping(object, prefix, indent, lines, firstPrefix) {
    var first = true;
    keysOf(object, prefix).forEach(function (key) {
      var value = object[key];
      if (isEmpty(value)) return;
      var lead = first && firstPrefix !== undefined ? firstPrefix : indent;
      first = false;
      var path = prefix + key;
      if (Array.isArray(value)) {
        list(value.filter(function (item) { return !isEmpty(item); }), path, key, lead, indent, lines);
      } else if (typeof value === "object" && !(value instanceof Date)) {
        lines.push(lead + key + ":");
        mapping(value, path + ".", indent + INDENT, lines);
      } else if (typeof value === "string" && value.indexOf("\n") >= 0 && block(value, indent)) {
        lines.push(lead + key + ": " + block(value, indent));
      } else {
        lines.push(lead + key + ": " + scalar(value, path));
      }
    });
  }

  function list(items, path, key, lead, indent, lines) {
    var objects = items.some(function (item) { return typeof item === "object" && !(item instanceof Date); });
    if (!objects) {
      var shown = items.map(function (item) { return scalar(item, path + "[]"); });
      var flow = "[" + shown.join(", ") + "]";
      if (layout.flow.indexOf(path) >= 0 && flow.length <= 100) {
        lines.push(lead + key + ": " + flow);
      } else {
        lines.push(lead + key + ":");
        shown.forEach(function (text) { lines.push(indent + INDENT + "- " + text); });
      }
      return;
    }
    lines.push(lead + key + ":");
    items.forEach(function (item) {
      mapping(item, path + "[].", indent + INDENT + INDENT, lines, indent + INDENT + "- ");
    });
  }

  function toFile(data) {
    var lines = [layout.modeline];
    var top = layout.order[""] || [];
    var previous = null;
    keysOf(data, "").forEach(function (key) {
      if (isEmpty(data[key])) return;
      var section = [];
      var single = {};
      single[key] = data[key];
      mapping(single, "", "", section);
      // A blank line before each list of records (metrics, problems, actions…), as the template has.
      if (previous !== null && top.indexOf(key) > top.indexOf("tags") && Array.isArray(data[key])) lines.push("");
      lines.push.apply(lines, section);
      previous = key;
    });
    return lines.join("\n") + "\n";
  }

  function fromFile(text) {
    // JSON_SCHEMA: dates stay the text the file has, as retrogen reads them.
    return window.jsyaml.load(text, { schema: window.jsyaml.JSON_SCHEMA }) || {};
  }

  window.CMS.registerCustomFormat(layout.format, "yaml", { fromFile: fromFile, toFile: toFile });
  window.CMS.init();
})();
