// Avahi search: a tab per service type, and a refresh without a full reload.
// Announcements are other boxes' data: only ever set as textContent, never as HTML.
(function () {
  "use strict";
  var table = document.getElementById("announcements");
  var tabs = document.getElementById("tabs");
  var button = document.getElementById("refresh");
  var current = null;

  function show(type) {
    current = type;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      row.hidden = type !== null && row.getAttribute("data-type") !== type;
    });
    Array.prototype.forEach.call(tabs.querySelectorAll("a"), function (a) {
      a.classList.toggle("active", a.getAttribute("data-type") === type);
    });
  }

  function cell(row, text) {
    var td = row.insertCell();
    td.textContent = String(text);
    return td;
  }

  function render(items) {
    var body = table.tBodies[0];
    var types = [];
    body.textContent = "";
    items.forEach(function (item) {
      var row = body.insertRow();
      row.setAttribute("data-type", item.type);
      cell(row, item.type);
      cell(row, item.name).className = "description";
      cell(row, item.host);
      cell(row, item.address);
      cell(row, item.port);
      var actions = cell(row, "");
      item.actions.forEach(function (action) {
        var a = document.createElement("a");
        a.className = "button";
        a.href = action.url;
        a.textContent = action.label;
        actions.appendChild(a);
        actions.appendChild(document.createTextNode(" "));
      });
      if (types.indexOf(item.type) < 0) { types.push(item.type); }
    });
    tabs.textContent = "";
    types.sort().forEach(function (type, i) {
      var a = document.createElement("a");
      a.href = "#tab-" + (i + 1);
      a.setAttribute("data-type", type);
      a.textContent = type;
      tabs.appendChild(a);
    });
    document.getElementById("none").hidden = items.length > 0;
    show(types.indexOf(current) >= 0 ? current : (types.length ? types[0] : null));
  }

  function refresh() {
    fetch(button.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        render(data.announcements);
        document.getElementById("refresh-note").hidden = false;
      })
      .catch(function () { /* keep the list shown; the next refresh tries again */ });
  }

  tabs.addEventListener("click", function (e) {
    var type = e.target.getAttribute && e.target.getAttribute("data-type");
    if (type) { e.preventDefault(); show(type); }
  });
  button.addEventListener("click", refresh);
  var first = tabs.querySelector("a");
  show(first ? first.getAttribute("data-type") : null);
  setInterval(refresh, 30000);
})();
