/* The question builder: show each row only the settings of its type. Plain ES5 (Edge on city PCs). */
(function () {
  "use strict";
  function update(row) {
    var select = row.querySelector("select[name$='-type']");
    if (!select) { return; }
    var type = select.value;
    row.setAttribute("data-type", type);
    var parts = row.querySelectorAll("[data-fm-for]");
    for (var i = 0; i < parts.length; i++) {
      var types = " " + parts[i].getAttribute("data-fm-for") + " ";
      parts[i].hidden = types.indexOf(" " + type + " ") < 0;
    }
  }
  var rows = document.querySelectorAll("[data-fm-row]");
  for (var i = 0; i < rows.length; i++) {
    (function (row) {
      update(row);
      var select = row.querySelector("select[name$='-type']");
      if (select) { select.addEventListener("change", function () { update(row); }); }
    })(rows[i]);
  }
})();
