import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { runCli } from "../helpers/cli.js";

const DATA = join(import.meta.dirname, "../fixtures/tasks/data");

describe("instructzero eval", () => {
  let server: FakeOpenAI;
  const dir = mkdtempSync(join(tmpdir(), "iz-eval-"));
  const cache = join(dir, "responses.sqlite");
  const env = { OPENAI_API_KEY: "sk-test-secret-123", INSTRUCTZERO_DATA: DATA };
  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: "sk-test-secret-123" });
  });
  afterAll(() => server.close());

  const base = () => [
    "eval",
    "--task",
    "antonyms",
    "--target",
    "openai:fake-model",
    "--base-url",
    server.url,
    "--cache",
    cache,
  ];

  it("scores an instruction, then costs nothing the second time", async () => {
    const first = await runCli([...base(), "--instruction", "Write the antonym of the word."], { env });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/score\s+1\.000 \(6\/6 fully correct\)/);
    expect(first.stdout).toMatch(/calls\s+6 \(cache hits 0\)/);
    const requests = server.stats().requests;

    const second = await runCli([...base(), "--instruction", "Write the antonym of the word."], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/calls\s+0 \(cache hits 6\)/);
    expect(server.stats().requests).toBe(requests);

    const wrong = await runCli([...base(), "--instruction", "Say something."], { env });
    expect(wrong.stdout).toMatch(/score\s+0\.000/);
  });

  it("writes every example's prompt, output and score with --json", async () => {
    const out = join(dir, "eval.json");
    const r = await runCli(
      [...base(), "--instruction", "Give the opposite.", "--split", "test", "--json", out],
      { env },
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.split).toBe("test");
    expect(report.examples).toHaveLength(6);
    expect(report.examples[0].prompt).toMatch(/^Instruction: Give the opposite\.\n\nInput: .+\n\nOUTPUT: $/);
    expect(report.examples.every((e: { score: number }) => e.score === 1)).toBe(true);
    expect(JSON.stringify(report)).not.toContain("sk-test-secret-123");

    const stdout = await runCli([...base(), "--instruction", "Give the opposite.", "--json"], { env });
    expect(JSON.parse(stdout.stdout).score).toBe(1);
  });

  it("fails clearly on a bad key, an unknown task and a missing instruction", async () => {
    const bad = await runCli([...base(), "--instruction", "x", "--no-cache"], {
      env: { ...env, OPENAI_API_KEY: "sk-wrong-key-456" },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/OPENAI_API_KEY/);
    expect(bad.stderr).not.toContain("sk-wrong-key-456");

    const unknown = await runCli(
      ["eval", "--task", "antonym", "--target", "openai:x", "--instruction", "x"],
      { env },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown task "antonym".*antonyms/);

    const none = await runCli(["eval", "--task", "antonyms", "--target", "openai:x"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/instruction is required/);

    const badTarget = await runCli(["eval", "--task", "antonyms", "--target", "gpt4", "--instruction", "x"], {
      env,
    });
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toMatch(/provider:model/);
  });
});

describe("instructzero tasks", () => {
  it.skipIf(!process.env.INSTRUCTZERO_DATA)("lists every benchmark task with counts and metric", async () => {
    const r = await runCli(["tasks", "--json"], {
      env: { INSTRUCTZERO_DATA: process.env.INSTRUCTZERO_DATA ?? "" },
    });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows).toHaveLength(55);
    expect(rows.find((t: { name: string }) => t.name === "synonyms")).toMatchObject({
      metric: "contains",
      validation: 20,
      test: 100,
    });
    const table = await runCli(["tasks"], {
      env: { INSTRUCTZERO_DATA: process.env.INSTRUCTZERO_DATA ?? "" },
    });
    expect(table.stdout).toMatch(/^antonyms\s+em\s+2592\s+100\s+100\s+20\s+100\s+yes$/m);
  });

  it("names the missing data directory", async () => {
    const r = await runCli(["tasks", "--json"], {
      env: { INSTRUCTZERO_DATA: join(import.meta.dirname, "../fixtures/tasks/empty-data") },
    });
    // The fixture data has only a few tasks: listing names the first missing file clearly.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not exist|missing data file/);
  });
});
