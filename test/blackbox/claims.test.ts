/**
 * No answer paid twice across processes: identical requests in flight are shared through the response
 * cache's database (claims with a lease), on SQLite and Postgres. Two processes (and two black boxes
 * with their own in-flight maps in one process) sending the same prompts at once get each prompt
 * answered once by the server; a claimant that died (its claim left, lease short) blocks the others only
 * until its lease lapses; a claimant whose request failed releases its claim, and the waiter sends.
 * The two-process test runs the built package (dist/: `npx tsc -p tsconfig.build.json`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { openBlackBox, type WrappedBlackBox } from "../../src/blackbox/client.js";
import { runNodeProcess } from "../helpers/cli.js";
import { type StoreBackend, storeBackends } from "../store/conformance/backends.js";

const DIST = join(import.meta.dirname, "../../dist/blackbox/index.js");
const prompts = Array.from(
  { length: 12 },
  (_, i) => `Instruction: give the antonym\n\nInput: word${i}\n\nOutput:`,
);

function blackBox(
  server: FakeOpenAI,
  cachePath: string,
  extra: Record<string, unknown> = {},
): WrappedBlackBox {
  return openBlackBox("openai:gpt-4o-mini", {
    baseURL: server.url,
    apiKey: "sk-test",
    cachePath,
    concurrency: 4,
    maxRetries: 0,
    claimPollMs: 20,
    ...extra,
  });
}

/** Requests the server received per prompt since `from`. */
function perPrompt(server: FakeOpenAI, from: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of server.requests.slice(from)) m.set(e.prompt, (m.get(e.prompt) ?? 0) + 1);
  return m;
}

