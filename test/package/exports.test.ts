/**
 * The package's public surface: the root ("instructzero") is the task-level API in at most 40 runtime
 * names, and every subpath in package.json "exports" resolves from the built package (through the
 * exports map, as a consumer imports it), with both import() and require(), and has its declarations.
 * Needs dist/ built (`npm test` builds it).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeConsumer, PACKAGE_ROOT, runNode } from "../helpers/consumer.js";

type Conditions = { types: string; import: string; default: string };
const exportsMap = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).exports as Record<
  string,
  Conditions
>;
const specifiers = Object.keys(exportsMap).map((k) =>
  k === "." ? "instructzero" : `instructzero/${k.slice(2)}`,
);

/** The root's runtime names, in order (what `import * as iz from "instructzero"` holds). */
const ROOT_NAMES = [
  "AuthenticationError",
  "BadRequestError",
  "BadResponseError",
  "BlackBoxError",
  "BudgetExhausted",
  "ConnectionError",
  "DEFAULT_GENERATOR",
  "DEFAULT_TARGET",
  "HaltedError", // issue 21: a call stopped because an earlier one failed for good
  "InstructZeroError",
  "JUDGE_PROMPT",
  "LedgerConflictError",
  "METRICS",
  "RateLimitError",
  "RunConfigSchema",
  "RunInterrupted",
  "RunLockedError",
  "RunOptionsSchema",
  "RunSession",
  "ServerError",
  "TimeoutError",
  "TransientError",
  "UserError",
  "VERSION",
  "createBlackBox",
  "isTransient",
  "judgeMetric",
  "loadTask",
  "migrateRun",
  "optimizeInstruction",
  "parseRunConfig",
  "parseRunOptions",
  "registerProvider",
  "resumeRun",
  "scoreMetric",
  "splitTask",
];

let names: Record<string, string[]>;
let required: Record<string, number>;

beforeAll(async () => {
  expect(existsSync(join(PACKAGE_ROOT, "dist", "index.js")), "run `npm run build` first").toBe(true);
  const dir = makeConsumer("iz-exports-");
  writeFileSync(
    join(dir, "list.mjs"),
    `const out = {};
for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(await import(s)).sort();
console.log(JSON.stringify(out));
`,
  );
  writeFileSync(
    join(dir, "list.cjs"),
    `const out = {};
for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(require(s)).length;
console.log(JSON.stringify(out));
`,
  );
  const esm = await runNode(dir, "list.mjs");
  expect(esm.code, esm.stderr).toBe(0);
  names = JSON.parse(esm.stdout);
  const cjs = await runNode(dir, "list.cjs");
  expect(cjs.code, cjs.stderr).toBe(0);
  required = JSON.parse(cjs.stdout);
}, 60_000);

describe("package exports", () => {
  it("the root is the task-level API in at most 40 runtime names", () => {
    const root = names.instructzero;
    expect(root.length).toBeLessThanOrEqual(40);
    expect(root).toEqual([...ROOT_NAMES].sort());
  });

  it("has the documented subpaths", () => {
    expect(specifiers.sort()).toEqual(
      [
        "instructzero",
        "instructzero/blackbox",
        "instructzero/bo",
        "instructzero/config",
        "instructzero/evaluation",
        "instructzero/generator",
        "instructzero/metrics",
        "instructzero/optimizers",
        "instructzero/report",
        "instructzero/session",
        "instructzero/stats",
        "instructzero/store",
        "instructzero/tasks",
        "instructzero/util",
      ].sort(),
    );
    const readme = readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8");
    for (const s of specifiers.filter((s) => s !== "instructzero")) expect(readme, s).toContain(`\`${s}\``);
  });

  it("every subpath resolves from the built package with import() and require(), and has its types", () => {
    for (const s of specifiers) {
      expect(names[s]?.length ?? 0, s).toBeGreaterThan(0);
      expect(required[s], s).toBe(names[s].length);
      const entry = exportsMap[s === "instructzero" ? "." : `./${s.slice("instructzero/".length)}`];
      expect(existsSync(join(PACKAGE_ROOT, entry.types)), entry.types).toBe(true);
      expect(entry.import).toBe(entry.default);
    }
  });

  it("the engine's parts are behind their subpaths", () => {
    expect(names["instructzero/bo"]).toContain("propose");
    expect(names["instructzero/generator"]).toEqual(
      expect.arrayContaining(["openGenerator", "buildTestModel"]),
    );
    expect(names["instructzero/store"]).toEqual(expect.arrayContaining(["openLedger", "Ledger"]));
    expect(names["instructzero/stats"]).toContain("bootstrapMeanCI");
    expect(names["instructzero/report"]).toEqual(expect.arrayContaining(["exportRun", "renderHtmlReport"]));
    expect(names["instructzero/blackbox"]).toEqual(
      expect.arrayContaining(["createBlackBox", "DEFAULT_PRICES"]),
    );
    expect(names["instructzero/tasks"]).toEqual(expect.arrayContaining(["loadTask", "MAX_EXAMPLE_CHARS"]));
    expect(names["instructzero/optimizers"]).toEqual(expect.arrayContaining(["executeRun", "openRunDeps"]));
    expect(names["instructzero/session"]).toEqual(
      expect.arrayContaining(["RunSession", "openRunStore", "runSweep", "planDryRun"]),
    );
    for (const internal of ["propose", "openLedger", "openGenerator", "executeRun", "Rng"])
      expect(names.instructzero, internal).not.toContain(internal);
  });
});
