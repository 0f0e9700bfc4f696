// The offer form's service area: a district → street → community tree of checkboxes.
// Without JavaScript the server renders districts and their streets, and a "Find" button searches
// all names (communities too) in a round trip. With it, the tree comes from the cached
// /org/regions.json: every street lists its communities (built when first opened), typing in the
// search box filters the tree as you type, choosing a district or a street covers what lies below
// it (those boxes are shown ticked and disabled, so only the covering code is sent), and the chosen
// regions are listed above the tree as chips that remove themselves.
(function () {
  "use strict";
  var root = document.querySelector("[data-region-tree]");
  if (!root || !window.fetch) { return; }
  var t = function (name) { return root.getAttribute("data-l-" + name) || ""; };
  var treeEl = root.querySelector("[data-tree]");
  var search = root.querySelector("input[type=search]");
  var status = root.querySelector("[data-tree-status]");
  var chosenBox = root.querySelector("[data-tree-chosen]");
  var chosen = {};
  root.querySelectorAll("input[name=regions]:checked").forEach(function (i) { chosen[i.value] = true; });

  var byCode = {};  // code -> node {code, name, level, parent, input, ...}
  var districts = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = text; }
    return e;
  }

  function checkbox(node, text) {
    var label = el("label", "check");
    var input = el("input");
    input.type = "checkbox";
    input.name = "regions";
    input.value = node.code;
    label.appendChild(input);
    var span = el("span", null, text);
    label.appendChild(span);
    node.input = input;
    node.label = label;
    node.text = span;
    return label;
  }

  function path(node) {
    var parts = [];
    for (var n = node; n; n = n.parent) { parts.unshift(n.name); }
    return parts.join(" › ");
  }

  function coveredBy(node) {
    for (var n = node.parent; n; n = n.parent) { if (chosen[n.code]) { return n; } }
    return null;
  }

  function buildCommunities(street) {
    if (street.built) { return; }
    street.built = true;
    street.communities.forEach(function (c) {
      var li = el("li", "tree-community");
      li.appendChild(checkbox(c, c.name));
      c.li = li;
      street.list.appendChild(li);
    });
    refreshInputs();
  }

  function expand(street, open) {
    if (open) { buildCommunities(street); }
    street.list.hidden = !open;
    street.toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function build(data) {
    var frag = document.createDocumentFragment();
    data.forEach(function (d) {
      var district = { code: d[0], name: d[1], level: 6, parent: null, streets: [] };
      byCode[district.code] = district;
      districts.push(district);
      var li = el("li", "tree-district");
      var details = el("details");
      var summary = el("summary", null, district.name);
      district.count = el("span", "tree-count");
      summary.appendChild(district.count);
      details.appendChild(summary);
      details.appendChild(checkbox(district, t("whole").replace("{name}", district.name)));
      district.label.classList.add("tree-all");
      var ul = el("ul");
      d[2].forEach(function (s) {
        var street = { code: s[0], name: s[1], level: 9, parent: district, communities: [], built: false };
        byCode[street.code] = street;
        district.streets.push(street);
        s[2].forEach(function (c) {
          var community = { code: c[0], name: c[1], level: 12, parent: street };
          byCode[community.code] = community;
          street.communities.push(community);
        });
        var sli = el("li", "tree-street");
        var row = el("div", "tree-street-row");
        row.appendChild(checkbox(street, street.name));
        if (street.communities.length) {
          street.toggle = el("button", "tree-toggle", t("communities").replace("{n}", street.communities.length));
          street.toggle.type = "button";
          street.toggle.setAttribute("aria-expanded", "false");
          street.toggle.addEventListener("click", function () {
            expand(street, street.toggle.getAttribute("aria-expanded") !== "true");
          });
          row.appendChild(street.toggle);
        }
        sli.appendChild(row);
        street.list = el("ul", "tree-communities");
        street.list.hidden = true;
        sli.appendChild(street.list);
        street.li = sli;
        ul.appendChild(sli);
      });
      details.appendChild(ul);
      li.appendChild(details);
      district.li = li;
      district.details = details;
      frag.appendChild(li);
    });
    treeEl.textContent = "";
    treeEl.appendChild(frag);
    // The server's fallback parts (search results, chosen communities as boxes) give way to the tree.
    root.querySelectorAll("[data-no-js]").forEach(function (n) { n.remove(); });
    var find = root.querySelector("[data-find]");
    if (find) { find.hidden = true; }
    // Chosen communities are built (and their streets opened) so that their boxes exist.
    Object.keys(chosen).forEach(function (code) {
      var node = byCode[code];
      if (!node) { delete chosen[code]; return; }
      if (node.level === 12) { expand(node.parent, true); }
      var district = node.level === 6 ? node : node.level === 9 ? node.parent : node.parent.parent;
      district.details.open = true;
    });
    refreshInputs();
    if (search.value.trim()) { filter(); }
    root.setAttribute("data-ready", "");
  }

  // Boxes show what is chosen; what a chosen region covers is ticked and disabled (not sent).
  function refreshInputs() {
    Object.keys(byCode).forEach(function (code) {
      var node = byCode[code];
      if (!node.input) { return; }
      var cover = coveredBy(node);
      node.input.checked = !!chosen[code] || !!cover;
      node.input.disabled = !!cover;
      node.label.classList.toggle("is-covered", !!cover);
      node.label.title = cover ? t("covered").replace("{name}", cover.name) : "";
    });
    districts.forEach(function (d) {
      var n = Object.keys(chosen).filter(function (c) { return c.indexOf(d.code) === 0; }).length;
      d.count.textContent = n ? "(" + n + ")" : "";
    });
    showChosen();
  }

  function showChosen() {
    chosenBox.textContent = "";
    var codes = Object.keys(chosen).sort();
    chosenBox.appendChild(el("p", "tree-chosen-head", codes.length ? t("chosen") : t("nothing")));
    codes.forEach(function (code) {
      var node = byCode[code];
      var chip = el("button", "chip", path(node));
      chip.type = "button";
      chip.setAttribute("aria-label", t("remove").replace("{name}", path(node)));
      chip.addEventListener("click", function () { delete chosen[code]; refreshInputs(); });
      chosenBox.appendChild(chip);
    });
  }

  treeEl.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.name !== "regions" || !byCode[input.value]) { return; }
    var code = input.value;
    if (input.checked) {
      chosen[code] = true;
      // The map shows where the region is (offer_map.js), for a circle drawn near it.
      root.dispatchEvent(new CustomEvent("region:chosen", { bubbles: true, detail: { code: code } }));
      // A region covers what lies below it: those codes need not be sent.
      Object.keys(chosen).forEach(function (c) { if (c !== code && c.indexOf(code) === 0) { delete chosen[c]; } });
    } else {
      delete chosen[code];
    }
    refreshInputs();
  });

  // Search by name: show the matches and the way to them; communities are built as needed.
  function filter() {
    var q = search.value.trim();
    var matches = 0;
    districts.forEach(function (d) {
      var dHit = !!q && d.name.indexOf(q) !== -1;
      var anyBelow = false;
      d.streets.forEach(function (s) {
        var sHit = !!q && s.name.indexOf(q) !== -1;
        var cHits = q ? s.communities.filter(function (c) { return c.name.indexOf(q) !== -1; }) : [];
        if (cHits.length) { buildCommunities(s); }
        if (s.built) {
          s.communities.forEach(function (c) {
            c.li.hidden = !!q && !(dHit || sHit || cHits.indexOf(c) !== -1);
          });
        }
        var show = !q || dHit || sHit || cHits.length > 0;
        s.li.hidden = !show;
        if (q) { expand(s, cHits.length > 0); }
        if (sHit || cHits.length) { anyBelow = true; }
        matches += (sHit ? 1 : 0) + cHits.length;
      });
      matches += dHit ? 1 : 0;
      d.li.hidden = !!q && !(dHit || anyBelow);
      if (q) { d.details.open = anyBelow || dHit; }
    });
    status.textContent = q ? (matches ? t("matches").replace("{n}", matches) : t("none")) : "";
  }

  var timer = null;
  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(filter, 120);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); filter(); }
  });

  fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(build)
    .catch(function () { /* the server-rendered tree and its Find button stay */ });
})();
