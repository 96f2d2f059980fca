/**
 * `instructzero runs | show | report` as a user runs them: the built CLI (dist/, made by `npm test`'s
 * build step) against a temporary ledger.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { fillRun } from "../store/synthetic.js";
import { makeInjectedRun, N_EVALS, PAYLOADS } from "./fixture.js";

const CLI = resolve("dist/cli/main.js");
let dir: string;
let ledgerPath: string;
let finished: string;
let running: string;

function cli(args: string[], cwd = dir): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, INSTRUCTZERO_HOME: join(dir, "home"), NO_COLOR: "1" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) first`);
  dir = mkdtempSync(join(tmpdir(), "iz-cli-"));
  ledgerPath = join(dir, "runs.sqlite");
  const ledger = openLedger(ledgerPath);
  finished = makeInjectedRun(ledger);
  running = fillRun(ledger, 4, { task: "sum", method: "uniform" });
  ledger.setStatus(running, "interrupted", "SIGINT");
  ledger.close();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("instructzero runs", () => {
  it("lists the runs of a ledger as a table and as JSON", () => {
    const r = cli(["runs", "--ledger", ledgerPath]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^id\s+task\s+method\s+target\s+status\s+evals\s+best val\s+test\s+cost\s+created$/,
    );
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain(finished);
    expect(lines[2]).toMatch(/completed\s+17\s+1\.000\s+0\.500\s+\$0\.0123/);
    expect(lines[3]).toMatch(new RegExp(`^${running}\\s+sum\\s+uniform\\s+\\S+\\s+interrupted\\s+4\\s`));

    const j = cli(["runs", "--ledger", ledgerPath, "--json"]);
    expect(j.status).toBe(0);
    const runs = JSON.parse(j.stdout) as { id: string; evaluations: number }[];
    expect(runs.map((x) => [x.id, x.evaluations])).toEqual([
      [finished, N_EVALS],
      [running, 4],
    ]);
  });

  it("says there are no runs when the default ledger does not exist yet (and does not create it)", () => {
    const r = cli(["runs"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("No runs yet");
    expect(r.stdout).toContain(join(dir, "home", "runs.sqlite"));
    expect(existsSync(join(dir, "home", "runs.sqlite"))).toBe(false);
  });
});

describe("instructzero show", () => {
  it("prints a run by id or unique prefix", () => {
    const r = cli(["show", finished.slice(0, -2), "--ledger", ledgerPath, "--top", "2"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Run ${finished} (completed`);
    expect(r.stdout).toContain(`  ${PAYLOADS.script}\n  validation 1.000, test 0.500`);
    expect(r.stdout).toMatch(/Top instructions \(2 of \d+\)/);
    expect(r.stdout).toContain("Config:\n  task: antonyms");
  });

  it("exits 2 with a clear message for an unknown run or a missing ledger", () => {
    const r = cli(["show", "nope-000000", "--ledger", ledgerPath]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `error: unknown run "nope-000000" in ledger ${ledgerPath}; \`instructzero runs\` lists the runs\n`,
    );
    expect(r.stdout).toBe("");
    const m = cli(["show", "x", "--ledger", join(dir, "absent.sqlite")]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain(`no run ledger at ${join(dir, "absent.sqlite")}`);
    expect(existsSync(join(dir, "absent.sqlite"))).toBe(false);
  });

  it("exits 2 naming a broken ledger file and leaves it alone", () => {
    const bad = join(dir, "broken.sqlite");
    writeFileSync(bad, "not a database at all\n".repeat(100));
    const r = cli(["show", "x", "--ledger", bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`run ledger ${bad} is not a SQLite database`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(bad, "utf8")).toBe("not a database at all\n".repeat(100));
  });
});

describe("instructzero report", () => {
  it("writes the HTML page to ./RUN.html by default", () => {
    const r = cli(["report", finished, "--ledger", ledgerPath]);
    expect(r.status).toBe(0);
    const out = join(dir, `${finished}.html`);
    expect(r.stdout).toBe(`wrote ${out}\n`);
    const html = readFileSync(out, "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`Run ${finished}`);
    expect(html.match(/<circle class="eval-point/g)).toHaveLength(N_EVALS);
    expect(html).not.toMatch(/<script/i);
  });

  it("exports JSON with --json (to standard output with --out -)", () => {
    const r = cli(["report", finished, "--ledger", ledgerPath, "--json", "--out", "-"]);
    expect(r.status).toBe(0);
    const exp = JSON.parse(r.stdout);
    expect(exp).toMatchObject({ format: "instructzero-run", formatVersion: 1, run: { id: finished } });
    expect(exp.evaluations).toHaveLength(N_EVALS);
    expect(exp.best.instruction).toBe(PAYLOADS.script);
  });

  it("--json prints to standard output without --out (issue 21: like eval --json); --out FILE writes", () => {
    const r = cli(["report", finished, "--ledger", ledgerPath, "--json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).run.id).toBe(finished);
    expect(existsSync(join(dir, `${finished}.json`))).toBe(false);
    const file = join(dir, "exported.json");
    const w = cli(["report", finished, "--ledger", ledgerPath, "--json", "--out", file]);
    expect(w.stdout).toBe(`wrote ${file}\n`);
    expect(JSON.parse(readFileSync(file, "utf8")).run.id).toBe(finished);
  });

  it("exits 2 when --out cannot be written", () => {
    const w = cli([
      "report",
      running,
      "--ledger",
      ledgerPath,
      "--out",
      join(dir, "no", "such", "dir", "r.html"),
    ]);
    expect(w.status).toBe(2);
    expect(w.stderr).toContain(`cannot write the report to ${join(dir, "no", "such", "dir", "r.html")}`);
  });
});
