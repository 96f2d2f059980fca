/**
 * The published types work for a consumer that checks them: `tsc --strict --skipLibCheck false` with
 * NodeNext resolution on a file importing the public API, and every package the public .d.ts files
 * import is one the consumer gets (a dependency, not a devDependency).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { makeConsumer, PACKAGE_ROOT } from "../helpers/consumer.js";

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const DIST = join(PACKAGE_ROOT, "dist");

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? declarationFiles(join(dir, e.name))
      : e.name.endsWith(".d.ts")
        ? [join(dir, e.name)]
        : [],
  );
}

/** Package name of a bare specifier ("@scope/name/sub" -> "@scope/name"); null for relative and node: ones. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith(".") || specifier.startsWith("node:")) return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The package that holds `name`'s types: itself when it ships them, else @types/name. */
function typesPackageOf(name: string): string {
  const own = JSON.parse(readFileSync(join(PACKAGE_ROOT, "node_modules", name, "package.json"), "utf8"));
  const shipsTypes =
    own.types !== undefined ||
    own.typings !== undefined ||
    JSON.stringify(own.exports ?? {}).includes('"types"');
  if (shipsTypes) return name;
  const bare = name.startsWith("@") ? name.slice(1).replace("/", "__") : name;
  return `@types/${bare}`;
}

describe("published types", () => {
  it("import only packages a consumer installs, with their types", () => {
    const installed = { ...pkg.dependencies, ...pkg.peerDependencies };
    const imported = new Map<string, string>();
    let usesNodeTypes = false;
    for (const file of declarationFiles(DIST)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        const name = packageOf(m[1]);
        if (name) imported.set(name, relative(DIST, file));
      }
      if (/\bNodeJS\.|\bBuffer\b|from "node:/.test(text)) usesNodeTypes = true;
    }
    expect(imported.size).toBeGreaterThan(0);
    for (const [name, file] of imported) {
      expect(installed[name], `${file} imports ${name}`).toBeDefined();
      const types = typesPackageOf(name);
      expect(installed[types], `${file} needs ${types}`).toBeDefined();
    }
    expect(usesNodeTypes).toBe(true);
    expect(installed["@types/node"]).toBeDefined();
    expect(installed["@types/better-sqlite3"]).toBeDefined(); // Ledger's constructor takes a Database
    // a dev dependency is not something a consumer gets, unless it is an optional peer (onnxruntime-node:
    // installed by the consumer for local models, a dev dependency here for the tests)
    const optionalPeers = new Set(
      Object.entries(pkg.peerDependenciesMeta ?? {})
        .filter(([, m]) => m.optional)
        .map(([n]) => n),
    );
    for (const name of Object.keys(pkg.devDependencies))
      if (!optionalPeers.has(name)) expect(installed[name], name).toBeUndefined();
  });

  it("type-check in a strict NodeNext consumer with skipLibCheck false", () => {
    const dir = makeConsumer("iz-types-");
    // what `npm install instructzero` puts next to it: our @types dependencies, hoisted
    mkdirSync(join(dir, "node_modules", "@types"));
    for (const name of Object.keys(pkg.dependencies).filter((n) => n.startsWith("@types/"))) {
      symlinkSync(join(PACKAGE_ROOT, "node_modules", name), join(dir, "node_modules", name), "dir");
    }
    symlinkSync(
      join(PACKAGE_ROOT, "node_modules", "typescript"),
      join(dir, "node_modules", "typescript"),
      "dir",
    );
    writeFileSync(
      join(dir, "consumer.ts"),
      `import {
  createBlackBox,
  judgeMetric,
  loadTask,
  type OptimizeResult,
  optimizeInstruction,
  resumeRun,
  type RunConfig,
  splitTask,
  type TaskSplits,
  UserError,
} from "instructzero";
import { assertNoSecrets, openLedger } from "instructzero/store";
import { MAX_EXAMPLE_CHARS } from "instructzero/tasks";
export * as blackbox from "instructzero/blackbox";
export * as bo from "instructzero/bo";
export * as config from "instructzero/config";
export * as evaluation from "instructzero/evaluation";
export * as generator from "instructzero/generator";
export * as metrics from "instructzero/metrics";
export * as optimizers from "instructzero/optimizers";
export * as report from "instructzero/report";
export * as stats from "instructzero/stats";
export * as store from "instructzero/store";
export * as tasks from "instructzero/tasks";
export * as util from "instructzero/util";

const ledger = openLedger(":memory:");
const configs: RunConfig[] = ledger.listRuns().map((r) => ledger.getRun(r.id).config);
const limit: number = MAX_EXAMPLE_CHARS;
const box = createBlackBox("openai:gpt-4o-mini", { env: process.env });

export async function main(): Promise<OptimizeResult> {
  const task = await loadTask("./examples.jsonl");
  const splits: TaskSplits = splitTask(task, { validationSize: 5 });
  const notes: string[] = splits.notes ?? [];
  assertNoSecrets({ task: "x.jsonl" });
  const result = await optimizeInstruction({
    examples: [{ input: "hot", output: "cold" }],
    blackBox: async ({ instruction, input }) => \`\${instruction} \${input}\`,
    blackBoxId: "pipeline@1",
    metric: judgeMetric({ model: "openai:gpt-4o-mini", rubric: "correct?" }),
    store: false,
    signal: new AbortController().signal,
  });
  console.log(configs.length, limit, box.id, notes, result.best?.instruction, new UserError("x").message);
  return resumeRun(result.runId, { store: "./runs.sqlite" });
}
`,
    );
    const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
    const args = [
      tsc,
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "false",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "consumer.ts",
    ];
    const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 120_000 });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("optional runtime", () => {
  it("the public declarations (root and subpaths) never reach onnxruntime-node (an optional peer a consumer may not install)", () => {
    const seen = new Set<string>();
    // every entry point's declarations: the root and the subpaths
    const exportsMap = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).exports as Record<
      string,
      { types: string }
    >;
    const stack = Object.values(exportsMap).map((e) => join(PACKAGE_ROOT, e.types));
    expect(stack).toContain(join(DIST, "index.d.ts"));
    const reached: string[] = [];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (seen.has(file) || !existsSync(file)) continue;
      seen.add(file);
      const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        if (m[1].startsWith(".")) stack.push(join(dirname(file), m[1].replace(/\.js$/, ".d.ts")));
        else if (m[1].startsWith("onnxruntime")) reached.push(relative(DIST, file));
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(reached).toEqual([]);
  });
});
