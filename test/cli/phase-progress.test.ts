/**
 * Progress everywhere a user waits (issue 21 item 5): after the search, selection, baselines and test
 * each show their own progress (queries answered of the most the phase asks, calls and dollars) instead
 * of a bar sitting full. The library reports by callback (ProgressEvent.step); the CLI draws.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };
let server: FakeOpenAI;
beforeAll(async () => {
  server = await startFakeOpenAI({ answer: instructionQualityAnswer });
});
afterAll(() => server.close());

describe("phase progress", () => {
  it("selection, baselines and test each print their own progress lines", async () => {
    const r = await runCli(
      [
        ...["optimize", "--task", fx.taskFile, "--target", "openai:gpt-4o-mini", "--base-url", server.url],
        ...["--generator", fx.model, "--method", "uniform", "--validation-size", "5", "--budget", "6"],
        ...["--initial-points", "6", "--max-cost", "1"],
        ...["--cache", join(fx.dir, "p.cache.sqlite"), "--ledger", join(fx.dir, "p.sqlite")],
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    for (const phase of ["select", "baselines", "test"]) {
      const lines = r.stderr.split("\n").filter((l) => l.startsWith(`[${phase}] `));
      expect(lines.length, `${phase}: ${r.stderr}`).toBeGreaterThanOrEqual(2);
      for (const l of lines)
        expect(l).toMatch(new RegExp(`^\\[${phase}\\] \\d+/\\d+ queries, calls \\d+, \\$`));
      // it starts at 0 and ends with every query answered
      const [, first] = /(\d+)\/\d+/.exec(lines[0]) ?? [];
      const [, done, total] = /(\d+)\/(\d+)/.exec(lines[lines.length - 1]) ?? [];
      expect(first).toBe("0");
      expect(done).toBe(total);
    }
    expect(r.stdout).toMatch(/^chosen {7}"/m);
  });
});
