/**
 * When the user's own module fails, the error says what failed where: the module file (not the cache
 * id `module-<hash>`), the example, the instruction and the phase; the hint names INSTRUCTZERO_DEBUG,
 * which prints the stack down to the line of the user's code.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer } from "../../fixtures/optimize.js";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "iz-user-code-"));
const taskFile = join(dir, "reverse.jsonl");
writeFileSync(
  taskFile,
  Array.from({ length: 30 }, (_, i) => JSON.stringify({ input: `word${i}`, output: `${i}drow` })).join("\n"),
);
const module = (name: string, source: string) => {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
};
const goodPipeline = module("pipeline.mjs", "export default ({ input }) => [...input].reverse().join('');\n");
const numberPipeline = module("number-pipeline.mjs", "export default () => 42;\n");
const throwingPipeline = module(
  "throwing-pipeline.mjs",
  "export default () => {\n  throw new Error('pipeline exploded on purpose');\n};\n",
);
const throwingMetric = module(
  "throwing-metric.mjs",
  "export default () => {\n  throw new Error('metric exploded on purpose');\n};\n",
);

/** One example of the search phase, named in full. */
const WHERE = String.raw`on validation example \d+ \(input "word\d+"\) of instruction ".+" \(search\)`;

describe("a failing user module is named with the example and the phase", () => {
  let server: FakeOpenAI;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer });
    env = { OPENAI_API_KEY: "test", OPENAI_BASE_URL: server.url, HOME: dir, INSTRUCTZERO_HOME: dir };
  });
  afterAll(() => server?.close());

  const optimize = (blackBox: string, metric: string[] = [], name = "run") => [
    "optimize",
    ...["--task", taskFile, "--black-box", blackBox, ...metric],
    ...["--method", "ape", "--proposer", "openai:gpt-4o-mini"],
    ...["--budget", "3", "--initial-points", "3", "--batch-size", "3", "--validation-size", "3"],
    ...["--ledger", join(dir, `${name}.sqlite`), "--no-cache"],
  ];

  it("a black-box module that returns a number: the file, not module-<hash>", async () => {
    const r = await runCli(optimize(numberPipeline, [], "number"), { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: black-box module ${numberPipeline} returned 42 ${WHERE}; it must return a string or \\{ text, usage \\}`,
        "m",
      ),
    );
    expect(r.stderr).not.toMatch(/module-[0-9a-f]{8}/);
  });

  it("a black-box module that throws", async () => {
    const r = await runCli(optimize(throwingPipeline, [], "throws"), { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: black-box module ${throwingPipeline} threw ${WHERE}: pipeline exploded on purpose\n`,
        "m",
      ),
    );
    expect(r.stderr).toContain("INSTRUCTZERO_DEBUG=1");
  });

  it("a metric module that throws; INSTRUCTZERO_DEBUG=1 shows the line of the module", async () => {
    const args = optimize(goodPipeline, ["--metric", throwingMetric], "metric");
    const r = await runCli(args, { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^error: metric module ${throwingMetric} threw ${WHERE}: metric exploded on purpose\n`, "m"),
    );
    const debug = await runCli(args, { env: { ...env, INSTRUCTZERO_DEBUG: "1" } });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(
      /caused by: Error: metric exploded on purpose\n\s+at .*throwing-metric\.mjs\S*:2:/,
    );
  });
});
