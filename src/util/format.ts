/**
 * Number, money, duration and date formatting, and terminal-safe text: shared by the reports, the CLI
 * and the budget messages.
 */

/** A score with 3 decimals ("-" for null/undefined). */
export function fmtScore(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(3);
}

/** Dollars: "$1.23", "$0.0042", "$0" (4 significant decimals below one dollar). */
export function fmtUsd(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  if (x === 0) return "$0";
  // never round a non-zero amount to $0.0000
  if (Math.abs(x) < 0.0001) return `$${x.toPrecision(2)}`;
  return Math.abs(x) >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`;
}

/** An integer with thousands separators: 1,234,567. */
export function fmtInt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  return Math.round(x)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Milliseconds as "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min ${String(sec).padStart(2, "0")} s`;
}

/** ISO timestamp -> "2026-11-21 12:00 UTC" (input returned unchanged when not a date). */
export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Make untrusted text safe for a terminal: control characters (ANSI escape sequences included) become
 * U+FFFD; newlines and tabs are kept.
 */
export function terminalSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd");
}

/**
 * Collapse whitespace, neutralise control characters and cut `text` to `max` characters with an
 * ellipsis (for one-line terminal displays of untrusted text).
 */
export function oneLine(text: string, max: number): string {
  const flat = terminalSafe(text.replace(/\s+/g, " ").trim());
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}
