// After « Monter » / « Descendre » (or adding, editing) the page comes back with the item's
// address (#axe-12): the browser scrolls to it but leaves the focus on the page, so a
// keyboard or screen reader user would start again from the top. The item, marked
// data-focus-target with tabindex="-1", takes the focus; the page's message says where it
// now stands.
(function () {
  "use strict";
  function focusTarget() {
    var id = window.location.hash.slice(1);
    if (!id) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(id));
    if (target && target.hasAttribute("data-focus-target")) {
      target.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusTarget);
  } else {
    focusTarget();
  }
})();
