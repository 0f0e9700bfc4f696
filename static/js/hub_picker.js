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
