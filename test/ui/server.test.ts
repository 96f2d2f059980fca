/**
 * The dashboard's server without a browser: loopback by default and a token otherwise (generated, from
 * the environment, checked on every route including the live streams), the Host check, read-only
 * methods, the security headers, redacted store URLs, no write to the store; and the store's paging
 * queries (filters, live status, sorting) on a synthetic ledger.
 */

import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { candidatesPage, runsPage } from "../../src/store/queries.js";
import { isLoopback, tokenFor, UI_CSP } from "../../src/ui/security.js";
import { startUiServer, type UiServer } from "../../src/ui/server.js";
import { uiPage } from "../../src/ui/views/layout.js";
import { makeConfig, makeRecord } from "../store/synthetic.js";

const dir = mkdtempSync(join(tmpdir(), "iz-ui-server-"));
const file = join(dir, "runs.sqlite");
let completed = "";
let running = "";

/** One raw request (Node's fetch cannot set Host). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
        // event streams never end: the first chunk is enough
        if (String(res.headers["content-type"]).startsWith("text/event-stream")) res.destroy();
      });
      res.on("close", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Row counts of every table (to see that nothing was written). */
function counts(): Record<string, number> {
  const ledger = openLedger(file, { create: false, ownConnection: true });
  try {
    const out: Record<string, number> = {};
    for (const t of ["runs", "evaluations", "state", "examples", "spend", "run_locks", "meta"])
      out[t] = Number(ledger.driver.value(`SELECT COUNT(*) FROM ${t}`));
    out.updated = Number(new Date(String(ledger.driver.value("SELECT MAX(updated_at) FROM runs"))));
    return out;
  } finally {
    ledger.close();
  }
}

beforeAll(() => {
  const ledger = openLedger(file, { ownConnection: true });
  for (let r = 0; r < 130; r++) {
    const id = ledger.createRun(makeConfig({ seed: r, method: r % 2 ? "ape" : "instructzero" }));
    for (let i = 0; i < 3; i++) ledger.appendEvaluation(id, makeRecord(i, { score: (r + i) / 200 }));
    if (r === 0) completed = id;
    if (r === 1) running = id;
    if (r % 3 === 0) ledger.setStatus(id, "stopped", "budget");
  }
  // run 1 stays "running" without a lock holder: it reads as interrupted
  ledger.setStatus(running, "running");
  ledger.close();
});

describe("access", () => {
  it("needs a token off loopback: given, from INSTRUCTZERO_UI_TOKEN, else generated", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.4.5.6")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("[::1]")).toBe(true);
    expect(isLoopback("localhost")).toBe(true);
    expect(isLoopback("0.0.0.0")).toBe(false);
    expect(isLoopback("192.168.1.4")).toBe(false);
    expect(tokenFor("127.0.0.1", undefined, {})).toBeUndefined();
    const generated = tokenFor("0.0.0.0", undefined, {});
    expect(generated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenFor("0.0.0.0", undefined, {})).not.toBe(generated);
    expect(tokenFor("0.0.0.0", undefined, { INSTRUCTZERO_UI_TOKEN: "from-the-env-1234567" })).toBe(
      "from-the-env-1234567",
    );
    expect(tokenFor("10.0.0.1", "given-token-123456789", { INSTRUCTZERO_UI_TOKEN: "x" })).toBe(
      "given-token-123456789",
    );
  });

  it("shows a store URL without its password", () => {
    const html = uiPage(
      { store: "postgres://alice:s3cret-pw@db.example:5432/runs", producer: "instructzero test" },
      { title: "t", body: "" },
    );
    expect(html).not.toContain("s3cret-pw");
    expect(html).toContain("postgres://***@db.example:5432/runs");
  });
});

