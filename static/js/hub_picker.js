// The hub picker of the new-account form: choosing a district or a street reloads the form with
// the next level's choices (the server renders them; without JavaScript a button does the same),
// Enter in the search box searches, and the picker shows only for hub staff.
(function () {
  "use strict";
  var form = document.querySelector("form[data-hub-picker]");
  if (!form) return;
  var refresh = form.querySelector("[data-picker-refresh]");
  var fieldset = form.querySelector("[data-picker-for]");
  var role = form.querySelector("select[name=role]");
  function submitWith(button) {
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
  }
  ["district", "street"].forEach(function (name) {
    var select = form.querySelector("select[name=" + name + "]");
    if (select && refresh) {
      select.addEventListener("change", function () {
        if (name === "district") {
          var street = form.querySelector("select[name=street]");
          if (street) street.value = "";
        }
        var community = form.querySelector("select[name=community]");
        if (community) community.value = "";
        submitWith(refresh);
      });
    }
  });
  var search = form.querySelector("input[name=hub_q]");
  var find = form.querySelector("button[value=find]");
  if (search && find) {
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); submitWith(find); }
    });
  }
  function showPicker() {
    if (fieldset && role) fieldset.hidden = role.value !== fieldset.getAttribute("data-picker-for");
  }
  if (role) { role.addEventListener("change", showPicker); showPicker(); }
})();

// A long grouped <select> (the communities of a district hub, one <optgroup> per street) gets a
// search box above it: typing keeps the communities and streets whose name contains the text.
// Without JavaScript the select is the same list, grouped by street.
(function () {
  "use strict";
  document.querySelectorAll("select[data-filter]").forEach(function (select) {
    var all = Array.prototype.map.call(select.children, function (node) { return node.cloneNode(true); });
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.id = select.id + "-filter";
    box.placeholder = select.getAttribute("data-filter");
    box.setAttribute("aria-label", select.getAttribute("data-filter"));
    box.setAttribute("aria-controls", select.id);
    box.autocomplete = "off";
    var count = document.createElement("p");
    count.className = "hint select-filter-count";
    count.setAttribute("role", "status");
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(count, select.nextSibling);
    function matches(text, q) { return text.toLowerCase().indexOf(q) !== -1; }
    box.addEventListener("input", function () {
      // The matches replace the list; the chosen community stays chosen if it still matches,
      // else the first match is (what a user typing a name expects).
      var q = box.value.trim().toLowerCase();
      var chosen = select.value;
      var shown = 0;
      select.textContent = "";
      all.forEach(function (node) {
        if (node.tagName === "OPTGROUP") {
          var whole = q && matches(node.label, q);
          var group = node.cloneNode(false);
          Array.prototype.forEach.call(node.children, function (opt) {
            if (!q || whole || matches(opt.textContent, q)) {
              group.appendChild(opt.cloneNode(true));
              shown += 1;
            }
          });
          if (group.children.length) { select.appendChild(group); }
        } else if (!q || matches(node.textContent, q)) {
          select.appendChild(node.cloneNode(true));
        }
      });
      select.value = chosen;
      if (select.selectedIndex === -1 && select.options.length) { select.selectedIndex = 0; }
      say(q ? (select.getAttribute("data-filter-count") || "{n}").replace("{n}", shown) : "");
    });
    // Which street the chosen community is in: two communities of a district may share a name.
    function say(matchesText) {
      var option = select.options[select.selectedIndex];
      var group = option && option.parentNode.tagName === "OPTGROUP" ? option.parentNode.label : "";
      var where = option ? (group ? group + " › " : "") + option.textContent : "";
      count.textContent = [matchesText, where].filter(Boolean).join(" · ");
    }
    select.addEventListener("change", function () { say(""); });
    say("");
    box.addEventListener("keydown", function (event) {
      // Enter picks the first match rather than submitting the whole form.
      if (event.key === "Enter") {
        event.preventDefault();
        var first = select.querySelector("option[value]:not([value=''])");
        if (first) { select.value = first.value; select.dispatchEvent(new Event("change")); }
        select.focus();
      }
    });
  });
})();
