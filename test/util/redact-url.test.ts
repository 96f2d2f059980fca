/**
 * URL credentials in messages: a password holding an unencoded "#", "/" or "?" is hidden whole (the
 * redaction no longer stops at those characters), and such a URL is refused by the Postgres store with
 * the fix (percent-encoding) named and nothing of the URL repeated. A command-line argument holding a
 * URL password is recognised (the CLI warns about the process list).
 */
import { describe, expect, it } from "vitest";
import { PostgresDriver } from "../../src/db/postgres.js";
import { UserError } from "../../src/util/errors.js";
import { hasUrlPassword, redactUrl, unencodedPasswordProblem } from "../../src/util/redact.js";

const SECRETS = ["pa#ss-word9", "pa/ss-word9", "pa?ss-word9", "p#a/s?s@w0rd"];

describe("redactUrl with unencoded characters in the password", () => {
  for (const pw of SECRETS) {
    it(`hides every part of the password ${JSON.stringify(pw)}`, () => {
      const text = `error: cannot connect to postgres://iz:${pw}@db.example:5432/instructzero (timeout)`;
      const out = redactUrl(text);
      for (const part of pw.split(/[#/?@]/).filter((p) => p.length >= 2)) expect(out).not.toContain(part);
      expect(out).toContain("postgres://***@");
      expect(out).toContain("(timeout)");
      expect(redactUrl(out)).toBe(out);
    });
  }

  it("leaves URLs without credentials alone and keeps the usual redactions", () => {
    expect(redactUrl("see https://example.com/a?b=c#d for more")).toBe(
      "see https://example.com/a?b=c#d for more",
    );
    expect(redactUrl("postgres://db:5432/x and http://h:8080/p")).toBe(
      "postgres://db:5432/x and http://h:8080/p",
    );
    expect(redactUrl("postgres://iz:simple@db/x")).toBe("postgres://***@db/x");
    expect(redactUrl("https://api.example/v1?key=abc123&x=1")).toBe("https://api.example/v1?key=***&x=1");
  });
});

describe("unencodedPasswordProblem", () => {
  it("names the characters and the fix without repeating the URL", () => {
    const url = "postgres://iz:zq#xk/vj@db:5432/instructzero";
    const problem = unencodedPasswordProblem(url);
    expect(problem).toMatch(/"#", "\/"/);
    expect(problem).toMatch(/percent-encoded/);
    expect(problem).toMatch(/%23/);
    expect(problem).toMatch(/PGPASSWORD/);
    expect(problem).not.toContain("zq");
    expect(problem).not.toContain("xk");
    expect(problem).not.toContain("vj");
  });

  it("accepts encoded passwords, URLs without one, and an @ after the host", () => {
    expect(unencodedPasswordProblem("postgres://iz:pa%23ss%2Fwd@db:5432/x")).toBeUndefined();
    expect(unencodedPasswordProblem("postgres://iz@db/x")).toBeUndefined();
    expect(unencodedPasswordProblem("postgres://db/x")).toBeUndefined();
    expect(unencodedPasswordProblem("postgres://iz:pw@db/x?application_name=a@b")).toBeUndefined();
  });

  it("the Postgres store refuses such a URL before connecting, with a UserError that holds no part of it", () => {
    let err: unknown;
    try {
      new PostgresDriver("postgres://iz:sec#ret/part@127.0.0.1:1/x", "run store");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const message = (err as Error).message;
    expect(message).toMatch(/run store URL cannot be used/);
    expect(message).toMatch(/percent-encoded/);
    for (const part of ["sec", "ret", "part", "127.0.0.1"]) expect(message).not.toContain(part);
  });
});

describe("hasUrlPassword", () => {
  it("finds a password in an argument, also as --store=URL", () => {
    expect(hasUrlPassword("postgres://iz:pw@db/x")).toBe(true);
    expect(hasUrlPassword("--store=postgres://iz:p#w@db/x")).toBe(true);
    expect(hasUrlPassword("postgres://iz@db/x")).toBe(false);
    expect(hasUrlPassword("postgres://db:5432/x")).toBe(false);
    expect(hasUrlPassword("--task")).toBe(false);
  });
});