describe.each(storeBackends())(
  "requests in flight shared across processes on $name",
  (backend: StoreBackend) => {
    let server: FakeOpenAI;
    beforeAll(async () => {
      await backend.start();
      server = await startFakeOpenAI({ latencyMs: 300 });
    }, 120_000);
    afterAll(async () => {
      await server.close();
      await backend.stop();
    });

    it("two black boxes of one process, each with its own in-flight map: every prompt answered once", async () => {
      const location = await backend.fresh("two-boxes");
      const a = blackBox(server, location);
      const b = blackBox(server, location);
      const from = server.requests.length;
      try {
        const [ra, rb] = await Promise.all([
          Promise.all(prompts.map((prompt) => a.complete({ prompt }))),
          Promise.all(prompts.map((prompt) => b.complete({ prompt }))),
        ]);
        expect(rb.map((r) => r.text)).toEqual(ra.map((r) => r.text));
        const counts = perPrompt(server, from);
        expect([...counts.values()]).toEqual(prompts.map(() => 1));
        // each prompt was paid by one of the two and a cache hit for the other
        for (let i = 0; i < prompts.length; i++)
          expect([ra[i].cached, rb[i].cached].sort()).toEqual([false, true]);
        expect(a.totals().requests + b.totals().requests).toBe(prompts.length);
        // no claim is left behind
        expect(await backend.sql(location, "SELECT key FROM response_claims")).toEqual([]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("two processes sending the same prompts at once: every prompt answered once", async () => {
      const location = await backend.fresh("two-processes");
      const script = join(mkdtempSync(join(tmpdir(), "iz-claims-")), "child.mjs");
      writeFileSync(
        script,
        `import { createBlackBox } from ${JSON.stringify(DIST)};
const [url, cachePath, prompts] = [process.argv[2], process.argv[3], JSON.parse(process.argv[4])];
const bb = createBlackBox("openai:gpt-4o-mini", { baseURL: url, apiKey: "sk-test", cachePath, concurrency: 4, maxRetries: 0, claimPollMs: 20 });
const out = await Promise.all(prompts.map((prompt) => bb.complete({ prompt })));
await bb.close();
process.stdout.write(JSON.stringify(out.map((r) => ({ text: r.text, cached: r.cached }))));
`,
      );
      const from = server.requests.length;
      const a = blackBox(server, location);
      try {
        // the child starts first; this process joins once the child's first request reached the server
        const child = runNodeProcess([script, server.url, location, JSON.stringify(prompts)]);
        for (let i = 0; i < 1000 && server.requests.length === from; i++)
          await new Promise((r) => setTimeout(r, 10));
        const mine = await Promise.all(prompts.map((prompt) => a.complete({ prompt })));
        const r = await child;
        expect(r.code, r.stderr).toBe(0);
        const theirs = JSON.parse(r.stdout) as { text: string; cached: boolean }[];
        expect(mine.map((x) => x.text)).toEqual(theirs.map((x) => x.text));
        const counts = perPrompt(server, from);
        expect([...counts.values()]).toEqual(prompts.map(() => 1));
        // each prompt paid by one process, a cache hit for the other
        for (let i = 0; i < prompts.length; i++)
          expect([mine[i].cached, theirs[i].cached].sort()).toEqual([false, true]);
      } finally {
        await a.close();
      }
    });

    it("a dead claimant (its claim left, lease short) blocks nobody beyond its lease", async () => {
      const location = await backend.fresh("dead-claimant");
      const a = blackBox(server, location);
      try {
        const request = { prompt: "Instruction: give the antonym\n\nInput: hot\n\nOutput:" };
        const key = a.keyOf(request);
        // a process that claimed the request and died: its lease ends in 1 s and is never renewed
        const now =
          backend.name === "postgres" ? "EXTRACT(EPOCH FROM clock_timestamp()) * 1000" : String(Date.now());
        await backend.sql(
          location,
          `INSERT INTO response_claims (key, owner, expires_ms) VALUES (?, 'dead-host:1:x', ${now} + 1000)`,
          [key],
        );
        const from = server.requests.length;
        const r = await a.complete(request);
        expect(r.cached).toBe(false);
        expect(r.text).toBe("cold");
        expect(server.requests.length - from).toBe(1);
        expect(await backend.sql(location, "SELECT key FROM response_claims")).toEqual([]);
      } finally {
        await a.close();
      }
    });

    it("the claim of a killed process of this host is taken over at once, whatever its lease", async () => {
      const location = await backend.fresh("killed-claimant");
      const a = blackBox(server, location);
      try {
        const request = { prompt: "Instruction: give the antonym\n\nInput: fast\n\nOutput:" };
        const gone = spawnSync(process.execPath, ["-e", ""]).pid; // a process that has exited
        const now =
          backend.name === "postgres" ? "EXTRACT(EPOCH FROM clock_timestamp()) * 1000" : String(Date.now());
        await backend.sql(
          location,
          `INSERT INTO response_claims (key, owner, expires_ms) VALUES (?, ?, ${now} + 3600000)`,
          [a.keyOf(request), `${hostname()}:${gone}:x`],
        );
        const r = await a.complete(request);
        expect(r.text).toBe("slow");
        expect(await backend.sql(location, "SELECT key FROM response_claims")).toEqual([]);
      } finally {
        await a.close();
      }
    });

    it("a claimant whose request failed releases its claim; the waiter sends it", async () => {
      const location = await backend.fresh("failed-claimant");
      const a = blackBox(server, location);
      const b = blackBox(server, location);
      try {
        const request = { prompt: "Instruction: give the antonym\n\nInput: big\n\nOutput:" };
        const from = server.requests.length;
        server.setFaults({ [from + 1]: "400" }); // the first request is refused for good
        const results = await Promise.allSettled([a.complete(request), b.complete(request)]);
        server.setFaults({});
        expect(results.map((x) => x.status).sort()).toEqual(["fulfilled", "rejected"]);
        const ok = results.find((x) => x.status === "fulfilled") as PromiseFulfilledResult<{ text: string }>;
        expect(ok.value.text).toBe("small");
        expect(server.requests.length - from).toBe(2);
        expect(await backend.sql(location, "SELECT key FROM response_claims")).toEqual([]);
      } finally {
        await a.close();
        await b.close();
      }
    });
  },
);
