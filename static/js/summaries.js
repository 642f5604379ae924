// The citation picker: a "Cite" button beside each tag found puts the tag into the Romanian
// (or the last focused) summary text at the cursor. Without JavaScript the tags are there to
// copy, and the buttons stay hidden.
(function () {
  "use strict";
  var last = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("textarea[name^='body_']")) {
      last = event.target;
    }
  });
  function reveal(root) {
    root.querySelectorAll("[data-cite][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-cite]");
    if (!button) { return; }
    var area = last || document.querySelector("textarea[name='body_ro']");
    if (!area) { return; }
    var tag = button.getAttribute("data-cite");
    var start = area.selectionStart || 0, end = area.selectionEnd || 0;
    area.value = area.value.slice(0, start) + tag + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + tag.length;
  });
  document.addEventListener("htmx:afterSwap", function (event) { reveal(event.target); });
  reveal(document);
}());
