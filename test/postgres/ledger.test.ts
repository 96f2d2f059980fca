/**
 * What is particular to the Postgres store: placeholders numbered for the server, and a server that
 * cannot be reached named without its password. Every ledger, response-cache and rate-limiter behaviour
 * runs on Postgres (and SQLite) in test/store/conformance.
 */
import { describe, expect, it } from "vitest";
import { ResponseCache } from "../../src/blackbox/cache.js";
import { numberPlaceholders } from "../../src/db/postgres.js";
import { openLedger } from "../../src/store/ledger.js";
import { UserError } from "../../src/util/errors.js";

describe("Postgres store", () => {
  it("numbers placeholders outside quoted text", () => {
    expect(numberPlaceholders("SELECT '?' AS q, ? AS a WHERE b = ? AND c = \"x?\"")).toBe(
      "SELECT '?' AS q, $1 AS a WHERE b = $2 AND c = \"x?\"",
    );
  });

  it("names a server that is not there without its password (ledger and response cache)", () => {
    expect(() => openLedger("postgres://u:pw-never-shown@127.0.0.1:1/x")).toThrow(UserError);
    try {
      openLedger("postgres://u:pw-never-shown@127.0.0.1:1/x");
    } catch (e) {
      expect((e as Error).message).toContain("cannot connect to the run ledger postgres://***@127.0.0.1:1/x");
      expect((e as Error).message).not.toContain("pw-never-shown");
    }
    expect(() => new ResponseCache("postgres://u:pw-hidden@127.0.0.1:1/x")).toThrow(
      /cannot connect to the response cache postgres:\/\/\*\*\*@127\.0\.0\.1:1\/x/,
    );
  });
});
