/**
 * `npm i instructzero` in a fresh project, as a user would: the built package is packed, installed
 * from its tarball into a new folder by npm run with no environment variables but PATH and a
 * temporary HOME (so neither ONNXRUNTIME_NODE_INSTALL nor a user .npmrc helps), and only the npm
 * registry reachable. onnxruntime-node (an optional peer dependency) must not be installed, nor any
 * CUDA file; the CLI must work: `--help`, an `eval` against a local fake OpenAI server, the vLLM
 * generator from code, and the one clear message when a local model needs the runtime.
 *
 * Two settings of this machine's npm are passed as flags, since the temporary HOME hides the user
 * .npmrc that holds them: its cache folder (packages come from there or the registry) and, when
 * set, `nodedir` (better-sqlite3 compiles from source when its prebuilt binary cannot be downloaded,
 * and node-gyp then needs Node's headers). Slow (one `npm install`, about a minute here): skipped
 * only when IZ_SKIP_INSTALL_TEST=1.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { PACKAGE_ROOT } from "../helpers/consumer.js";
import { readBody, startHttpServer, type TestServer } from "../helpers/http-server.js";

const SKIP = process.env.IZ_SKIP_INSTALL_TEST === "1";
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const npx = process.platform === "win32" ? "npx.cmd" : "npx";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command with only PATH and HOME in its environment (plus `env`). */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  home: string,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: home, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A setting of this machine's npm configuration (as the user's environment sees it), or undefined. */
function npmConfig(key: string): string | undefined {
  try {
    const v = execFileSync(npm, ["config", "get", key], {
      cwd: tmpdir(),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return v && v !== "undefined" && v !== "null" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Every path under `dir` whose name matches `re`. */
function findFiles(dir: string, re: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (re.test(e.name)) out.push(p);
    if (e.isDirectory() && !e.isSymbolicLink()) findFiles(p, re, out);
  }
  return out;
}

const ANTONYMS = [
  ["hot", "cold"],
  ["big", "small"],
  ["fast", "slow"],
  ["happy", "sad"],
  ["up", "down"],
  ["light", "dark"],
  ["early", "late"],
  ["good", "bad"],
];

describe.skipIf(SKIP)("npm i of the packed package (set IZ_SKIP_INSTALL_TEST=1 to skip)", () => {
  const root = mkdtempSync(join(tmpdir(), "iz-install-"));
  const home = join(root, "home");
  const proj = join(root, "project");
  let openai: FakeOpenAI | undefined;
  let vllm: TestServer | undefined;
  afterAll(async () => {
    await openai?.close();
    await vllm?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("installs without environment variables and without onnxruntime-node; the CLI works", async () => {
    expect(existsSync(join(PACKAGE_ROOT, "dist", "cli", "main.js")), "run `npm run build` first").toBe(true);
    mkdirSync(home);
    mkdirSync(proj);
    // --ignore-scripts: no `prepare` build here (dist is built already)
    const packed = await run(
      npm,
      ["pack", "--ignore-scripts", "--pack-destination", root],
      PACKAGE_ROOT,
      home,
    );
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = join(root, packed.stdout.trim().split("\n").at(-1) ?? "");
    expect(existsSync(tarball), tarball).toBe(true);

    writeFileSync(
      join(proj, "package.json"),
      JSON.stringify({ name: "fresh", version: "1.0.0", private: true }),
    );
    const flags = ["--prefer-offline", "--no-audit", "--no-fund", "--no-update-notifier"];
    const cache = npmConfig("cache");
    if (cache) flags.push(`--cache=${cache}`);
    const nodedir = npmConfig("nodedir");
    if (nodedir) flags.push(`--nodedir=${nodedir}`);
    const t0 = performance.now();
    const installed = await run(npm, ["install", tarball, ...flags], proj, home);
    const seconds = (performance.now() - t0) / 1000;
    expect(installed.code, `${installed.stdout}\n${installed.stderr}`).toBe(0);
    process.stderr.write(`[install test] npm install of the tarball took ${seconds.toFixed(1)} s\n`);

    // the lean install: no ONNX runtime, no CUDA file
    const modules = join(proj, "node_modules");
    expect(existsSync(join(modules, "instructzero", "dist", "cli", "main.js"))).toBe(true);
    expect(existsSync(join(modules, "onnxruntime-node"))).toBe(false);
    expect(existsSync(join(modules, "onnxruntime-common"))).toBe(false);
    expect(findFiles(modules, /cuda|tensorrt/i)).toEqual([]);

    const help = await run(npx, ["--no-install", "instructzero", "--help"], proj, home);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: instructzero/);
    expect(help.stdout).toMatch(/\beval\b/);

    // the root and every subpath of package.json "exports" import from the installed package
    const subpaths = Object.keys(
      JSON.parse(readFileSync(join(modules, "instructzero", "package.json"), "utf8")).exports,
    ).map((k) => (k === "." ? "instructzero" : `instructzero/${k.slice(2)}`));
    expect(subpaths.length).toBeGreaterThan(1);
    writeFileSync(
      join(proj, "subpaths.mjs"),
      `for (const s of ${JSON.stringify(subpaths)}) console.log(s, Object.keys(await import(s)).length);\n`,
    );
    const imported = await run(process.execPath, ["subpaths.mjs"], proj, home);
    expect(imported.code, imported.stderr).toBe(0);
    const counts = imported.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    expect(counts.map(([s]) => s)).toEqual(subpaths);
    for (const [s, n] of counts) expect(Number(n), s).toBeGreaterThan(0);

    // an API black box: eval of a task file against the fake OpenAI server
    openai = await startFakeOpenAI({ apiKey: "test" });
    writeFileSync(
      join(proj, "antonyms.jsonl"),
      `${ANTONYMS.map(([input, output]) => JSON.stringify({ input, output })).join("\n")}\n`,
    );
    const evalArgs = [
      "--no-install",
      "instructzero",
      "eval",
      "--task",
      "antonyms.jsonl",
      "--target",
      "openai:gpt-4o-mini",
      "--base-url",
      openai.url,
      "--instruction",
      "Write the antonym of the word.",
      "--cache",
      join(proj, "responses.sqlite"),
    ];
    const scored = await run(npx, evalArgs, proj, home, { OPENAI_API_KEY: "test" });
    expect(scored.code, scored.stderr).toBe(0);
    expect(scored.stdout).toMatch(/score\s+1\.000/);
    expect(openai.stats().completions).toBeGreaterThan(0);

    // a local model needs the runtime: one message saying what to install
    const model = await run(npx, ["--no-install", "instructzero", "model", "build-test", "m"], proj, home);
    expect(model.code, model.stderr).toBe(0);
    writeFileSync(join(proj, "demos.jsonl"), '{"input": "hot", "output": "cold"}\n');
    const gen = await run(
      npx,
      ["--no-install", "instructzero", "generate", "--generator", "m", "--demos", "demos.jsonl"],
      proj,
      home,
    );
    expect(gen.code).toBe(2);
    expect(gen.stderr).toMatch(/needs onnxruntime-node, which is not installed/);
    expect(gen.stderr).toContain("`ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node`");
    expect(gen.stderr.trim().split("\n")).toHaveLength(1);

    // the vLLM generator, from code: embeddings from the model files, decoding on the (fake) server
    let requests = 0;
    vllm = await startHttpServer(async (req, res) => {
      const body = JSON.parse((await readBody(req)).toString("utf8")) as { prompt_embeds?: string };
      requests++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ choices: [{ text: `ok ${typeof body.prompt_embeds}` }] }));
    });
    writeFileSync(
      join(proj, "vllm.mjs"),
      `import { openGenerator } from "instructzero/generator";
const gen = await openGenerator({ source: "m", seed: 0, nTokens: 5, intrinsicDim: 10, projection: "uniform",
  dtype: "fp32", maxNewTokens: 8, vllmUrl: process.argv[2], vllmModel: "m" });
const out = await gen.generate([Array(10).fill(0.5), Array(10).fill(-0.5)], [{ input: "hot", output: "cold" }]);
await gen.close();
console.log(JSON.stringify(out.map((o) => o.text)));
`,
    );
    const fromCode = await run(process.execPath, ["vllm.mjs", vllm.url], proj, home);
    expect(fromCode.code, fromCode.stderr).toBe(0);
    expect(JSON.parse(fromCode.stdout)).toEqual(["ok string", "ok string"]);
    expect(requests).toBe(2);
  }, 900_000);
});
