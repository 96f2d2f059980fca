/**
 * A distributed sweep on real components: a throwaway PostgreSQL cluster (ledger, response cache, rate
 * limit and pg-boss job queue in one database), the fake OpenAI server counting every request, and the
 * built CLI (`bench --queue`, three `worker` processes, `bench --status`). One worker is killed with
 * SIGKILL in the middle of a cell: another takes the cell over once its lease expires and resumes its
 * run from the shared ledger. The sweep's results equal those of a single-process sweep (SQLite) with
 * the same seeds; no answered request is sent twice except those in flight at the kill; the shared
 * rate limit holds across the workers: every request the server saw was admitted by the limiter, and
 * no window of the limiter's own clock (the database server's) admitted more than the allowance. (When a
 * request then reaches the fake server is up to the machine's load, which the code cannot promise.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLogEntry, type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import { StoreRateLimiter } from "../../src/store/rate-limit.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { CLI, runCli } from "../helpers/cli.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

const fx = makeOptimizeFixture();
let pgServer: TestPostgres;
let server: FakeOpenAI;

beforeAll(async () => {
  pgServer = await startPostgres();
  server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 20 });
});
afterAll(async () => {
  await server?.close();
  await pgServer?.stop();
});

/** Rate limit of the distributed sweep: 1200 requests per minute, in a 2 s window: 40 per window. */
const RPM = 1200;
const WINDOW_MS = 2000;
const PER_WINDOW = (RPM * WINDOW_MS) / 60_000;

