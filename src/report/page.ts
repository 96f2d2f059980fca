/**
 * The shell of the self-contained report pages: doctype, a Content-Security-Policy that forbids scripts
 * and every network load, inline CSS, and the styles both pages share.
 */
import { escapeHtml as esc } from "./escape.js";

/** Styles shared by the run report and the sweep report. */
export const BASE_CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5f6b7a; --line: #d9dee6; --accent: #2457c5;
  --good: #1e7b3c; --bad: #b3261e; --bg: #ffffff; --soft: #f5f7fa; --base: #b35f00; --init: #d9822b; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 8px; }
.meta, .note, footer { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 18px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: 4px 8px; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { white-space: pre-wrap; word-break: break-word; max-width: 520px; }
td.text div { max-height: 12em; overflow: auto; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; }
.chart { max-width: 100%; height: auto; }
.chart .grid { stroke: #eceff3; } .chart .axis { stroke: #8a94a3; }
.chart .tick, .chart .label, .chart .iteration-label, .chart .empty, .chart .end-label { fill: var(--muted); font-size: 11px; }
.interval-bar { vertical-align: middle; }
.interval-bar .track { stroke: var(--line); stroke-width: 1; }
.interval-bar .ci, .interval-bar .ci-end { stroke: var(--accent); stroke-width: 2; }
.interval-bar .estimate { fill: var(--accent); }
.interval-bar .dot { fill: #8fa3c4; fill-opacity: 0.8; }
.verdict-better, .win { color: var(--good); } .verdict-worse, .loss { color: var(--bad); }
.verdict-indistinguishable, .tie { color: var(--muted); }
details summary { cursor: pointer; color: var(--accent); margin: 8px 0; }
`;

/** A complete HTML document (UTF-8) around `body`; `title` is untrusted (escaped here). */
export function htmlPage(o: { title: string; css: string; body: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<style>${o.css}</style>
</head>
<body>
${o.body}
</body>
</html>
`;
}
