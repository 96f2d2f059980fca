/**
 * The dashboard over a Postgres store (a throwaway cluster): a sweep enqueued with `bench --queue`
 * shows its cells waiting, then done once a worker process ran them while the dashboard was open; the
 * runs, run, candidate and sweeps pages render from the shared store; the store's password reaches no
 * page. Needs `npm run build` (bench and worker are CLI processes).
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { startUiServer } from "../../src/ui/server.js";
import { runCli } from "../helpers/cli.js";
import { findPostgresBin, startPostgres, type TestPostgres } from "../helpers/postgres.js";

const havePostgres = findPostgresBin() !== undefined;
const fx = makeOptimizeFixture();
let pgServer: TestPostgres;
let server: FakeOpenAI;

beforeAll(async () => {
  if (!havePostgres) return;
  pgServer = await startPostgres();
  server = await startFakeOpenAI({ answer: instructionQualityAnswer });
});
afterAll(async () => {
  await server?.close();
  await pgServer?.stop();
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("instructzero ui on a Postgres store", () => {
  it.skipIf(!havePostgres)(
    "shows a queued sweep's cells and their runs while a worker runs them; no password on any page",
    async () => {
      const url = (await pgServer.createDatabase("ui")).replace("postgres@", "postgres:pw-ui-secret-7@");
      const env = { OPENAI_API_KEY: "sk-test" };
      const grid = ["--tasks", fx.taskFile, "--methods", "uniform,ape", "--seeds", "0"];
      const run = [
        ...["--target", "openai:fake", "--base-url", server.url, "--generator", fx.model],
        ...["--budget", "6", "--initial-points", "4", "--batch-size", "2", "--validation-size", "3"],
      ];
      const enq = await runCli(["bench", ...grid, ...run, "--queue", url], { env });
      expect(enq.code, enq.stderr).toBe(0);

      const ui = await startUiServer({ store: url, storeGiven: true, port: 0, pollMs: 100 });
      try {
        expect(ui.store).not.toContain("pw-ui-secret-7");
        const waiting = await get(ui.port, "/sweeps");
        expect(waiting.status).toBe(200);
        expect(waiting.body).toContain("2 cells: 0 done, 0 running, 2 waiting");
        const worker = await runCli(["worker", "--store", url, "--exit-when-done", "--poll", "200"], { env });
        expect(worker.code, worker.stderr).toBe(0);

        const sweeps = await get(ui.port, "/sweeps");
        expect(sweeps.body).toContain("2 cells: 2 done");
        expect(sweeps.body.match(/<tr class="cell-done">/g)).toHaveLength(2);
        const runs = await get(ui.port, "/");
        const ids = [...runs.body.matchAll(/data-run="([^"]+)"/g)].map((m) => m[1]);
        expect(ids).toHaveLength(2);
        const pages = [
          runs,
          sweeps,
          waiting,
          await get(ui.port, `/runs/${ids[0]}`),
          await get(ui.port, `/runs/${ids[1]}/candidates?sort=calls`),
          await get(ui.port, `/runs/${ids[1]}/candidates/2`),
          await get(ui.port, `/compare?run=${ids[0]}&run=${ids[1]}`),
          await get(ui.port, `/runs/${ids[0]}/report.html`),
        ];
        for (const p of pages) {
          expect(p.status).toBe(200);
          expect(p.body).not.toContain("pw-ui-secret-7");
          expect(p.body).not.toContain("sk-test");
        }
        expect(pages[3].body).toContain('id="progress-chart"');
        expect(pages[5].body).toContain('id="candidate-examples-table"');
        expect(runs.body).toContain("postgres://***@127.0.0.1:");
      } finally {
        await ui.close();
      }
    },
    240_000,
  );
});
