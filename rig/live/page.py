"""The live page: one self-contained HTML document (inline style and script, no external
assets, so it works offline). It renders each snapshot the server pushes (EventSource on
``/events``); cells carry class names and rows ``data-machine`` so tests can read them."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>CoffeePay rig - live</title>
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
 h1 { font-size: 1.3em; margin: 0 0 .3em; }
 #status span { margin-right: 1.5em; }
 table { border-collapse: collapse; margin: 1em 0; }
 th, td { border: 1px solid #ccc; padding: .2em .6em; text-align: right; }
 th { background: #f3f3f3; } td.name, td.checkpoint, td.outcome { text-align: left; }
 .off, .offline, .violated, .error { background: #fdd; }
 .passed { background: #dfd; } .inconclusive { background: #ffd; }
 #timeline { max-height: 14em; overflow: auto; font-family: monospace; }
 #verdict { font-weight: bold; }
</style></head>
<body>
<h1 id="title">waiting for the rig...</h1>
<div id="status"><span>phase: <b id="phase">-</b></span><span>simulated time:
 <b id="clock">-</b></span><span>update <b id="seq">0</b></span></div>
<div id="verdict"></div>
<table id="machines"><thead><tr><th>machine</th><th>power</th><th>network</th>
 <th>last checkpoint</th><th>deposit</th><th>signed</th><th>redeemed</th>
 <th>owed (at risk)</th><th>served</th><th>verdict</th></tr></thead><tbody></tbody></table>
<h2>fault timeline</h2><ul id="timeline"></ul>
<script>
"use strict";
function eur(v) { return v == null ? "" : Number(v).toFixed(2); }
function cell(tr, cls, text, state) {
  const td = document.createElement("td");
  td.className = cls + (state ? " " + state : "");
  td.textContent = text;
  tr.appendChild(td);
}
function render(s) {
  document.getElementById("title").textContent = s.title || "CoffeePay rig";
  document.getElementById("phase").textContent = s.phase || "-";
  document.getElementById("clock").textContent = s.clock || "-";
  document.getElementById("seq").textContent = s.seq;
  const body = document.querySelector("#machines tbody");
  body.replaceChildren();
  for (const m of s.machines || []) {
    const tr = document.createElement("tr");
    tr.dataset.machine = m.name;
    cell(tr, "name", m.name);
    cell(tr, "power", m.powered ? "on" : "off", m.powered ? "" : "off");
    cell(tr, "net", m.online ? "online" : "offline", m.online ? "" : "offline");
    cell(tr, "checkpoint", m.checkpoint || "");
    cell(tr, "deposit", eur(m.deposit_eur));
    cell(tr, "signed", eur(m.signed_eur));
    cell(tr, "redeemed", eur(m.redeemed_eur));
    cell(tr, "owed", eur(m.owed_eur));
    cell(tr, "served", m.served == null ? "" : m.served);
    cell(tr, "outcome", m.outcome || "", m.outcome || "");
    body.appendChild(tr);
  }
  const list = document.getElementById("timeline");
  list.replaceChildren();
  for (const e of s.timeline || []) {
    const li = document.createElement("li");
    li.textContent = e.at + " " + e.action + " " + e.kind + " on " + e.where;
    list.appendChild(li);
  }
  const v = s.verdicts;
  const box = document.getElementById("verdict");
  box.className = v ? v.outcome : "";
  box.textContent = v ? v.outcome.toUpperCase() + ": " + v.message : "";
}
fetch("state").then(r => r.json()).then(render).catch(() => {});
const source = new EventSource("events");
source.onmessage = (e) => render(JSON.parse(e.data));
</script>
</body></html>
"""
