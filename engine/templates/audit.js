(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#outcomes .o"));
  var ids = ["clinic", "measure", "status", "reason", "disagree"];
  var selects = ids.map(function (k) { return document.getElementById("f-" + k); });
  var patient = document.getElementById("f-patient");
  var count = document.getElementById("f-count");
  function apply() {
    var want = selects.map(function (s) { return s.value; });
    var q = patient.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (r) {
      var ok = true;
      for (var i = 0; i < ids.length && ok; i++) {
        if (want[i] && r.dataset[ids[i]] !== want[i]) { ok = false; }
      }
      if (ok && q && r.dataset.patient.toLowerCase().indexOf(q) === -1) { ok = false; }
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown + " of " + rows.length + " rows shown";
  }
  var order = document.getElementById("f-order");
  var box = document.getElementById("outcomes");
  rows.forEach(function (r, i) { r.dataset.i = i; });
  function reorder() {
    var first = order.value === "disagree";
    var sorted = rows.slice().sort(function (a, b) {
      var d = first ? (b.dataset.disagree | 0) - (a.dataset.disagree | 0) : 0;
      return d || (a.dataset.i - b.dataset.i);
    });
    sorted.forEach(function (r) { box.appendChild(r); });
  }
  order.addEventListener("change", reorder);
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  patient.addEventListener("input", apply);
  apply();
})();
