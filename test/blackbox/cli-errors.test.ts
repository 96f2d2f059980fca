/**
 * The built CLI on black-box failures: configuration errors exit 2 at once, a refused key stops
 * after the requests already in flight, a damaged cache is named, and no credential in a URL is
 * printed, whatever the error class (debug stack included). Exit codes: 0 ok, 1 runtime failure,
 * 2 usage or input error.
 */
import { closeSync, mkdtempSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { ResponseCache } from "../../src/blackbox/cache.js";
import { runCli } from "../helpers/cli.js";

const DATA = join(import.meta.dirname, "../fixtures/tasks/data");
const PASSWORD = "hunter2-cli-secret";
const dir = mkdtempSync(join(tmpdir(), "iz-cli-errors-"));

const evalArgs = (baseUrl: string, extra: string[] = []) => [
  ...["eval", "--task", "antonyms", "--target", "openai:fake-model", "--instruction", "Give the opposite."],
  ...["--base-url", baseUrl, ...extra],
];

describe("CLI errors from the black-box layer", () => {
  let server: FakeOpenAI;
  const env = { OPENAI_API_KEY: "sk-right-key-000000", INSTRUCTZERO_DATA: DATA };
  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: "sk-right-key-000000", latencyMs: 20 });
  });
  afterAll(() => server.close());

  it("a malformed or unsupported --base-url exits 2 at once, naming the option and the value", async () => {
    for (const url of ["notaurl", "127.0.0.1:8080", "ftp://example.com/v1"]) {
      const t0 = performance.now();
      const r = await runCli(evalArgs(url, ["--no-cache"]), { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`"${url}"`);
      expect(r.stderr).toMatch(/--base-url/);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
    const noFlag = ["eval", "--task", "antonyms", "--target", "openai:fake-model", "--instruction", "x"];
    const viaEnv = await runCli([...noFlag, "--no-cache"], {
      env: { ...env, OPENAI_BASE_URL: "http//localhost:8000" },
    });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toMatch(/OPENAI_BASE_URL.*not a valid URL/);
  });

  it("credentials in --base-url are never printed", async () => {
    const url = server.url.replace("http://", `http://admin:${PASSWORD}@`);
    const r = await runCli(evalArgs(url, ["--no-cache"]), { env: { ...env, INSTRUCTZERO_DEBUG: "1" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/contains credentials/);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    // commander's own usage errors repeat the value: scrubbed too
    const usage = await runCli([...evalArgs(url), "--concurrency", `http://u:${PASSWORD}@h`], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/concurrency/);
    expect(usage.stderr).not.toContain(PASSWORD);
  });

  it("a refused key exits 2 after at most `concurrency` requests", async () => {
    const before = server.stats().requests;
    const r = await runCli(evalArgs(server.url, ["--no-cache", "--concurrency", "2"]), {
      env: { ...env, OPENAI_API_KEY: "sk-wrong-key-111111" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OPENAI_API_KEY/);
    expect(r.stderr).not.toContain("sk-wrong-key-111111");
    expect(server.stats().requests - before).toBeLessThanOrEqual(2);
  });

  it("a damaged --cache exits 2 before any request, naming the file and what to do", async () => {
    const cacheFile = join(dir, "damaged.sqlite");
    const cache = new ResponseCache(cacheFile);
    for (let i = 0; i < 300; i++) {
      cache.put(
        `${i}`.padStart(64, "k"),
        { provider: "openai", model: "fake-model" },
        { text: `answer ${i} `.repeat(4), usage: { inputTokens: 1, outputTokens: 1 } },
      );
    }
    cache.close();
    const size = statSync(cacheFile).size;
    const fd = openSync(cacheFile, "r+");
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096 - 4096);
    closeSync(fd);
    const before = server.stats().requests;
    const r = await runCli(evalArgs(server.url, ["--cache", cacheFile]), { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`response cache ${cacheFile} is damaged`);
    expect(r.stderr).toMatch(/move it aside or delete it/);
    expect(server.stats().requests).toBe(before);

    const notSqlite = join(dir, "notes.txt");
    writeFileSync(notSqlite, "not a database\n".repeat(100));
    const r2 = await runCli(evalArgs(server.url, ["--cache", notSqlite]), { env });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`response cache ${notSqlite} is not a SQLite database`);
  });

  it("a provider that fails for good exits 1; an answer exits 0; a bad output path exits 2", async () => {
    const failing = await startFakeOpenAI({ faults: { 1: "500", 2: "500" } });
    try {
      const r = await runCli(
        evalArgs(failing.url, ["--no-cache", "--concurrency", "1", "--max-retries", "1"]),
        {
          env: { INSTRUCTZERO_DATA: DATA },
        },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/server error \(HTTP 500\)/);
    } finally {
      await failing.close();
    }
    const ok = await runCli(evalArgs(server.url, ["--no-cache"]), { env });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    // an output file the user named in a folder that does not exist: an input error, 2
    const noFolder = await runCli(
      evalArgs(server.url, ["--no-cache", "--json", join(dir, "none", "o.json")]),
      {
        env,
      },
    );
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toMatch(/ENOENT.*none\/o\.json/);
  });

  it("an unexpected error and its INSTRUCTZERO_DEBUG stack exit 1 with URL credentials removed", async () => {
    const taskFile = join(dir, "task.jsonl");
    writeFileSync(
      taskFile,
      `${Array.from({ length: 30 }, (_, i) => JSON.stringify({ input: `w${i}`, output: `v${i}` })).join("\n")}\n`,
    );
    const pipeline = join(dir, "pipeline.mjs");
    writeFileSync(
      pipeline,
      `export default async () => { throw new Error("backend http://svc:${PASSWORD}@10.1.1.1/v1?token=${PASSWORD} is down"); };\n`,
    );
    const r = await runCli(
      [
        ...["optimize", "--task", taskFile, "--black-box", pipeline, "--method", "ape"],
        ...["--proposer", "openai:fake-model", "--budget", "3", "--initial-points", "3", "--batch-size", "3"],
        ...["--validation-size", "5", "--no-cache", "--ledger", join(dir, "ledger.sqlite"), "--no-test"],
      ],
      {
        env: {
          ...env,
          OPENAI_BASE_URL: server.url,
          INSTRUCTZERO_DEBUG: "1",
          INSTRUCTZERO_HOME: join(dir, "home"),
        },
      },
    );
    expect(r.stderr).toMatch(/backend http:\/\/\*\*\*@10\.1\.1\.1\/v1\?token=\*\*\* is down/);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    expect(r.code).toBe(1);
  });
});
