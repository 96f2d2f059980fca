/**
 * The dashboard's one stylesheet and one script, served as files (`/assets/ui.css`, `/assets/ui.js`):
 * the Content-Security-Policy allows no inline code. The styles are the reports' own plus the
 * dashboard's; the script follows the page's event stream and swaps in the elements the server
 * redrew (already-escaped HTML), keeping ticked boxes ticked. No library, no request elsewhere.
 */
import { RUN_REPORT_CSS } from "../report/html.js";
import { SWEEP_REPORT_CSS } from "../report/sweep-html.js";

const UI_CSS = `
nav.top { display: flex; gap: 16px; align-items: center; border-bottom: 1px solid var(--line); padding: 0 0 8px; margin-bottom: 16px; }
nav.top a { color: var(--fg); text-decoration: none; font-weight: 600; }
nav.top a.active { color: var(--accent); border-bottom: 2px solid var(--accent); }
nav.top .store { margin-left: auto; color: var(--muted); font-size: 12px; }
.live-dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--line); }
.live-dot.on { background: var(--good); } .live-dot.off { background: var(--bad); }
a { color: var(--accent); }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 8px 0; }
.filters label { color: var(--muted); font-size: 12px; }
#compare-form { margin: 6px 0; }
.status { font-weight: 600; }
.status-running { color: var(--accent); } .status-completed, .status-done { color: var(--good); }
.status-interrupted, .status-failed { color: var(--bad); } .status-stopped, .status-waiting { color: var(--base); }
.resume { font-size: 12px; color: var(--muted); }
.live-panel { margin: 8px 0 12px; }
.live-panel .cards { grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); }
.live-item .v a { font-size: 12px; font-weight: normal; }
.live-item { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.live-item .k { color: var(--muted); font-size: 12px; } .live-item .v { font-size: 16px; font-weight: 600; }
.live-item .sub { color: var(--muted); font-size: 12px; }
.live-item progress { width: 100%; height: 10px; }
.run-links { margin: 4px 0 0; }
.side-by-side { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.side-by-side h3 { margin: 0; font-size: 14px; }
.compare-chart h3 { font-size: 14px; }
#compare-table td { vertical-align: top; }
th.sorted a { color: var(--fg); }
th a { color: inherit; text-decoration: none; }
`;

/** `/assets/ui.css`. */
export const UI_STYLESHEET = `${RUN_REPORT_CSS}\n${SWEEP_REPORT_CSS}\n${UI_CSS}`;

/** `/assets/ui.js`: follows the page's event stream (body[data-events]). */
export const UI_SCRIPT = `"use strict";
(function () {
  var body = document.body;
  var url = body.getAttribute("data-events");
  var dot = document.getElementById("live-dot");
  if (!url || typeof EventSource === "undefined") return;
  var es = new EventSource(url);
  es.addEventListener("open", function () { if (dot) dot.className = "live-dot on"; });
  es.addEventListener("error", function () { if (dot) dot.className = "live-dot off"; });
  es.addEventListener("update", function (ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    var replace = msg.replace || {};
    Object.keys(replace).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      var ticked = Array.prototype.map.call(el.querySelectorAll("input[type=checkbox]:checked"), function (i) { return i.value; });
      var t = document.createElement("template");
      t.innerHTML = replace[id];
      var node = t.content.firstElementChild;
      if (!node) return;
      Array.prototype.forEach.call(node.querySelectorAll("input[type=checkbox]"), function (i) {
        if (ticked.indexOf(i.value) >= 0) i.checked = true;
      });
      el.replaceWith(node);
    });
    body.setAttribute("data-updates", String(Number(body.getAttribute("data-updates") || "0") + 1));
    if (msg.done) { es.close(); if (dot) dot.className = "live-dot"; }
  });
})();
`;
