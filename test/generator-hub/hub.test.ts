import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type DownloadProgress,
  declaredDataChunks,
  externalDataFile,
  hubCacheDir,
  hubEndpoint,
  hubOffline,
  onnxFileForDtype,
  parseHubSource,
  repoFolderName,
  resolveModelSource,
} from "../../src/generator/hub/index.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { startHttpServer } from "../helpers/http-server.js";
import { type FakeFile, type FakeHub, gitBlobSha1, sha256, startFakeHub } from "./fake-hub.js";

const REPO = "org/tiny";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function bytes(n: number, seed: number): Buffer {
  const rng = new Rng(seed);
  return Buffer.from(Uint8Array.from({ length: n }, () => rng.int(0, 255)));
}

function repoFiles(config: object = { model_type: "llama" }): Record<string, FakeFile> {
  return {
    "config.json": { data: Buffer.from(JSON.stringify(config)) },
    "generation_config.json": { data: Buffer.from('{"eos_token_id": 2}') },
    "tokenizer.json": { data: Buffer.from('{"model": {"type": "BPE"}}') },
    "tokenizer_config.json": { data: Buffer.from('{"chat_template": "{{ messages }}"}') },
    "README.md": { data: Buffer.from("# tiny") },
    "onnx/model.onnx": { data: bytes(3000, 1), lfs: true },
    "onnx/model.onnx_data": { data: bytes(200_000, 2), lfs: true },
    "onnx/model_fp16.onnx": { data: bytes(2000, 3), lfs: true },
    "onnx/model_q4.onnx": { data: bytes(1500, 4), lfs: true },
  };
}

let hub: FakeHub | undefined;
let cacheDir: string;
beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), "iz-hub-"));
  vi.stubEnv("HF_HUB_OFFLINE", "");
  vi.stubEnv("HF_TOKEN", "");
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await hub?.close();
  hub = undefined;
  rmSync(cacheDir, { recursive: true, force: true });
});

const repoDir = () => join(cacheDir, repoFolderName(REPO));
const snap = (commit = COMMIT) => join(repoDir(), "snapshots", commit);

describe("hub helpers", () => {
  it("finds the cache folder like huggingface_hub", () => {
    expect(hubCacheDir({ HF_HUB_CACHE: "/a/hub", HF_HOME: "/b" })).toBe("/a/hub");
    expect(hubCacheDir({ HF_HOME: "/b" })).toBe("/b/hub");
    expect(hubCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/huggingface/hub");
    expect(hubCacheDir({})).toMatch(/\.cache\/huggingface\/hub$/);
    expect(hubEndpoint({ HF_ENDPOINT: "http://mirror:8080/" })).toBe("http://mirror:8080");
    expect(hubEndpoint({})).toBe("https://huggingface.co");
    expect(hubOffline({ HF_HUB_OFFLINE: "1" })).toBe(true);
    expect(hubOffline({ HF_HUB_OFFLINE: "TRUE" })).toBe(true);
    expect(hubOffline({ HF_HUB_OFFLINE: "0" })).toBe(false);
  });

  it("maps dtypes to the onnx-community file names", () => {
    expect(onnxFileForDtype()).toBe("onnx/model.onnx");
    expect(onnxFileForDtype("fp16")).toBe("onnx/model_fp16.onnx");
    expect(onnxFileForDtype("q8")).toBe("onnx/model_quantized.onnx");
    expect(onnxFileForDtype("int8")).toBe("onnx/model_int8.onnx");
    expect(onnxFileForDtype("q4")).toBe("onnx/model_q4.onnx");
    expect(onnxFileForDtype("q4f16")).toBe("onnx/model_q4f16.onnx");
    expect(() => onnxFileForDtype("fp8")).toThrow(/unknown dtype "fp8": expected one of fp32, fp16/);
    expect(externalDataFile("onnx/model.onnx", 0)).toBe("onnx/model.onnx_data");
    expect(externalDataFile("onnx/model.onnx", 2)).toBe("onnx/model.onnx_data_2");
  });

  it("reads the external-data chunk count from config.json", () => {
    const cfg = (v: unknown) => ({ "transformers.js_config": { use_external_data_format: v } });
    expect(declaredDataChunks({}, "onnx/model.onnx")).toBe(0);
    expect(declaredDataChunks(cfg(true), "onnx/model.onnx")).toBe(1);
    expect(declaredDataChunks(cfg(3), "onnx/model.onnx")).toBe(3);
    expect(declaredDataChunks(cfg({ "model_q4.onnx": 2 }), "onnx/model_q4.onnx")).toBe(2);
    expect(declaredDataChunks(cfg({ "model_q4.onnx": 2 }), "onnx/model_fp16.onnx")).toBe(0);
  });

  it("parses hf: sources", () => {
    expect(parseHubSource("hf:onnx-community/Qwen2.5-0.5B-Instruct")).toEqual({
      repoId: "onnx-community/Qwen2.5-0.5B-Instruct",
      revision: undefined,
    });
    expect(parseHubSource("hf:org/name@v1.0")).toEqual({ repoId: "org/name", revision: "v1.0" });
    expect(parseHubSource("./models/x")).toBeNull();
    expect(() => parseHubSource("hf:org/na me")).toThrow(/bad Hugging Face model id in "hf:org\/na me"/);
    expect(() => parseHubSource("hf:org/name@")).toThrow(/bad revision/);
    expect(repoFolderName("org/name")).toBe("models--org--name");
  });
});

describe("resolveModelSource: local folders", () => {
  it("returns an existing folder unchanged", async () => {
    expect(await resolveModelSource(cacheDir)).toBe(cacheDir);
  });

  it("rejects a missing folder and suggests hf: for model ids", async () => {
    await expect(resolveModelSource(join(cacheDir, "nope"))).rejects.toThrow(
      /model folder .*nope does not exist/,
    );
    const err = await resolveModelSource("someorg/some-model").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/write hf:someorg\/some-model/);
  });
});

