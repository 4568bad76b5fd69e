/* Sortable tables for the ward atlas, with no outside library and no network request.
 *
 * Any <table class="cityconv-sortable"> gets a button in each column heading. Pressing it sorts the
 * body rows by that column (numbers by value, text alphabetically; "[x]" and "[c]" always last) and
 * sets aria-sort on the heading so screen readers announce the order. Rows with the class
 * "cityconv-sort-fixed" (Liverpool as a whole) stay at the bottom. Without JavaScript the table is
 * still complete, in its published order.
 */
(function () {
  "use strict";

  function cellValue(row, column) {
    var cell = row.children[column];
    var text = cell ? cell.textContent.trim() : "";
    if (text === "" || /^\[[a-z]\]$/.test(text)) return { missing: true };
    var number = text.replace(/[,%£\s]/g, "").replace("\u2212", "-");
    if (/^[-+]?\d*\.?\d+$/.test(number)) return { number: parseFloat(number) };
    return { text: text.toLocaleLowerCase() };
  }

  function compare(a, b) {
    if (a.missing || b.missing) return (a.missing ? 1 : 0) - (b.missing ? 1 : 0);
    if ("number" in a && "number" in b) return a.number - b.number;
    var x = "text" in a ? a.text : String(a.number);
    var y = "text" in b ? b.text : String(b.number);
    return x.localeCompare(y);
  }

  function sortBy(table, column, heading) {
    var body = table.tBodies[0];
    var ascending = heading.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    var fixed = rows.filter(function (r) { return r.classList.contains("cityconv-sort-fixed"); });
    var sortable = rows.filter(function (r) { return !r.classList.contains("cityconv-sort-fixed"); });
    sortable.sort(function (r1, r2) {
      var a = cellValue(r1, column), b = cellValue(r2, column);
      if (a.missing || b.missing) return compare(a, b);  // missing values last in either direction
      return ascending ? compare(a, b) : compare(b, a);
    });
    sortable.concat(fixed).forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    if (!table.tHead || !table.tBodies.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (heading, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cityconv-sort-button";
      while (heading.firstChild) button.appendChild(heading.firstChild);
      heading.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, column, heading); });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.cityconv-sortable"), makeSortable);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
