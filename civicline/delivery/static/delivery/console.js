/* Compose page: show each message slot's fields for its kind, and segments only when they apply.
   Without JavaScript every field stays visible and the server checks what applies. Plain ES5 (Edge). */
(function () {
  "use strict";
  function each(list, fn) { for (var i = 0; i < list.length; i++) { fn(list[i]); } }

  each(document.querySelectorAll("[data-dl-slot]"), function (slot) {
    var kind = slot.querySelector("select[name$='-kind']");
    if (!kind) { return; }
    function update() {
      each(slot.querySelectorAll("[data-dl-kinds]"), function (part) {
        var kinds = " " + part.getAttribute("data-dl-kinds") + " ";
        part.hidden = kinds.indexOf(" " + kind.value + " ") < 0;
      });
    }
    kind.addEventListener("change", update);
    update();
  });

  var audience = document.querySelectorAll("input[name='audience']");
  var segments = document.querySelector("[data-dl-audience='segments']");
  function updateAudience() {
    var chosen = document.querySelector("input[name='audience']:checked");
    if (segments && chosen) { segments.hidden = chosen.value !== "segments"; }
  }
  each(audience, function (radio) { radio.addEventListener("change", updateAudience); });
  updateAudience();

  var when = document.querySelectorAll("input[name='when']");
  var at = document.querySelector("input[name='at']");
  function updateWhen() {
    var chosen = document.querySelector("input[name='when']:checked");
    if (at && chosen) { at.parentNode.hidden = chosen.value !== "later"; }
  }
  each(when, function (radio) { radio.addEventListener("change", updateWhen); });
  updateWhen();
})();
