// The moderation desk's queue: keyboard shortcuts, focus keeping for htmx decisions, and the
// reason and note fields, which the page holds once (<template id="mod-fields">) and this file
// copies into an item when the moderator gets to it (the first item at once).
// Progressive enhancement only: every decision is a plain form that works without this file
// (without it, "Hide" or "Reject" with no reason answers with the item's own fields).
(function () {
  "use strict";
  var current = null;      // the item the shortcuts act on
  var lastIndex = -1;      // its place in the list when a decision was sent
  var armed = null;        // {item, action} after h/r on an item with no reason chosen yet

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-mod-item]"));
  }
  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  // The item's reason and note fields, from the page's template, unless it has them already.
  function expand(item) {
    if (!item || item.querySelector("[data-fields]")) { return; }
    var template = document.getElementById("mod-fields");
    var actions = item.querySelector(".mod-actions");
    var number = item.id.replace(/^item-/, "");
    if (!template || !actions || !/^[0-9]+$/.test(number)) { return; }
    actions.insertAdjacentHTML("beforebegin", template.innerHTML.replace(/__ID__/g, number));
  }
  function focusItem(item) {
    if (!item) { return; }
    expand(item);
    if (current && current !== item) { current.classList.remove("mod-current"); }
    current = item;
    item.classList.add("mod-current");
    item.focus();
    item.scrollIntoView({block: "nearest"});
  }
  function move(step) {
    var list = items();
    if (!list.length) { return; }
    var index = list.indexOf(current);
    index = index < 0 ? (step > 0 ? 0 : list.length - 1)
                      : Math.min(Math.max(index + step, 0), list.length - 1);
    focusItem(list[index]);
  }
  function say(text) {
    var live = document.getElementById("mod-live");
    if (live) { live.textContent = text; }
  }
  function press(item, action) {
    var button = item && item.querySelector("button[data-action='" + action + "']");
    if (!button) { return false; }
    button.click();
    return true;
  }
  function needsReason(item, action) {
    var button = item && item.querySelector("button[data-action='" + action + "']");
    if (!button) { return; }
    var select = item.querySelector("select[data-reason]");
    if (select && !select.value) {
      armed = {item: item, action: action};
      select.focus();
      if (typeof select.showPicker === "function") {
        try { select.showPicker(); } catch (error) { /* not allowed here: focus is enough */ }
      }
      var help = document.getElementById("mod-help");
      say(help ? help.getAttribute("data-choose") || "" : "");
      return;
    }
    button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var help = document.getElementById("mod-help");
    if (help && help.open) { return; }
    var inside = event.target.closest && event.target.closest("[data-mod-item]");
    if (inside && inside !== current) { focusItem(inside); }
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": if (!press(current, "approve")) { return; } break;
      case "h": needsReason(current, "hide"); break;
      case "r": needsReason(current, "reject"); break;
      case "x": {
        var box = current && current.querySelector("input[data-select]");
        if (!box) { return; }
        box.checked = !box.checked;
        break;
      }
      case "?":
        if (help && typeof help.showModal === "function") { help.showModal(); }
        break;
      default: return;
    }
    event.preventDefault();
  });

  // Hide or reject pressed on an item whose fields are not shown yet: show them and ask for the
  // reason first, as the h and r shortcuts do.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-action]");
    var item = button && button.closest("[data-mod-item]");
    if (!item || item.querySelector("[data-fields]")) { return; }
    var action = button.getAttribute("data-action");
    if (action !== "hide" && action !== "reject") { return; }
    event.preventDefault();
    focusItem(item);
    needsReason(item, action);
  }, true);

  // A reason chosen after h or r: the matching button gets the focus (Enter decides).
  document.addEventListener("change", function (event) {
    if (!armed || !event.target.matches || !event.target.matches("select[data-reason]")) { return; }
    if (armed.item.contains(event.target) && event.target.value) {
      var button = armed.item.querySelector("button[data-action='" + armed.action + "']");
      if (button) { button.focus(); }
    }
    armed = null;
  });

  // A refused decision (422) comes back with the item and its message: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status === 422 && elt && elt.closest &&
        (elt.closest("[data-mod-item]") || elt.closest("#mod-bulk"))) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var item = event.detail.elt.closest && event.detail.elt.closest("[data-mod-item]");
    if (item) { current = item; }
    lastIndex = items().indexOf(current);
  });
  // The live region is swapped out of band with every answer; then the item has left the list
  // (or come back with an error): the focus goes to the next item, or to the error.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "mod-live") { return; }
    window.setTimeout(function () {
      var list = items();
      if (current && current.id && !current.isConnected) {
        var again = document.getElementById(current.id);
        if (again) {
          current = again;
          var invalid = again.querySelector("[aria-invalid=true]") || again.querySelector("[role=alert]");
          focusItem(again);
          if (invalid && invalid.focus) { invalid.focus(); }
          return;
        }
        if (list.length) {
          focusItem(list[Math.min(Math.max(lastIndex, 0), list.length - 1)]);
        } else {
          current = null;
          var heading = document.querySelector("main h1");
          if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
        }
      }
    }, 0);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var hint = document.querySelector("[data-keys-hint]");
    if (hint) { hint.hidden = false; }
    expand(items()[0]);
  });
})();