describe("the server", () => {
  let open: UiServer;
  let guarded: UiServer;
  const token = "a-token-for-the-tests-0123456789";
  let before: Record<string, number>;

  beforeAll(async () => {
    before = counts();
    open = await startUiServer({ store: file, storeGiven: true, port: 0, pollMs: 50 });
    guarded = await startUiServer({ store: file, port: 0, pollMs: 50, token });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
  });

  it("serves on 127.0.0.1 with a strict policy, only GET, only its own Host", async () => {
    expect(open.origin).toBe(`http://127.0.0.1:${open.port}/`);
    expect(open.token).toBeUndefined();
    const host = { host: `127.0.0.1:${open.port}` };
    const ok = await get(open.port, "/", host);
    expect(ok.status).toBe(200);
    expect(ok.headers["content-security-policy"]).toBe(UI_CSP);
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).not.toContain("unsafe");
    expect(ok.headers["x-content-type-options"]).toBe("nosniff");
    expect(ok.body).not.toMatch(/<script>|<script [^>]*>[^<]/); // scripts only by src
    expect((await get(open.port, "/", { host: `localhost:${open.port}` })).status).toBe(200);
    expect((await get(open.port, "/", { host: `evil.example:${open.port}` })).status).toBe(421);
    expect((await get(open.port, "/events/runs", { host: "rebound.example" })).status).toBe(421);
    expect((await get(open.port, "/", host, "POST")).status).toBe(405);
    expect((await get(open.port, "/assets/ui.js", host)).headers["content-type"]).toContain(
      "text/javascript",
    );
  });

  it("requires the token on every route, the live streams included", async () => {
    const p = guarded.port;
    for (const path of [
      "/",
      "/assets/ui.js",
      "/events/runs",
      `/runs/${completed}`,
      `/events/runs/${completed}`,
      "/sweeps",
    ]) {
      expect((await get(p, path)).status, path).toBe(401);
      expect((await get(p, path, { authorization: "Bearer wrong-token-0123456789012" })).status, path).toBe(
        401,
      );
      expect((await get(p, path, { authorization: `Bearer ${token}` })).status, path).toBe(200);
      expect((await get(p, path, { cookie: `iz_ui_token=${token}` })).status, path).toBe(200);
    }
    const first = await get(p, `/runs/${completed}?token=${token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(`/runs/${completed}`);
    expect(String(first.headers["set-cookie"])).toMatch(/iz_ui_token=.*HttpOnly.*SameSite=Strict/);
    expect(guarded.url).toBe(`${guarded.origin}?token=${token}`);
  });

  it("streams a first update of the runs page at once", async () => {
    const r = await get(open.port, "/events/runs", { host: `127.0.0.1:${open.port}` });
    expect(r.headers["content-type"]).toContain("text/event-stream");
    expect(r.body).toMatch(/^event: update\ndata: \{"replace":\{"runs-count":".*","runs-body":/);
  });

  it("shows the interrupted run's resume command and never writes to the store", async () => {
    const host = { host: `127.0.0.1:${open.port}` };
    const page = await get(open.port, "/?status=interrupted", host);
    expect(page.body).toContain(`instructzero resume ${running} --ledger ${file}`);
    for (const path of [
      "/",
      "/?offset=100",
      `/runs/${completed}`,
      `/runs/${completed}/candidates?sort=instruction&dir=asc`,
      `/runs/${completed}/candidates/1`,
      `/compare?run=${completed}&run=${running}`,
      "/sweeps",
      `/runs/${completed}/report.html`,
      `/runs/${completed}/export.json`,
    ])
      expect((await get(open.port, path, host)).status, path).toBe(200);
    expect((await get(open.port, "/runs/no-such-run", host)).status).toBe(404);
    expect((await get(open.port, `/runs/${completed}/candidates/99`, host)).status).toBe(404);
    expect(counts()).toEqual(before);
  });
});

describe("store queries for viewers", () => {
  it("pages runs newest first, filters by field and by live status", () => {
    const ledger = openLedger(file, { readonly: true, create: false, ownConnection: true });
    try {
      const all = runsPage(ledger, {}, { limit: 50 });
      expect(all.total).toBe(130);
      expect(all.rows).toHaveLength(50);
      expect(all.rows[0].seed).toBe(129);
      expect(all.rows.every((r) => r.evaluations === 3 && r.budget > 0)).toBe(true);
      const last = runsPage(ledger, {}, { offset: 100, limit: 50 });
      expect(last.rows.map((r) => r.seed)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
      expect(runsPage(ledger, { method: "ape" }).total).toBe(65);
      expect(runsPage(ledger, { status: "stopped" }).total).toBe(44);
      const interrupted = runsPage(ledger, { status: "interrupted" });
      expect(interrupted.total).toBeGreaterThanOrEqual(1);
      expect(interrupted.rows.map((r) => r.id)).toContain(running);
      expect(runsPage(ledger, { status: "running" }).rows.map((r) => r.id)).not.toContain(running);
      expect(runsPage(ledger, { q: running }).rows.map((r) => r.id)).toEqual([running]);
      // the same numbers as the ledger's own list
      const listed = new Map(ledger.listRuns().map((r) => [r.id, r]));
      for (const r of all.rows) {
        const l = listed.get(r.id)!;
        expect([r.status, r.bestScore, r.calls, r.costUsd, r.evaluations]).toEqual([
          l.status,
          l.bestScore,
          l.calls,
          l.costUsd,
          l.evaluations,
        ]);
      }
    } finally {
      ledger.close();
    }
  });

  it("sorts a run's candidates on a column and pages them", () => {
    const ledger = openLedger(file, { readonly: true, create: false, ownConnection: true });
    try {
      const bySore = candidatesPage(ledger, completed, { sort: "score", descending: true });
      expect(bySore.total).toBe(3);
      expect(bySore.rows.map((r) => r.score)).toEqual([2 / 200, 1 / 200, 0]);
      const byIndex = candidatesPage(ledger, completed, {
        sort: "index",
        descending: false,
        offset: 1,
        limit: 1,
      });
      expect(byIndex.rows.map((r) => r.index)).toEqual([1]);
    } finally {
      ledger.close();
    }
  });
});
