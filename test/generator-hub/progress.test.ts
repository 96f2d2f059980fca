/**
 * Download progress is reported by callback (transformers.js-style initiate / progress / done
 * events) and drawn by the CLI only: the library writes nothing to the terminal.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDownloadProgress, showDownloadProgress } from "../../src/cli/download-progress.js";
import {
  type DownloadProgress,
  resolveModelSource,
  setDefaultDownloadProgress,
} from "../../src/generator/hub/index.js";
import { progressEvent } from "../../src/generator/hub/progress.js";
import { Rng } from "../../src/util/rng.js";
import { type FakeFile, type FakeHub, startFakeHub } from "./fake-hub.js";

const REPO = "org/tiny";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function bytes(n: number, seed: number): Buffer {
  const rng = new Rng(seed);
  return Buffer.from(Uint8Array.from({ length: n }, () => rng.int(0, 255)));
}

function repoFiles(dataBytes = 200_000): Record<string, FakeFile> {
  return {
    "config.json": { data: Buffer.from('{"model_type": "llama"}') },
    "tokenizer.json": { data: Buffer.from('{"model": {"type": "BPE"}}') },
    "tokenizer_config.json": { data: Buffer.from("{}") },
    "onnx/model.onnx": { data: bytes(3000, 1), lfs: true },
    "onnx/model.onnx_data": { data: bytes(dataBytes, 2), lfs: true },
  };
}

/** A writable that keeps what it is given; `isTTY` as asked. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(w, { isTTY, columns: 100, text: () => chunks.join("") });
}

let hub: FakeHub | undefined;
let cacheDir: string;
beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), "iz-progress-"));
  vi.stubEnv("HF_HUB_OFFLINE", "");
  vi.stubEnv("HF_TOKEN", "");
});
afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  setDefaultDownloadProgress(undefined);
  await hub?.close();
  hub = undefined;
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("download progress events", () => {
  it("reports initiate, progress and done per file, resumed bytes included", async () => {
    hub = await startFakeHub(REPO, COMMIT, repoFiles());
    hub.behaviour.dropOnce.add("onnx/model.onnx_data");
    const events: DownloadProgress[] = [];
    await resolveModelSource(`hf:${REPO}`, {
      cacheDir,
      endpoint: hub.url,
      retryDelayMs: 0,
      onProgress: (e) => events.push(e),
    });
    const data = events.filter((e) => e.file === "onnx/model.onnx_data");
    expect(data.every((e) => e.name === REPO && e.total === 200_000 && e.bytes === e.loaded)).toBe(true);
    const initiates = data.filter((e) => e.status === "initiate");
    // the first attempt starts at 0; after the dropped connection the second resumes at what is on disk
    expect(initiates).toHaveLength(2);
    expect(initiates[0].loaded).toBe(0);
    expect(initiates[1].loaded).toBeGreaterThan(0);
    expect(data.filter((e) => e.status === "done")).toEqual([
      {
        status: "done",
        name: REPO,
        file: "onnx/model.onnx_data",
        loaded: 200_000,
        bytes: 200_000,
        total: 200_000,
        progress: 100,
      },
    ]);
    expect(data.at(-1)?.status).toBe("done");
    const loaded = data.filter((e) => e.status === "progress").map((e) => e.loaded);
    expect(loaded.at(-1)).toBe(200_000);
    // every downloaded file ends with one "done"
    const files = [...new Set(events.map((e) => e.file))].sort();
    expect(files).toEqual([
      "config.json",
      "onnx/model.onnx",
      "onnx/model.onnx_data",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    for (const f of files) expect(events.filter((e) => e.file === f && e.status === "done")).toHaveLength(1);
  });

  it("uses the default callback when none is given, and draws nothing itself", async () => {
    hub = await startFakeHub(REPO, COMMIT, repoFiles());
    const seen: DownloadProgress[] = [];
    setDefaultDownloadProgress((e) => seen.push(e));
    const tty = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");
    Object.defineProperty(process.stderr, "isTTY", { value: true, configurable: true });
    const write = vi.spyOn(process.stderr, "write");
    try {
      await resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: hub.url });
    } finally {
      if (tty) Object.defineProperty(process.stderr, "isTTY", tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(write).not.toHaveBeenCalled();
    expect(seen.some((e) => e.file === "onnx/model.onnx_data" && e.status === "done")).toBe(true);

    // an own callback wins over the default
    const own: DownloadProgress[] = [];
    const other = mkdtempSync(join(tmpdir(), "iz-progress-"));
    try {
      seen.length = 0;
      await resolveModelSource(`hf:${REPO}`, {
        cacheDir: other,
        endpoint: hub.url,
        onProgress: (e) => own.push(e),
      });
      expect(own.length).toBeGreaterThan(0);
      expect(seen).toEqual([]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("computes the percentage when the size is known", () => {
    expect(progressEvent("progress", "a/b", "f", 50, 200)).toEqual({
      status: "progress",
      name: "a/b",
      file: "f",
      loaded: 50,
      bytes: 50,
      total: 200,
      progress: 25,
    });
    expect(progressEvent("initiate", "a/b", "f", 0)).toEqual({
      status: "initiate",
      name: "a/b",
      file: "f",
      loaded: 0,
      bytes: 0,
    });
  });
});

describe("the CLI's download display", () => {
  const big = 3_000_000;
  const feed = (on: (e: DownloadProgress) => void, file: string, total: number) => {
    on(progressEvent("initiate", REPO, file, 0, total));
    for (let b = total / 4; b <= total; b += total / 4) on(progressEvent("progress", REPO, file, b, total));
    on(progressEvent("done", REPO, file, total, total));
  };

  it("prints one line per large file when stderr is not a terminal", () => {
    const out = sink(false);
    const d = createDownloadProgress({ stream: out });
    feed(d.onProgress, "config.json", 500);
    feed(d.onProgress, "onnx/model.onnx", big);
    d.stop();
    expect(out.text()).toBe(`downloaded ${REPO} onnx/model.onnx (3.0 MB)\n`);
  });

  it("draws a bar per large file on a terminal", () => {
    const out = sink(true);
    const d = createDownloadProgress({ stream: out });
    feed(d.onProgress, "tokenizer.json", 500);
    feed(d.onProgress, "onnx/model.onnx", big);
    feed(d.onProgress, "onnx/model.onnx_data", 2 * big);
    d.stop();
    const text = out.text();
    expect(text).toContain("onnx/model.onnx [");
    expect(text).toContain("100% | 3.0/3.0 MB");
    expect(text).toContain("onnx/model.onnx_data [");
    expect(text).toContain("6.0/6.0 MB");
    expect(text).not.toContain("tokenizer.json");
  });

  it("showDownloadProgress installs the default callback until stopped", async () => {
    hub = await startFakeHub(REPO, COMMIT, repoFiles(1_200_000));
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const stop = showDownloadProgress();
    try {
      await resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: hub.url });
    } finally {
      stop();
    }
    const printed = write.mock.calls.map((c) => String(c[0])).join("");
    write.mockRestore();
    // vitest's stderr is not a terminal: one line for the one file above 1 MB
    expect(printed).toBe(`downloaded ${REPO} onnx/model.onnx_data (1.2 MB)\n`);
  });
});
