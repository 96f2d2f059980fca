/**
 * The shell of every dashboard page: the navigation, the store it reads (credentials never shown), the
 * one stylesheet and the one script (both served as files: the Content-Security-Policy forbids inline
 * code). `events`: the page's live event stream, which the script follows.
 */
import { escapeHtml as esc } from "../../report/escape.js";
import { redactUrl } from "../../util/redact.js";

/** What every page knows of the server. */
export interface PageContext {
  /** The store's location (a file path, or a postgres URL: redacted again here). */
  store: string;
  /** "instructzero <version>". */
  producer: string;
}

/** A complete dashboard page. `title` is untrusted (escaped); `body` is HTML built with escaping. */
export function uiPage(
  ctx: PageContext,
  o: { title: string; body: string; events?: string; active?: "runs" | "compare" | "sweeps" },
): string {
  const link = (href: string, key: "runs" | "compare" | "sweeps", text: string) =>
    `<a href="${href}"${o.active === key ? ' class="active" aria-current="page"' : ""}>${text}</a>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<link rel="stylesheet" href="/assets/ui.css">
<script src="/assets/ui.js" defer></script>
</head>
<body${o.events ? ` data-events="${esc(o.events)}"` : ""}>
<nav class="top">${link("/", "runs", "Runs")}${link("/compare", "compare", "Compare")}${link("/sweeps", "sweeps", "Sweeps")}<span class="live-dot" id="live-dot" title="live updates"></span><span class="store">store <code>${esc(redactUrl(ctx.store))}</code></span></nav>
${o.body}
<footer><p>${esc(ctx.producer)} · read-only dashboard</p></footer>
</body>
</html>
`;
}
