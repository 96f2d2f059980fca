/**
 * bench:zero-config runs end to end as a process (micro model, tiny budget, a small offline copy of the
 * antonyms data): every phase runs and the RESULT line reports them. No timing assertions.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** instruction-induction layout: induce (demos, validation, selection) and execute (test) files. */
function antonymsData(): string {
  const d = tempDir("iz-zero-data-");
  const words = Array.from({ length: 60 }, (_, i) => [`word${i}`, `drow${i}`]);
  const file = (pairs: string[][]) =>
    JSON.stringify({
      metadata: { num_examples: pairs.length },
      examples: Object.fromEntries(pairs.map(([input, output], i) => [String(i + 1), { input, output }])),
    });
  for (const [sub, pairs] of [
    ["induce", words.slice(0, 50)],
    ["execute", words.slice(50)],
  ] as const) {
    fs.mkdirSync(path.join(d, "instruction-induction", sub), { recursive: true });
    fs.writeFileSync(path.join(d, "instruction-induction", sub, "antonyms.json"), file(pairs));
  }
  fs.mkdirSync(path.join(d, "instruction-induction", "annotations"), { recursive: true });
  fs.writeFileSync(
    path.join(d, "instruction-induction", "annotations", "antonyms.json"),
    JSON.stringify({ annotations: ["Write the opposite of the word."] }),
  );
  return d;
}

describe("npm run bench:zero-config", () => {
  it("runs the default command end to end on the micro model with a tiny budget", () => {
    const models = tempDir("iz-zero-model-");
    const args = ["bench/zero-config.ts", "--preset", "micro", "--budget", "2", "--dir", models];
    const r = spawnSync(
      path.join(root, "node_modules", ".bin", "tsx"),
      [...args, "--data-dir", antonymsData(), "--lengths", "worst"],
      { cwd: root, encoding: "utf8", env: { ...process.env, HOME: models, XDG_CACHE_HOME: models } },
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    expect(line).toBeDefined();
    const result = JSON.parse((line as string).slice("RESULT ".length));
    expect(result).toMatchObject({
      preset: "micro",
      budget: 2,
      lengths: "worst",
      status: "completed",
      evaluations: 2,
    });
    // every phase made local black-box calls: 2 candidates x 20 validation queries in the search
    expect(result.calls.search).toBe(40);
    for (const phase of ["selection", "baselines", "test"]) expect(result.calls[phase]).toBeGreaterThan(0);
    for (const k of [
      "startup",
      "search",
      "generation",
      "blackBoxSearch",
      "bo",
      "selection",
      "baselines",
      "test",
    ])
      expect(Number.isFinite(result.phasesMs[k])).toBe(true);
    expect(result.maxRssGb).toBeGreaterThan(0);
    expect(result.loadStart).toHaveLength(3);
    expect(r.stdout).toMatch(/peak memory \(maxRSS\)/);
  }, 180_000);

  it("rejects an unknown --lengths", () => {
    const r = spawnSync(
      path.join(root, "node_modules", ".bin", "tsx"),
      ["bench/zero-config.ts", "--lengths", "huge"],
      { cwd: root, encoding: "utf8" },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--lengths: expected typical or worst, got huge/);
  });
});