interface Worker {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(url: string, env: Record<string, string>): Worker {
  const child = spawn(
    process.execPath,
    [CLI, "worker", "--store", url, "--exit-when-done", "--poll", "200"],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exit };
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function csvRows(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split("\n");
  const cols = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

/** What defines a record's result (not its accounting, which a resumed run replays from the cache). */
function resultOf(e: EvaluationRecord) {
  return [e.index, e.iteration, e.instruction, e.score, e.scores, e.outputs, e.reused, e.z];
}

/**
 * Record every admission of the shared rate limit in `url` (its time on the limiter's clock, which is
 * the database server's): a trigger on the limiter's table, which it creates first. Returns a reader.
 */
async function recordAdmissions(url: string): Promise<() => Promise<number[]>> {
  const ledger = openLedger(url);
  try {
    new StoreRateLimiter(ledger.driver, { rpm: RPM }, WINDOW_MS).inWindow("none"); // creates the table
  } finally {
    ledger.close();
  }
  const sql = async <T>(text: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  };
  await sql(`CREATE TABLE rate_admissions (at_ms BIGINT NOT NULL);
    CREATE FUNCTION record_admission() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO rate_admissions VALUES (NEW.at_ms); RETURN NEW; END $$;
    CREATE TRIGGER record_admission AFTER INSERT ON rate_limit_events
      FOR EACH ROW EXECUTE FUNCTION record_admission();`);
  return async () =>
    (await sql<{ at_ms: string }>("SELECT at_ms FROM rate_admissions ORDER BY at_ms")).map((r) =>
      Number(r.at_ms),
    );
}

/** The most of `times` (sorted) in any half-open window of `ms`. */
function mostInWindow(times: number[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** A request's identity: everything that makes the answer (the fake answers deterministically). */
const requestKey = (r: FakeLogEntry) => JSON.stringify([r.model, r.body]);

describe("distributed sweep", () => {
  it("three workers on one queue, one killed with SIGKILL mid-cell, equal a single-process sweep", async () => {
    const url = (await pgServer.createDatabase("sweep")).replace("postgres@", "postgres:pw-secret-1@");
    const grid = ["--tasks", fx.taskFile, "--methods", "uniform,ape", "--seeds", "0,1"];
    const run = [
      ...["--target", "openai:fake", "--base-url", server.url, "--generator", fx.model],
      ...["--budget", "8", "--initial-points", "4", "--batch-size", "2", "--validation-size", "3"],
    ];

    // the reference: one process, a SQLite ledger and cache file
    const refCsv = join(fx.dir, "ref.csv");
    const ref = await runCli(
      ["bench", ...grid, ...run, "--ledger", join(fx.dir, "ref.sqlite"), "--csv", refCsv],
      { env: { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_CACHE: join(fx.dir, "ref-cache.sqlite") } },
    );
    expect(ref.code, ref.stderr).toBe(0);
    const boundary = server.requests.length;

    const env = {
      OPENAI_API_KEY: "sk-test",
      INSTRUCTZERO_LOCK_STALE_MS: "2000",
      INSTRUCTZERO_QUEUE_MAINTENANCE_S: "1",
      INSTRUCTZERO_RATE_WINDOW_MS: String(WINDOW_MS),
    };
    const admissions = await recordAdmissions(url);
    const queueArgs = ["--queue", url, "--lease", "3", "--retries", "5", "--retry-delay", "0"];
    const enqueue = ["bench", ...grid, ...run, "--rate-limit-rpm", String(RPM), ...queueArgs];
    const enq = await runCli(enqueue, { env });
    expect(enq.code, enq.stderr).toBe(0);
    expect(enq.stdout).toContain("enqueued 4 cells in postgres://***@127.0.0.1:");
    // enqueueing again adds nothing
    const again = await runCli(enqueue, { env });
    expect(again.stdout).toContain("enqueued 0 cells");
    expect(again.stdout).toContain("4 already queued, running or done");

    const workers = [startWorker(url, env), startWorker(url, env), startWorker(url, env)];
    let victim: Worker | undefined;
    let killAt = 0;
    let inFlightAtKill = 0;
    try {
      // kill the first worker that started a cell, once the server saw 25 more requests
      await until(
        "a worker to start a cell",
        () => workers.some((w) => /: started/.test(w.stderr())),
        60_000,
      );
      victim = workers.find((w) => /: started/.test(w.stderr())) as Worker;
      const seen = server.requests.length;
      await until("requests of the started cells", () => server.requests.length >= seen + 25, 60_000);
      inFlightAtKill = server.stats().inFlight;
      killAt = performance.now();
      victim.child.kill("SIGKILL");
      const killed = await victim.exit;
      expect(killed.signal).toBe("SIGKILL");
      // it died in the middle of a cell
      const log = victim.stderr();
      expect((log.match(/: started/g) ?? []).length).toBeGreaterThan(
        (log.match(/: (completed|stopped|failed)/g) ?? []).length,
      );
      for (const w of workers.filter((x) => x !== victim)) {
        const r = await w.exit;
        expect(r.code, w.stderr()).toBe(0);
      }
    } finally {
      for (const w of workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    }
    const others = workers
      .filter((w) => w !== victim)
      .map((w) => w.stderr())
      .join("");
    // the killed worker's cell was taken over (a second try of its job)
    expect(others).toMatch(/started \(job [0-9a-f-]+, try 2\)/);

    // status: every cell done, results as the single-process sweep's
    const distCsv = join(fx.dir, "dist.csv");
    const st = await runCli(["bench", "--status", "--queue", url, "--csv", distCsv], { env });
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain("4 cells: 4 done, 0 running, 0 waiting, 0 failed");
    expect(st.stdout).toContain(ref.stdout);
    const key = (r: Record<string, string>) => `${r.task}/${r.method}/${r.seed}`;
    const pick = (r: Record<string, string>) => [key(r), r.status, r.validation, r.test];
    const refRows = csvRows(readFileSync(refCsv, "utf8")).sort((a, b) => key(a).localeCompare(key(b)));
    const distRows = csvRows(readFileSync(distCsv, "utf8")).sort((a, b) => key(a).localeCompare(key(b)));
    expect(distRows.map(pick)).toEqual(refRows.map(pick));

    // every record and test result of every run is the same
    const refLedger = openLedger(join(fx.dir, "ref.sqlite"), { create: false });
    const distLedger = openLedger(url, { create: false });
    try {
      const distRuns = distLedger.listRuns();
      expect(distRuns).toHaveLength(4);
      for (const r of distRuns) {
        const config = distLedger.getRun(r.id).config;
        expect(JSON.stringify(config)).not.toContain("pw-secret-1");
        const twin = refLedger.listRuns().find((x) => {
          const c = refLedger.getRun(x.id).config;
          return c.method === config.method && c.seed === config.seed;
        });
        expect(twin, r.id).toBeDefined();
        expect(distLedger.evaluations(r.id).map(resultOf)).toEqual(
          refLedger.evaluations(twin!.id).map(resultOf),
        );
        const a = distLedger.getRun(r.id).result;
        const b = refLedger.getRun(twin!.id).result;
        expect(a?.bestIndex).toBe(b?.bestIndex);
        expect(a?.test?.outputs).toEqual(b?.test?.outputs);
        expect(a?.test?.score).toBe(b?.test?.score);
      }
    } finally {
      refLedger.close();
      distLedger.close();
    }

    // no answered request was sent again, except those in flight at the kill (answered too late to be
    // stored, or stored by a process that was already dying); identical requests of two workers at
    // the same moment (before either answer was stored) are not re-sends of an answered one
    const dist = server.requests.slice(boundary);
    const firstAnswered = new Map<string, FakeLogEntry>();
    const resent: FakeLogEntry[] = [];
    for (const r of dist) {
      const prev = firstAnswered.get(requestKey(r));
      if (prev?.end !== undefined && r.start > prev.end + 250) resent.push(prev);
      if (r.status === 200 && r.end !== undefined && !firstAnswered.has(requestKey(r)))
        firstAnswered.set(requestKey(r), r);
    }
    const unexplained = resent.filter((p) => (p.end ?? 0) < killAt - 250);
    expect(unexplained).toEqual([]);
    expect(new Set(resent.map(requestKey)).size).toBeLessThanOrEqual(Math.max(inFlightAtKill, 8));

    // the shared rate limit held across the three workers: every request that reached the server was
    // admitted by the limiter, and it admitted at most PER_WINDOW in any window of the limit's length
    // (RPM per minute, scaled to the test's window) on its own clock
    const admitted = await admissions();
    expect(admitted.length).toBeGreaterThanOrEqual(dist.length);
    expect(mostInWindow(admitted, WINDOW_MS)).toBeLessThanOrEqual(PER_WINDOW);
    const windows = (admitted[admitted.length - 1] - admitted[0]) / WINDOW_MS;
    expect(admitted.length).toBeLessThanOrEqual(PER_WINDOW * (windows + 1));
    // and the limit did bind: without it the sweep's requests come several times faster
    expect(dist.length).toBeGreaterThan(2 * PER_WINDOW);

    for (const text of [enq.stdout, enq.stderr, st.stdout, st.stderr, ...workers.map((w) => w.stderr())])
      expect(text).not.toContain("pw-secret-1");
  }, 240_000);

  it("bench --status shows cells waiting, failed (why), running (where) and done; failed cells are enqueued again", async () => {
    const url = (await pgServer.createDatabase("status")).replace("postgres@", "postgres:pw-secret-4@");
    const slow = await startFakeOpenAI({
      answer: instructionQualityAnswer,
      latencyMs: 60,
      apiKey: "sk-right",
    });
    try {
      const enqueue = [
        "bench",
        ...["--tasks", fx.taskFile, "--methods", "ape", "--seeds", "0,1"],
        ...["--target", "openai:fake", "--base-url", slow.url, "--concurrency", "2"],
        ...["--budget", "4", "--initial-points", "2", "--batch-size", "2", "--validation-size", "3"],
        ...["--queue", url, "--lease", "5", "--retries", "0", "--retry-delay", "0"],
      ];
      const env = { INSTRUCTZERO_QUEUE_MAINTENANCE_S: "1" };
      expect((await runCli(enqueue, { env })).stdout).toContain("enqueued 2 cells");
      let st = await runCli(["bench", "--status", "--queue", url], { env });
      expect(st.code, st.stderr).toBe(0);
      expect(st.stdout).toContain("2 cells: 0 done, 0 running, 2 waiting, 0 failed");
      expect(st.stdout).toMatch(/ape\s+0\s+waiting\s+-\s+0\s+created/);

      // a worker with a wrong API key: every cell fails, and the status says why
      const noKey = await runCli(["worker", "--store", url, "--exit-when-done", "--poll", "200"], {
        env: { ...env, OPENAI_API_KEY: "sk-wrong-key-000" },
      });
      expect(noKey.code, noKey.stderr).toBe(0);
      st = await runCli(["bench", "--status", "--queue", url], { env });
      expect(st.stdout).toContain("2 cells: 0 done, 0 running, 0 waiting, 2 failed");
      expect(st.stdout).toMatch(/ape\s+1\s+failed.*(401|API key).*after 1 tries; enqueue again to retry/);
      expect(st.stdout).not.toContain("sk-wrong-key-000");

      // enqueued again, they are tried again; while one runs, the status says where
      const again = await runCli(enqueue, { env });
      expect(again.stdout).toContain("enqueued 0 cells");
      expect(again.stdout).toContain("2 failed ones queued again");
      const worker = spawn(
        process.execPath,
        [CLI, "worker", "--store", url, "--exit-when-done", "--poll", "200"],
        {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "/tmp",
            ...env,
            OPENAI_API_KEY: "sk-right",
          },
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let stderr = "";
      worker.stderr.on("data", (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((r) => worker.on("exit", (code) => r(code)));
      let running = "";
      try {
        await until("a cell to run", () => /: started/.test(stderr), 30_000);
        for (let i = 0; i < 100 && !running; i++) {
          const s = await runCli(["bench", "--status", "--queue", url], { env });
          running = /running\s+\S+\s+\d+\s+on \S+ \(pid (\d+)\)/.exec(s.stdout)?.[1] ?? "";
        }
        expect(running).toBe(String(worker.pid));
        expect(await exited).toBe(0);
      } finally {
        if (worker.exitCode === null) worker.kill("SIGKILL");
      }
      st = await runCli(["bench", "--status", "--queue", url, "--markdown", join(fx.dir, "status.md")], {
        env,
      });
      expect(st.stdout).toContain("2 cells: 2 done, 0 running, 0 waiting, 0 failed");
      expect(st.stdout).toMatch(/^\| reverse \| \d\.\d{3} ± \d\.\d{3} \|$/m);
      expect(readFileSync(join(fx.dir, "status.md"), "utf8")).toContain("| task | ape |");
      // plain `bench --store` reads the same results back from the shared store, calling nothing
      const before = slow.requests.length;
      const read = await runCli(
        [
          "bench",
          ...["--tasks", fx.taskFile, "--methods", "ape", "--seeds", "0,1"],
          ...["--target", "openai:fake", "--base-url", slow.url, "--concurrency", "2"],
          ...["--budget", "4", "--initial-points", "2", "--batch-size", "2", "--validation-size", "3"],
          ...["--store", url],
        ],
        { env: { ...env, OPENAI_API_KEY: "sk-right" } },
      );
      expect(read.code, read.stderr).toBe(0);
      expect(st.stdout).toContain(read.stdout);
      expect(slow.requests.length).toBe(before);
      for (const o of [st.stdout, st.stderr, noKey.stderr, stderr, read.stdout, read.stderr])
        expect(o).not.toContain("pw-secret-4");
    } finally {
      await slow.close();
    }
  }, 120_000);
});
