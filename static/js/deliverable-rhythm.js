// The definition form of an expected deliverable: the due dates field shows only for the
// « à des dates données » rhythm (or when dates are typed, so that the refusal of dates
// typed for another rhythm stays visible). Without JavaScript the field always shows and
// the server refuses dates typed for another rhythm.
(function () {
  "use strict";
  var rhythm = document.getElementById("id_rhythm");
  var dates = document.getElementById("id_given_dates");
  if (!rhythm || !dates) return;
  var field = dates.closest(".field") || dates.parentElement;
  function update() {
    field.hidden = rhythm.value !== "given_dates" && dates.value.trim() === "";
  }
  rhythm.addEventListener("change", update);
  update();
})();
