// CaracalDB's web UI: plain JS, no build step. config.json names the REST API
// (relative to this page: nginx serves it under /api/).
"use strict";
(function () {
  var api = "api/";
  var $ = function (id) { return document.getElementById(id); };

  function path(kind, a, b) {
    var p = "schema/" + encodeURIComponent($("schema").value) + "/" + kind + "/" + encodeURIComponent(a);
    return b === undefined ? p : p + "/" + encodeURIComponent(b);
  }

  function show(text, rows) {
    $("status").textContent = text;
    var body = $("rows").tBodies[0];
    body.textContent = "";
    $("rows").hidden = !rows;
    (rows || []).forEach(function (row) {
      var tr = body.insertRow();
      tr.insertCell().textContent = row[0];
      tr.insertCell().textContent = typeof row[1] === "string" ? row[1] : JSON.stringify(row[1]);
    });
  }

  // A listing as [key, value] pairs: a JSON object, or an array of {key, value} or pairs.
  function pairs(data) {
    if (Array.isArray(data)) {
      return data.map(function (e) { return Array.isArray(e) ? e : [e.key, e.value]; });
    }
    return Object.keys(data).map(function (k) { return [k, data[k]]; });
  }

  function call(method, url, body, list) {
    var init = { method: method, headers: {} };
    if (body !== undefined) {
      init.body = body;
      init.headers["Content-Type"] = "text/plain; charset=utf-8";
    }
    return fetch(api + url, init).then(function (resp) {
      return resp.text().then(function (text) {
        if (!resp.ok) { show(method + " " + url + ": " + resp.status + " " + text); return; }
        if (list) {
          try { var rows = pairs(JSON.parse(text)); show(rows.length + " value(s)", rows); return; }
          catch (e) { /* not JSON: shown as it came */ }
        }
        show(method === "GET" && !list ? text : method + " " + url + ": " + resp.status + (text ? "\n" + text : ""));
      });
    }).catch(function (err) { show(method + " " + url + ": " + err); });
  }

  function need(ids) {
    var missing = ids.filter(function (id) { return !$(id).value; });
    if (missing.length) { show("Fill in: " + missing.join(", ")); }
    return missing.length === 0;
  }

  $("put").onclick = function () { if (need(["schema", "key"])) { call("PUT", path("key", $("key").value), $("value").value); } };
  $("get").onclick = function () { if (need(["schema", "key"])) { call("GET", path("key", $("key").value)); } };
  $("delete").onclick = function () { if (need(["schema", "key"])) { call("DELETE", path("key", $("key").value)); } };
  $("list").onclick = function () { if (need(["schema"])) { call("GET", path("prefix", $("prefix").value), undefined, true); } };
  $("range").onclick = function () { if (need(["schema", "from", "to"])) { call("GET", path("range", $("from").value, $("to").value), undefined, true); } };

  fetch("config.json").then(function (r) { return r.json(); }).then(function (conf) {
    if (conf.apiUrl) { api = conf.apiUrl.replace(/\/?$/, "/"); }
    show("Ready: the REST API is at " + api);
  }).catch(function () { show("config.json is missing: using " + api); });
}());
