/**
 * Scrub credentials carried by URLs out of any text before it is shown: error messages, stack
 * traces, log lines. Works on URLs anywhere inside a string, so a message can be passed whole.
 */

/** `scheme://userinfo@`: userinfo runs to the last `@` before the path, query, fragment or a blank. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi;

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
 * `https://user@host` become `https://***@host`; the values of query parameters named key,
 * api_key, token, access_token, sig (and a few alike) become `***`. Idempotent.
 */
export function redactUrl(text: string): string {
  if (typeof text !== "string" || text === "") return text;
  return text.replace(USERINFO, "$1***@").replace(SECRET_PARAM, "$1***");
}
