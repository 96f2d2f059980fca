/**
 * What keeps the dashboard safe: it listens on loopback unless told otherwise, and then every request
 * (pages, assets, the live event streams) must carry a token; the Host header must name the server
 * (no DNS rebinding onto 127.0.0.1); every response has a strict Content-Security-Policy (scripts and
 * styles only from the server's own files, no inline code, no request to any other origin).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/** The cookie that carries the token after the first visit with `?token=`. */
export const TOKEN_COOKIE = "iz_ui_token";
/** The environment variable that gives the token (else one is generated). */
export const TOKEN_ENV = "INSTRUCTZERO_UI_TOKEN";

/** The policy of every page: nothing but the server's own scripts, styles and event streams. */
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** True for an address that only this machine reaches (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** A fresh random token (32 bytes, base64url). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * The token a server on `host` requires: the one given, else $INSTRUCTZERO_UI_TOKEN, else a new one
 * when `host` is not loopback; undefined (none) on loopback without one.
 */
export function tokenFor(
  host: string,
  given: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const fromEnv = env[TOKEN_ENV]?.trim() || undefined;
  return given ?? fromEnv ?? (isLoopback(host) ? undefined : newToken());
}

/** Compare two secrets in constant time. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Security headers on every response. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // a route may set a stricter or its own policy (the static report: inline styles only)
    if (!c.res.headers.has("Content-Security-Policy")) c.header("Content-Security-Policy", UI_CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    c.header("Cross-Origin-Resource-Policy", "same-origin");
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  };
}

/**
 * Only GET/HEAD (the dashboard never changes anything), and a Host header naming this server: a
 * page of another site that resolves its own name to 127.0.0.1 cannot read the dashboard.
 */
export function readOnlyAndHost(allowedHosts: () => readonly string[] | null): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return c.text("read-only dashboard", 405);
    const host = (c.req.header("host") ?? "").toLowerCase();
    const allowed = allowedHosts();
    if (allowed !== null && !allowed.includes(host)) return c.text("unknown host", 421);
    await next();
  };
}

/**
 * Require `token` on every request: `Authorization: Bearer TOKEN`, the cookie set by a first visit
 * with `?token=TOKEN` (which redirects to the same address without it), or `?token=` itself.
 */
export function requireToken(token: string): MiddlewareHandler {
  return async (c, next) => {
    const auth = c.req.header("authorization");
    const bearer = auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
    const query = c.req.query("token");
    const cookie = getCookie(c, TOKEN_COOKIE);
    const given = [bearer, cookie, query].filter((x): x is string => typeof x === "string");
    if (!given.some((g) => sameSecret(g, token))) {
      return c.text("this dashboard needs its token: open the address printed by `instructzero ui`", 401);
    }
    if (query !== undefined && c.req.method === "GET" && !c.req.path.startsWith("/events")) {
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/" });
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    await next();
  };
}
