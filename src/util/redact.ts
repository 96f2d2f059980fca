/**
 * Scrub credentials carried by URLs out of any text before it is shown: error messages, stack
 * traces, log lines. Works on URLs anywhere inside a string, so a message can be passed whole.
 */

/** `scheme://userinfo@`: userinfo runs to the last `@` before the path, query, fragment or a blank. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi;
/**
 * `scheme://user:password@` whose password holds an unencoded `/`, `?` or `#` (which end the userinfo
 * for a URL parser): everything from the scheme to the last `@` of the URL (up to a blank or a quote)
 * is the userinfo. A URL with a port and an `@` in its path or query loses its host too: a little too
 * much hidden rather than a password shown.
 */
const LOOSE_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>@:]*:[^\s"'<>]*@/gi;

/** Query (or fragment) parameters whose value is a credential. */
const SECRET_PARAMS = [
  "key",
  "api_key",
  "api-key",
  "apikey",
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "auth",
  "sig",
  "signature",
  "password",
  "secret",
  "client_secret",
];
const SECRET_PARAM = new RegExp(`([?&#;](?:${SECRET_PARAMS.join("|")})=)[^&#\\s"'<>]*`, "gi");

/**
 * `text` with every URL credential replaced by `***`: `https://user:password@host` and
 * `https://user@host` become `https://***@host` (also when the password holds an unencoded `/`, `?`
 * or `#`); the values of query parameters named key, api_key, token, access_token, sig (and a few
 * alike) become `***`. Idempotent.
 */
export function redactUrl(text: string): string {
  if (typeof text !== "string" || text === "") return text;
  return text.replace(LOOSE_USERINFO, "$1***@").replace(USERINFO, "$1***@").replace(SECRET_PARAM, "$1***");
}

/**
 * Why a `scheme://user:password@host` URL cannot be used as given, without repeating any of it: its
 * password holds a character a URL parser takes for the end of the userinfo (`/`, `?`, `#`), so the
 * password would be cut and the rest read as host, path or fragment. Undefined when it is fine.
 */
export function unencodedPasswordProblem(url: string): string | undefined {
  const m = /^\s*[a-z][a-z0-9+.-]*:\/\/(\S*)$/i.exec(url);
  if (!m) return undefined;
  const rest = m[1];
  const end = rest.search(/[/?#]/);
  const last = rest.lastIndexOf("@");
  // the authority (to the first "/", "?" or "#") has no "@" but one follows: the userinfo was cut
  if (end < 0 || last < end || rest.slice(0, end).includes("@")) return undefined;
  const bad = [...new Set(rest.slice(0, last).match(/[/?#]/g) ?? [])];
  return (
    `its user name or password holds ${bad.map((c) => `"${c}"`).join(", ")}, which must be percent-encoded in a URL ` +
    '("/" as %2F, "?" as %3F, "#" as %23, "@" as %40, ":" as %3A, "%" as %25); or leave the password out of the URL ' +
    "and give it in PGPASSWORD or ~/.pgpass"
  );
}

/** True when `arg` (a command-line argument, e.g. `--store=...`) holds a URL carrying a password. */
export function hasUrlPassword(arg: string): boolean {
  return /[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s@]*@/i.test(arg);
}
