/**
 * `instructzero bench ... --html FILE` (the built CLI, dist/) against a fake OpenAI server: the sweep
 * report is written after the markdown table, with a section per task and a row per method.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { CLI, runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();

describe("instructzero bench --html", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) first`);
    server = await startFakeOpenAI({ answer: instructionQualityAnswer });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(fx.dir, { recursive: true, force: true });
  });

  it("writes a self-contained sweep report with mean ± s.e. and win/tie/loss per method", async () => {
    const html = join(fx.dir, "sweep.html");
    const r = await runCli(
      [
        "bench",
        ...["--tasks", fx.taskFile, "--methods", "uniform,ape", "--seeds", "0,1"],
        ...["--target", "openai:fake", "--base-url", server.url, "--generator", fx.model],
        ...["--budget", "4", "--initial-points", "2", "--batch-size", "2", "--validation-size", "3"],
        ...["--cache", join(fx.dir, "cache.sqlite"), "--ledger", join(fx.dir, "ledger.sqlite")],
        ...["--html", html],
      ],
      { env: { OPENAI_API_KEY: "sk-test" } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| task \| uniform \| ape \|$/m);
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain("<h3>reverse</h3>");
    const task = page.slice(
      page.indexOf('id="sweep-task-0"'),
      page.indexOf("</table>", page.indexOf('id="sweep-task-0"')),
    );
    const rows = task.match(/<tr class="method-row[^"]*">[\s\S]*?<\/tr>/g) ?? [];
    expect(rows.map((row) => /<td>([^<]*)<\/td>/.exec(row)?.[1])).toEqual(["uniform", "ape"]);
    // the same mean ± s.e. as the markdown table
    const md = /^\| reverse \| ([^|]+) \| ([^|]+) \|$/m.exec(r.stdout);
    expect(rows[0]).toContain(`<td class="num mean">${md?.[1].trim()}</td>`);
    expect(rows[1]).toContain(`<td class="num mean">${md?.[2].trim()}</td>`);
    // every run is compared with "no instruction": 2 seeds per method
    expect(task).toContain("vs no instruction");
    for (const row of rows) {
      const m =
        /<span class="win">(\d+)<\/span> \/ <span class="tie">(\d+)<\/span> \/ <span class="loss">(\d+)<\/span>/.exec(
          row,
        );
      expect(m, row).not.toBeNull();
      expect(Number(m![1]) + Number(m![2]) + Number(m![3])).toBe(2);
    }
    expect(page).toContain("seeds 0, 1 · 4 runs");
  });
});