describe("resolveModelSource: hub downloads", () => {
  it("downloads the generator files into the hub cache layout, then makes no request at all", async () => {
    const files = repoFiles();
    hub = await startFakeHub(REPO, COMMIT, files);
    hub.behaviour.token = "hf_secret";
    const progress: DownloadProgress[] = [];
    const dir = await resolveModelSource(`hf:${REPO}`, {
      cacheDir,
      endpoint: hub.url,
      token: "hf_secret",
      retryDelayMs: 0,
      onProgress: (p) => progress.push(p),
    });
    expect(dir).toBe(snap());
    expect(readFileSync(join(repoDir(), "refs", "main"), "utf8")).toBe(COMMIT);

    const wanted = [
      "config.json",
      "generation_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "onnx/model.onnx",
      "onnx/model.onnx_data",
    ];
    for (const f of wanted) {
      const p = join(dir, f);
      expect(lstatSync(p).isSymbolicLink()).toBe(true);
      const etag = files[f].lfs ? sha256(files[f].data) : gitBlobSha1(files[f].data);
      const depth = f.split("/").length;
      expect(readlinkSync(p)).toBe(`${"../".repeat(depth + 1)}blobs/${etag}`);
      expect(readFileSync(p).equals(files[f].data)).toBe(true);
    }
    expect(readdirSync(dir).sort()).toEqual(
      ["config.json", "generation_config.json", "onnx", "tokenizer.json", "tokenizer_config.json"].sort(),
    );
    expect(readdirSync(join(dir, "onnx")).sort()).toEqual(["model.onnx", "model.onnx_data"]);
    expect(readdirSync(join(repoDir(), "blobs"))).toHaveLength(6);
    // Files known to be absent are remembered like huggingface_hub does.
    expect(existsSync(join(repoDir(), ".no_exist", COMMIT, "special_tokens_map.json"))).toBe(true);
    expect(existsSync(join(repoDir(), ".no_exist", COMMIT, "onnx/model.onnx_data_1"))).toBe(true);

    // The token goes to the hub only, never to the CDN the LFS files redirect to.
    expect(hub.log.filter((r) => r.server === "hub").every((r) => r.auth === "Bearer hf_secret")).toBe(true);
    const cdn = hub.log.filter((r) => r.server === "cdn");
    expect(cdn.length).toBe(2);
    expect(cdn.every((r) => r.auth === undefined)).toBe(true);
    expect(
      hub.log.some((r) => r.path.includes("README") || r.path.includes("fp16") || r.path.includes("q4")),
    ).toBe(false);
    const last = progress.filter((p) => p.file === "onnx/model.onnx_data").at(-1);
    expect(last).toEqual({
      status: "done",
      name: REPO,
      file: "onnx/model.onnx_data",
      loaded: 200_000,
      bytes: 200_000,
      total: 200_000,
      progress: 100,
    });

    const before = hub.log.length;
    expect(await resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: hub.url, token: "hf_secret" })).toBe(
      dir,
    );
    expect(await resolveModelSource(`hf:${REPO}@main`, { cacheDir, offline: true })).toBe(dir);
    expect(await resolveModelSource(`hf:${REPO}@${COMMIT}`, { cacheDir, endpoint: hub.url })).toBe(dir);
    expect(hub.log.length).toBe(before);
  });

  it("honours HF_HUB_CACHE, HF_ENDPOINT and HF_TOKEN from the environment", async () => {
    hub = await startFakeHub(REPO, COMMIT, repoFiles());
    hub.behaviour.token = "hf_env";
    vi.stubEnv("HF_HUB_CACHE", cacheDir);
    vi.stubEnv("HF_ENDPOINT", hub.url);
    vi.stubEnv("HF_TOKEN", "hf_env");
    const dir = await resolveModelSource(`hf:${REPO}`, { dtype: "q4", onProgress: () => {} });
    expect(dir).toBe(snap());
    expect(readdirSync(join(dir, "onnx"))).toEqual(["model_q4.onnx"]);
    expect(existsSync(join(repoDir(), ".no_exist", COMMIT, "onnx/model_q4.onnx_data"))).toBe(true);
  });

  it("resumes a download cut mid-file with a Range request", async () => {
    const files = repoFiles();
    hub = await startFakeHub(REPO, COMMIT, files);
    hub.behaviour.dropOnce.add("onnx/model.onnx_data");
    const dir = await resolveModelSource(`hf:${REPO}`, {
      cacheDir,
      endpoint: hub.url,
      retryDelayMs: 0,
      onProgress: () => {},
    });
    expect(readFileSync(join(dir, "onnx/model.onnx_data")).equals(files["onnx/model.onnx_data"].data)).toBe(
      true,
    );
    const gets = hub.log.filter(
      (r) => r.server === "cdn" && r.path.endsWith(sha256(files["onnx/model.onnx_data"].data)),
    );
    expect(gets).toHaveLength(2);
    expect(gets[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(200_000);
  });

  it("keeps the partial file when a download keeps failing and resumes it on the next call", async () => {
    const files = repoFiles();
    hub = await startFakeHub(REPO, COMMIT, files);
    hub.behaviour.dropAlways.add("onnx/model.onnx_data");
    const opts = { cacheDir, endpoint: hub.url, retries: 0, retryDelayMs: 0, onProgress: () => {} };
    const err = await resolveModelSource(`hf:${REPO}`, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /download of onnx\/model\.onnx_data \(model org\/tiny\) stopped after \d+ of 200000 bytes.*Run the command again to resume/,
    );
    const id = sha256(files["onnx/model.onnx_data"].data);
    const part = join(repoDir(), "blobs", `${id}.incomplete`);
    const kept = statSync(part).size;
    expect(kept).toBe(100_000);

    hub.behaviour.dropAlways.clear();
    hub.log.length = 0;
    const dir = await resolveModelSource(`hf:${REPO}`, opts);
    expect(readFileSync(join(dir, "onnx/model.onnx_data")).equals(files["onnx/model.onnx_data"].data)).toBe(
      true,
    );
    expect(existsSync(part)).toBe(false);
    const gets = hub.log.filter((r) => r.server === "cdn");
    expect(gets.map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    // Files finished during the first call are not fetched again.
    expect(hub.log.some((r) => r.method === "GET" && r.path.endsWith("/tokenizer.json"))).toBe(false);
  });

  it("lets concurrent callers share one download of each file", async () => {
    const files = repoFiles();
    hub = await startFakeHub(REPO, COMMIT, files);
    const opts = { cacheDir, endpoint: hub.url, onProgress: () => {} };
    const dirs = await Promise.all([1, 2, 3].map(() => resolveModelSource(`hf:${REPO}`, opts)));
    expect(new Set(dirs)).toEqual(new Set([snap()]));
    const dataId = sha256(files["onnx/model.onnx_data"].data);
    expect(hub.log.filter((r) => r.server === "cdn" && r.path.endsWith(dataId))).toHaveLength(1);
    expect(
      readFileSync(join(snap(), "onnx/model.onnx_data")).equals(files["onnx/model.onnx_data"].data),
    ).toBe(true);
    expect(readdirSync(join(cacheDir, ".locks", repoFolderName(REPO)))).toEqual([]);
  });

  it("takes over a lock left by a process that no longer exists", async () => {
    const files = repoFiles();
    hub = await startFakeHub(REPO, COMMIT, files);
    const lockDir = join(cacheDir, ".locks", repoFolderName(REPO));
    mkdirSync(lockDir, { recursive: true });
    const dataId = sha256(files["onnx/model.onnx_data"].data);
    writeFileSync(join(lockDir, `${dataId}.instructzero.lock`), "2147483646");
    const dir = await resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: hub.url, onProgress: () => {} });
    expect(readFileSync(join(dir, "onnx/model.onnx_data")).equals(files["onnx/model.onnx_data"].data)).toBe(
      true,
    );
  });

  it("rejects a download whose content does not match its ETag", async () => {
    const files = repoFiles();
    hub = await startFakeHub(REPO, COMMIT, files);
    hub.behaviour.corrupt.add("onnx/model.onnx");
    hub.behaviour.corrupt.add("tokenizer.json");
    const opts = { cacheDir, endpoint: hub.url, onProgress: () => {} };
    await expect(resolveModelSource(`hf:${REPO}`, opts)).rejects.toThrow(
      /downloaded tokenizer\.json of model org\/tiny does not match its checksum [0-9a-f]{40}/,
    );
    hub.behaviour.corrupt.delete("tokenizer.json");
    await expect(resolveModelSource(`hf:${REPO}`, opts)).rejects.toThrow(
      /downloaded onnx\/model\.onnx of model org\/tiny does not match its checksum [0-9a-f]{64}/,
    );
    const blobs = readdirSync(join(repoDir(), "blobs"));
    expect(blobs.some((f) => f.startsWith(sha256(files["onnx/model.onnx"].data)))).toBe(false);
    hub.behaviour.corrupt.clear();
    const dir = await resolveModelSource(`hf:${REPO}`, opts);
    expect(readFileSync(join(dir, "onnx/model.onnx")).equals(files["onnx/model.onnx"].data)).toBe(true);
  });

  it("works without the revision API (commit from X-Repo-Commit) and fetches declared data chunks", async () => {
    const files = repoFiles({ "transformers.js_config": { use_external_data_format: 2 } });
    files["onnx/model.onnx_data_1"] = { data: bytes(5000, 9), lfs: true };
    hub = await startFakeHub(REPO, COMMIT, files, ["main", "v1"]);
    hub.behaviour.noApi = true;
    const dir = await resolveModelSource(`hf:${REPO}@v1`, {
      cacheDir,
      endpoint: hub.url,
      onProgress: () => {},
    });
    expect(dir).toBe(snap());
    expect(readFileSync(join(repoDir(), "refs", "v1"), "utf8")).toBe(COMMIT);
    expect(
      readFileSync(join(dir, "onnx/model.onnx_data_1")).equals(files["onnx/model.onnx_data_1"].data),
    ).toBe(true);
    expect(existsSync(join(repoDir(), ".no_exist", COMMIT, "special_tokens_map.json"))).toBe(true);
    const before = hub.log.length;
    await resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: hub.url, revision: "v1" });
    expect(hub.log.length).toBe(before);
  });

  it("fails offline with a message pointing at local folders", async () => {
    vi.stubEnv("HF_HUB_OFFLINE", "1");
    const err = await resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: "http://127.0.0.1:9" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/model org\/tiny@main .* is not complete in the hub cache/);
    expect((err as Error).message).toMatch(/offline mode is on \(HF_HUB_OFFLINE/);
    expect((err as Error).message).toMatch(/pass the path of a local model folder/);
  });

  it("explains HTTP 401 without showing the token", async () => {
    hub = await startFakeHub(REPO, COMMIT, repoFiles());
    hub.behaviour.token = "hf_right";
    const opts = { cacheDir, endpoint: hub.url };
    await expect(resolveModelSource(`hf:${REPO}`, opts)).rejects.toThrow(
      /access denied \(HTTP 401\) to revision "main" of model org\/tiny on http:\/\/127\.0\.0\.1:\d+: .*set HF_TOKEN/,
    );
    const err = await resolveModelSource(`hf:${REPO}`, { ...opts, token: "hf_wrong_123" }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/the token in HF_TOKEN was rejected/);
    expect((err as Error).message).not.toContain("hf_wrong_123");
  });

  it("names the model and the ways out when the hub cannot be reached", async () => {
    const s = await startHttpServer(() => {});
    await s.close();
    const err = await resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: s.url }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /cannot download model org\/tiny from http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*HF_ENDPOINT.*local model folder/,
    );
  });

  it("lists the available dtypes when the asked one is missing, and reports unknown revisions", async () => {
    hub = await startFakeHub(REPO, COMMIT, repoFiles());
    const opts = { cacheDir, endpoint: hub.url, onProgress: () => {} };
    await expect(resolveModelSource(`hf:${REPO}`, { ...opts, dtype: "bnb4" })).rejects.toThrow(
      /model org\/tiny@main has no onnx\/model_bnb4\.onnx; this repository has dtypes: fp32, fp16, q4$/,
    );
    await expect(resolveModelSource(`hf:${REPO}@nope`, opts)).rejects.toThrow(
      /revision "nope" .*revision not found/,
    );
    await expect(resolveModelSource("hf:org/other", opts)).rejects.toThrow(
      /model org\/other .* does not exist/,
    );
    await expect(resolveModelSource(`hf:${REPO}`, { cacheDir, endpoint: "huggingface.co" })).rejects.toThrow(
      /bad hub endpoint "huggingface\.co"/,
    );
    await expect(resolveModelSource(`hf:${REPO}@a`, { ...opts, revision: "b" })).rejects.toThrow(
      /conflicting revisions/,
    );
  });
});
