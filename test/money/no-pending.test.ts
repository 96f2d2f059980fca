/**
 * A run stopped cleanly by --max-cost leaves no request `pending` in its spend log (issue 21 item 6):
 * every request sent is settled (paid, abandoned or deleted) before the run ends, for each method.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };
let server: FakeOpenAI;
beforeAll(async () => {
  server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 30 });
});
afterAll(() => server.close());

it.each(["instructzero", "ape", "uniform"])(
  "no pending after --max-cost (%s)",
  async (method) => {
    const ledger = join(fx.dir, `${method}.sqlite`);
    const r = await runCli(
      [
        ...["optimize", "--task", fx.taskFile, "--target", "openai:gpt-4o-mini", "--base-url", server.url],
        ...["--generator", fx.model, "--method", method, "--validation-size", "5", "--budget", "20"],
        ...[
          "--initial-points",
          "10",
          "--batch-size",
          "5",
          "--max-cost",
          "0.0007",
          "--concurrency",
          "8",
          "--cache",
          join(fx.dir, `${method}.cache`),
        ],
        ...["--ledger", ledger, "--json"],
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const db = new Database(ledger, { readonly: true });
    const rows = db.prepare("SELECT state, COUNT(*) AS n FROM spend GROUP BY state").all();
    db.close();
    expect(out.status).toBe("stopped");
    expect(out.reason).toMatch(/--max-cost/);
    expect((rows as { state: string }[]).map((x) => x.state)).toEqual(["paid"]);
  },
  120_000,
);
