/**
 * Model sources: a local transformers.js-style folder, or `hf:org/name[@revision]` downloaded
 * from the Hugging Face Hub into the standard hub cache layout (shared with huggingface_hub and
 * transformers):
 *
 *   <cache>/models--org--name/blobs/<etag>                    file contents (git sha1 or LFS sha256)
 *   <cache>/models--org--name/snapshots/<commit>/<path>       symlinks to ../../blobs/<etag>
 *   <cache>/models--org--name/refs/<revision>                 the commit a branch/tag resolved to
 *   <cache>/models--org--name/.no_exist/<commit>/<path>       empty markers for files known absent
 *
 * Only the files a transformers.js-style generator needs are fetched. A complete snapshot is used
 * without any network request; partial downloads resume with HTTP Range requests.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, promises as fsp, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import cliProgress from "cli-progress";
import { UserError } from "../util/errors.js";

/** Download progress of one file. */
export interface DownloadProgress {
  /** Path inside the repository, e.g. "onnx/model_q4.onnx". */
  file: string;
  /** Bytes on disk so far (including a resumed prefix). */
  bytes: number;
  total?: number;
}

/** Options of {@link resolveModelSource}. */
export interface ResolveModelOptions {
  /** Branch, tag or commit (default "main"); `hf:id@rev` in the source takes precedence. */
  revision?: string;
  /** ONNX variant: fp32 (default), fp16, q8, int8, uint8, q4, q4f16, bnb4. */
  dtype?: string;
  /** Hub cache folder (default: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Hub URL (default: HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Never touch the network (default: HF_HUB_OFFLINE is 1/true/yes/on). */
  offline?: boolean;
  /** Access token (default: HF_TOKEN). Sent only to the hub's own origin, never logged. */
  token?: string;
  /** Progress callback; without it a progress bar is drawn when stderr is a TTY. */
  onProgress?: (p: DownloadProgress) => void;
  /** Extra attempts per file after a dropped connection or 5xx (default 3). */
  retries?: number;
  /** Wait before retry k is k * retryDelayMs (default 1000). */
  retryDelayMs?: number;
}

/** ONNX file-name suffix of each transformers.js dtype (onnx/model{suffix}.onnx). */
export const DTYPE_SUFFIXES: Readonly<Record<string, string>> = {
  fp32: "",
  fp16: "_fp16",
  int8: "_int8",
  uint8: "_uint8",
  q8: "_quantized",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
};

/** Files fetched besides the ONNX graph: required ones, then optional ones. */
const REQUIRED_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"];
const OPTIONAL_FILES = ["generation_config.json", "special_tokens_map.json"];
const MAX_DATA_CHUNKS = 100;

/** Path of the decoder graph for `dtype` inside a model folder, e.g. "onnx/model_q4.onnx". */
export function onnxFileForDtype(dtype = "fp32"): string {
  const suffix = DTYPE_SUFFIXES[dtype];
  if (suffix === undefined) {
    throw new UserError(
      `unknown dtype "${dtype}": expected one of ${Object.keys(DTYPE_SUFFIXES).join(", ")}`,
    );
  }
  return `onnx/model${suffix}.onnx`;
}

/** External-data file names of `onnxFile` (transformers.js naming: X.onnx_data, X.onnx_data_1, ...). */
export function externalDataFile(onnxFile: string, chunk: number): string {
  return chunk === 0 ? `${onnxFile}_data` : `${onnxFile}_data_${chunk}`;
}

/**
 * Number of external-data chunks config.json declares for `onnxFile`
 * (`transformers.js_config.use_external_data_format`: boolean, count, or per-file map).
 */
export function declaredDataChunks(config: unknown, onnxFile: string): number {
  const tjs = (config as Record<string, unknown> | null)?.["transformers.js_config"] as
    | Record<string, unknown>
    | undefined;
  const v = tjs?.use_external_data_format;
  if (v === undefined || v === null || v === false) return 0;
  if (typeof v === "object") {
    const full = onnxFile.split("/").pop() ?? onnxFile;
    const map = v as Record<string, unknown>;
    const entry = map[full] ?? map[full.replace(/\.onnx$/, "")] ?? map["model"];
    return entry === undefined ? 0 : Math.min(MAX_DATA_CHUNKS, Number(entry) || 0);
  }
  return Math.min(MAX_DATA_CHUNKS, Number(v) || 0);
}

/** True for HF-style boolean environment values (1, true, yes, on). */
function envFlag(v: string | undefined): boolean {
  return v !== undefined && ["1", "true", "yes", "on"].includes(v.trim().toLowerCase());
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

/** The hub cache folder: HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME|~/.cache /huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const direct = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (direct) return expandHome(direct);
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
  return join(expandHome(home), "hub");
}

/** The hub URL: HF_ENDPOINT, else https://huggingface.co (no trailing slash). */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
}

/** True when HF_HUB_OFFLINE asks for offline mode. */
export function hubOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return envFlag(env.HF_HUB_OFFLINE);
}

/** A parsed `hf:` source. */
export interface HubSource {
  repoId: string;
  revision?: string;
}

/** Parse `hf:org/name[@revision]`; null for anything else (a local path). */
export function parseHubSource(source: string): HubSource | null {
  if (!source.startsWith("hf:")) return null;
  const rest = source.slice(3);
  const at = rest.indexOf("@");
  const repoId = at < 0 ? rest : rest.slice(0, at);
  const revision = at < 0 ? undefined : rest.slice(at + 1);
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repoId) || repoId.includes("..")) {
    throw new UserError(
      `bad Hugging Face model id in "${source}": expected hf:org/name or hf:org/name@revision`,
    );
  }
  if (revision !== undefined && (revision === "" || revision.includes(".."))) {
    throw new UserError(`bad revision in "${source}"`);
  }
  return { repoId, revision };
}

/** Cache folder name of a model repository: models--org--name. */
export function repoFolderName(repoId: string): string {
  return `models--${repoId.split("/").join("--")}`;
}

const isCommit = (rev: string) => /^[0-9a-f]{40}$/.test(rev);

/** The files of one snapshot this module fetches, and what is known about each. */
interface Plan {
  required: string[];
  optional: string[];
  onnxFile: string;
}

function planFor(dtype: string | undefined): Plan {
  const onnxFile = onnxFileForDtype(dtype ?? "fp32");
  return { required: [...REQUIRED_FILES, onnxFile], optional: OPTIONAL_FILES, onnxFile };
}

/** Repository layout helpers over one models--org--name folder. */
class RepoCache {
  constructor(readonly dir: string) {}
  snapshot(commit: string): string {
    return join(this.dir, "snapshots", commit);
  }
  ref(revision: string): string {
    return join(this.dir, "refs", revision);
  }
  noExist(commit: string, file: string): string {
    return join(this.dir, ".no_exist", commit, file);
  }
  blob(etag: string): string {
    return join(this.dir, "blobs", etag);
  }
  readRef(revision: string): string | undefined {
    try {
      const sha = readFileSync(this.ref(revision), "utf8").trim();
      return isCommit(sha) ? sha : undefined;
    } catch {
      return undefined;
    }
  }
  has(commit: string, file: string): boolean {
    return existsSync(join(this.snapshot(commit), file));
  }
  knownAbsent(commit: string, file: string): boolean {
    return existsSync(this.noExist(commit, file));
  }
  async markAbsent(commit: string, file: string): Promise<void> {
    const p = this.noExist(commit, file);
    await fsp.mkdir(dirname(p), { recursive: true });
    await fsp.writeFile(p, "");
  }
  async writeRef(revision: string, commit: string): Promise<void> {
    const p = this.ref(revision);
    await fsp.mkdir(dirname(p), { recursive: true });
    await fsp.writeFile(p, commit);
  }
  /** Point snapshots/<commit>/<file> at blobs/<etag> (relative symlink; a copy where links fail). */
  async link(commit: string, file: string, etag: string): Promise<void> {
    const target = join(this.snapshot(commit), file);
    await fsp.mkdir(dirname(target), { recursive: true });
    const rel = relative(dirname(target), this.blob(etag));
    for (let tries = 0; ; tries++) {
      await fsp.rm(target, { force: true });
      try {
        await fsp.symlink(rel, target);
        return;
      } catch (err) {
        if ((err as { code?: string }).code === "EEXIST" && tries < 3) continue; // a concurrent writer
        await fsp.copyFile(this.blob(etag), target); // file systems without symlinks
        return;
      }
    }
  }
  /**
   * Hold an exclusive lock on blob `etag` while `fn` runs (a file with the owner's pid under
   * .locks/; a lock whose process is gone is taken over), so concurrent downloads do not mix.
   */
  async withBlobLock<T>(etag: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(dirname(this.dir), ".locks", basename(this.dir), `${etag}.instructzero.lock`);
    await fsp.mkdir(dirname(lock), { recursive: true });
    for (;;) {
      try {
        await fsp.writeFile(lock, String(process.pid), { flag: "wx" });
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== "EEXIST") throw err;
        const owner = Number(await fsp.readFile(lock, "utf8").catch(() => ""));
        if (owner > 0 && owner !== process.pid && !processAlive(owner)) {
          await fsp.rm(lock, { force: true });
          continue;
        }
        await sleep(100);
      }
    }
    try {
      return await fn();
    } finally {
      await fsp.rm(lock, { force: true });
    }
  }
  /** Files still needed for a complete snapshot (strict: optional files must be present or known absent). */
  missing(commit: string, plan: Plan, strict: boolean): string[] {
    const out = plan.required.filter((f) => !this.has(commit, f));
    if (strict)
      out.push(...plan.optional.filter((f) => !this.has(commit, f) && !this.knownAbsent(commit, f)));
    let declared = 0;
    if (this.has(commit, "config.json")) {
      try {
        declared = declaredDataChunks(
          JSON.parse(readFileSync(join(this.snapshot(commit), "config.json"), "utf8")),
          plan.onnxFile,
        );
      } catch {
        declared = 0;
      }
    }
    for (let i = 0; i < MAX_DATA_CHUNKS; i++) {
      const f = externalDataFile(plan.onnxFile, i);
      if (this.has(commit, f)) continue;
      if (i < declared || (strict && !this.knownAbsent(commit, f))) out.push(f);
      if (i >= declared) break;
    }
    return out;
  }
}

/** The hub could not be reached (retryable inside a download). */
class HubNetworkError extends UserError {
  readonly retryable = true;
}

/** Metadata of one remote file. */
interface RemoteFile {
  etag: string;
  size?: number;
  url: string;
}

/** HTTP access to one repository on the hub, with error messages that name it. */
class HubClient {
  readonly origin: string;
  constructor(
    readonly endpoint: string,
    readonly repoId: string,
    readonly token: string | undefined,
  ) {
    try {
      this.origin = new URL(endpoint).origin;
    } catch {
      throw new UserError(
        `bad hub endpoint "${endpoint}" (HF_ENDPOINT): expected a URL such as https://huggingface.co`,
      );
    }
  }

  headers(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = {
      "user-agent": "instructzero",
      "accept-encoding": "identity",
      ...extra,
    };
    if (this.token && new URL(url).origin === this.origin) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  /** fetch that turns network failures into a UserError naming the model and the ways out. */
  async fetch(url: string, init: { method: string; headers?: Record<string, string> }): Promise<Response> {
    try {
      return await fetch(url, { ...init, headers: this.headers(url, init.headers), redirect: "manual" });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = c?.code ?? c?.message ?? (err as Error).message;
      throw new HubNetworkError(
        `cannot download model ${this.repoId} from ${this.endpoint} (${why}). Check the network, set HF_ENDPOINT ` +
          `to a reachable mirror, or pass a local model folder (config.json, tokenizer.json, onnx/model*.onnx) instead of hf:${this.repoId}`,
        { cause: err },
      );
    }
  }

  /** A UserError for a non-OK status. */
  statusError(res: Response, what: string): UserError {
    const code = res.headers.get("x-error-code") ?? "";
    const where = `model ${this.repoId} on ${this.endpoint}`;
    if (res.status === 401 || res.status === 403 || code === "GatedRepo") {
      const tokenHint = this.token
        ? "the token in HF_TOKEN was rejected or lacks access (gated models need their license accepted on the website)"
        : "the repository may be private, gated or misspelled; set HF_TOKEN to an access token with read permission";
      return new UserError(`access denied (HTTP ${res.status}) to ${what} of ${where}: ${tokenHint}`);
    }
    if (code === "RepoNotFound") return new UserError(`${where} does not exist (check the model id)`);
    if (code === "RevisionNotFound") return new UserError(`${what} of ${where}: revision not found`);
    return new UserError(`HTTP ${res.status} while fetching ${what} of ${where}`);
  }

  /** Resolve `revision` to a commit and, when the hub API answers, the repository's file list. */
  async resolveRevision(revision: string): Promise<{ commit: string; files?: Set<string> }> {
    const api = `${this.endpoint}/api/models/${this.repoId}/revision/${encodeURIComponent(revision)}`;
    const res = await this.fetch(api, { method: "GET" });
    if (res.ok) {
      const body = (await res.json().catch(() => ({}))) as {
        sha?: string;
        siblings?: Array<{ rfilename?: string }>;
      };
      if (body.sha && isCommit(body.sha)) {
        const files = body.siblings ? new Set(body.siblings.map((s) => String(s.rfilename))) : undefined;
        return { commit: body.sha, files };
      }
    } else {
      await res.body?.cancel();
      if (res.status !== 404 || res.headers.get("x-error-code"))
        throw this.statusError(res, `revision "${revision}"`);
    }
    // No usable API (e.g. a plain mirror): the resolve endpoint's X-Repo-Commit names the commit.
    const meta = await this.head(revision, "config.json");
    if (!meta?.commit) {
      throw new UserError(
        `cannot resolve revision "${revision}" of model ${this.repoId} on ${this.endpoint}: no commit in the answer`,
      );
    }
    return { commit: meta.commit };
  }

  fileUrl(revision: string, file: string): string {
    const path = file.split("/").map(encodeURIComponent).join("/");
    return `${this.endpoint}/${this.repoId}/resolve/${encodeURIComponent(revision)}/${path}`;
  }

  /** HEAD a file: its blob id (ETag / X-Linked-Etag), size and commit; null when it does not exist. */
  async head(revision: string, file: string): Promise<(RemoteFile & { commit?: string }) | null> {
    let url = this.fileUrl(revision, file);
    for (let hop = 0; hop < 5; hop++) {
      const res = await this.fetch(url, { method: "HEAD" });
      const h = res.headers;
      const etag = normaliseEtag(h.get("x-linked-etag") ?? h.get("etag"));
      const commit = h.get("x-repo-commit") ?? undefined;
      const sizeH = h.get("x-linked-size") ?? h.get("content-length");
      const size = sizeH === null ? undefined : Number(sizeH);
      if (res.status >= 300 && res.status < 400) {
        // LFS files redirect to a CDN: the hub's own answer carries the metadata.
        if (h.get("x-linked-etag") && etag) return { etag, size, url: this.fileUrl(revision, file), commit };
        const loc = h.get("location");
        if (!loc) throw this.statusError(res, file);
        url = new URL(loc, url).toString();
        continue;
      }
      if (res.status === 404 && (h.get("x-error-code") ?? "EntryNotFound") === "EntryNotFound") return null;
      if (!res.ok) throw this.statusError(res, file);
      if (!etag) throw new UserError(`no ETag for ${file} of model ${this.repoId} on ${this.endpoint}`);
      return { etag, size, url: this.fileUrl(revision, file), commit };
    }
    throw new UserError(`too many redirects for ${file} of model ${this.repoId}`);
  }

  /** GET `url` (following redirects by hand so the token never leaves the hub's origin). */
  async get(url: string, headers: Record<string, string>, what: string): Promise<Response> {
    let u = url;
    for (let hop = 0; hop < 5; hop++) {
      const res = await this.fetch(u, { method: "GET", headers });
      if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
        await res.body?.cancel();
        u = new URL(res.headers.get("location")!, u).toString();
        continue;
      }
      return res;
    }
    throw new UserError(`too many redirects for ${what} of model ${this.repoId}`);
  }
}

/** True when process `pid` exists (on this machine). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

function normaliseEtag(v: string | null): string | undefined {
  if (!v) return undefined;
  return v.replace(/^W\//, "").replace(/^"|"$/g, "") || undefined;
}

/** Check a finished blob against its etag when the etag is a content hash (LFS sha256 or git sha1). */
async function verifyBlob(path: string, etag: string, size: number): Promise<boolean> {
  let hash: ReturnType<typeof createHash>;
  if (/^[0-9a-f]{64}$/.test(etag)) hash = createHash("sha256");
  else if (/^[0-9a-f]{40}$/.test(etag)) {
    hash = createHash("sha1");
    hash.update(`blob ${size}\0`);
  } else return true;
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex") === etag;
}

/** Progress reporting: the caller's callback, a TTY progress bar, or nothing. */
function progressReporter(opts: ResolveModelOptions): {
  start(file: string, bytes: number, total?: number): (bytes: number) => void;
  stop(): void;
} {
  if (opts.onProgress) {
    const cb = opts.onProgress;
    return {
      start(file, bytes, total) {
        cb({ file, bytes, total });
        return (b) => cb({ file, bytes: b, total });
      },
      stop() {},
    };
  }
  if (!process.stderr.isTTY) return { start: () => () => {}, stop() {} };
  let bar: cliProgress.SingleBar | undefined;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return {
    start(file, bytes, total) {
      bar?.stop();
      bar = undefined;
      if (total !== undefined && total < BAR_MIN_BYTES) return () => {};
      bar = new cliProgress.SingleBar(
        {
          format: `${file} [{bar}] {percentage}% | {mb}/{totalMb} MB | ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, bytes, { mb: mb(bytes), totalMb: total === undefined ? "?" : mb(total) });
      return (b) => bar?.update(b, { mb: mb(b) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Files smaller than this get no progress bar. */
const BAR_MIN_BYTES = 1_000_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Downloads files of one commit into the cache, resuming partial blobs. */
class Downloader {
  constructor(
    readonly cache: RepoCache,
    readonly client: HubClient,
    readonly commit: string,
    readonly opts: ResolveModelOptions,
    readonly progress: ReturnType<typeof progressReporter>,
  ) {}

  /** Fetch `file` into blobs/ and link it from the snapshot; false when the hub has no such file. */
  async fetchFile(file: string): Promise<boolean> {
    const meta = await this.client.head(this.commit, file);
    if (!meta) return false;
    const blob = this.cache.blob(meta.etag);
    const complete = () => existsSync(blob) && (meta.size === undefined || statSync(blob).size === meta.size);
    if (!complete()) {
      await this.cache.withBlobLock(meta.etag, async () => {
        if (!complete()) await this.download(file, meta);
      });
    }
    await this.cache.link(this.commit, file, meta.etag);
    return true;
  }

  private async download(file: string, meta: RemoteFile): Promise<void> {
    const blob = this.cache.blob(meta.etag);
    const part = `${blob}.incomplete`;
    await fsp.mkdir(dirname(blob), { recursive: true });
    const retries = this.opts.retries ?? 3;
    const delay = this.opts.retryDelayMs ?? 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.attempt(file, meta, part);
        break;
      } catch (err) {
        const retryable = !(err instanceof UserError) || (err as { retryable?: boolean }).retryable === true;
        if (!retryable || attempt >= retries) {
          if (err instanceof UserError && !(err instanceof HubNetworkError)) throw err;
          const have = existsSync(part) ? statSync(part).size : 0;
          const of = meta.size === undefined ? "" : ` of ${meta.size}`;
          throw new UserError(
            `download of ${file} (model ${this.client.repoId}) stopped after ${have}${of} bytes: ${
              (err as Error).message
            }. Run the command again to resume (partial data kept in ${part}); or set HF_ENDPOINT to a ` +
              `mirror, or pass a local model folder instead of hf:${this.client.repoId}`,
            { cause: err },
          );
        }
        await sleep(delay * (attempt + 1));
      }
    }
    if (!(await verifyBlob(part, meta.etag, meta.size ?? statSync(part).size))) {
      await fsp.rm(part, { force: true });
      throw new UserError(
        `downloaded ${file} of model ${this.client.repoId} does not match its checksum ${meta.etag}; run again`,
      );
    }
    await fsp.rename(part, blob);
  }

  /** One GET of the missing byte range, appended to the .incomplete file. */
  private async attempt(file: string, meta: RemoteFile, part: string): Promise<void> {
    let start = existsSync(part) ? statSync(part).size : 0;
    if (meta.size !== undefined && start > meta.size) {
      await fsp.rm(part, { force: true });
      start = 0;
    }
    if (meta.size !== undefined && start === meta.size) return;
    const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
    const res = await this.client.get(meta.url, headers, file);
    if (res.status === 416) {
      await res.body?.cancel();
      await fsp.rm(part, { force: true });
      throw Object.assign(new UserError(`server refused to resume ${file} at byte ${start}`), {
        retryable: true,
      });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      const e = this.client.statusError(res, file);
      throw Object.assign(e, { retryable: res.status === 429 || res.status >= 500 });
    }
    let append = false;
    if (res.status === 206) {
      const m = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "");
      if (!m || Number(m[1]) !== start) {
        await res.body.cancel();
        await fsp.rm(part, { force: true });
        throw Object.assign(new UserError(`bad Content-Range resuming ${file}`), { retryable: true });
      }
      append = true;
    }
    let bytes = append ? start : 0;
    const total = meta.size;
    const tick = this.progress.start(file, bytes, total);
    // Sequential awaited writes: whatever arrived before a dropped connection is on disk to resume from.
    const fh = await fsp.open(part, append ? "a" : "w");
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        bytes += chunk.length;
        tick(bytes);
      }
    } finally {
      await fh.close();
      this.progress.stop();
    }
    if (total !== undefined && bytes !== total) {
      throw new Error(`connection closed at byte ${bytes} of ${total}`);
    }
  }
}

/**
 * The local folder of a generator model. A local path is checked and returned unchanged;
 * `hf:org/name[@revision]` is resolved to a snapshot folder of the hub cache, downloading the
 * files a transformers.js-style generator needs (config, tokenizer, onnx/model{dtype}.onnx and its
 * external data) on first use. A complete cached snapshot makes no network request.
 */
export async function resolveModelSource(source: string, opts: ResolveModelOptions = {}): Promise<string> {
  const hub = parseHubSource(source);
  if (!hub) return checkLocalFolder(source);
  if (hub.revision && opts.revision && hub.revision !== opts.revision) {
    throw new UserError(
      `conflicting revisions for ${hub.repoId}: "${hub.revision}" in the source, "${opts.revision}" given`,
    );
  }
  const revision = hub.revision ?? opts.revision ?? "main";
  const plan = planFor(opts.dtype);
  const cacheRoot = opts.cacheDir ?? hubCacheDir();
  const cache = new RepoCache(join(cacheRoot, repoFolderName(hub.repoId)));
  const offline = opts.offline ?? hubOffline();
  const cachedCommit = isCommit(revision) ? revision : cache.readRef(revision);

  if (cachedCommit && cache.missing(cachedCommit, plan, !offline).length === 0)
    return cache.snapshot(cachedCommit);
  if (offline) {
    const missing = cachedCommit ? cache.missing(cachedCommit, plan, false) : ["(no cached snapshot)"];
    throw new UserError(
      `model ${hub.repoId}@${revision} (${plan.onnxFile}) is not complete in the hub cache ${cacheRoot} ` +
        `(missing: ${missing.join(", ")}) and offline mode is on (HF_HUB_OFFLINE / --offline). Download it once ` +
        `online, or pass the path of a local model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx) instead`,
    );
  }

  const client = new HubClient(
    opts.endpoint ?? hubEndpoint(),
    hub.repoId,
    opts.token ?? process.env.HF_TOKEN,
  );
  try {
    return await downloadSnapshot(cache, client, revision, plan, opts);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code && ["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT"].includes(code)) {
      throw new UserError(
        `cannot write model ${hub.repoId} into the hub cache ${cacheRoot} (${code}): free space or choose ` +
          "another folder with HF_HUB_CACHE / HF_HOME",
        { cause: err },
      );
    }
    throw err;
  }
}

/** Fetch what the cached snapshot of `revision` lacks; returns the snapshot folder. */
async function downloadSnapshot(
  cache: RepoCache,
  client: HubClient,
  revision: string,
  plan: Plan,
  opts: ResolveModelOptions,
): Promise<string> {
  const repoId = client.repoId;
  const { commit, files } = await client.resolveRevision(revision);
  if (!isCommit(revision)) await cache.writeRef(revision, commit);
  const progress = progressReporter(opts);
  const dl = new Downloader(cache, client, commit, opts, progress);
  const exists = (f: string) => (files ? files.has(f) : undefined);

  for (const f of plan.required) {
    if (cache.has(commit, f)) continue;
    if (exists(f) === false) throw missingFileError(repoId, revision, f, files!);
    if (!(await dl.fetchFile(f))) throw missingFileError(repoId, revision, f, files);
  }
  for (const f of plan.optional) {
    if (cache.has(commit, f) || cache.knownAbsent(commit, f)) continue;
    const present = exists(f) !== false && (await dl.fetchFile(f));
    if (!present) await cache.markAbsent(commit, f);
  }
  for (let i = 0; i < MAX_DATA_CHUNKS; i++) {
    const f = externalDataFile(plan.onnxFile, i);
    if (cache.has(commit, f)) continue;
    if (cache.knownAbsent(commit, f)) break;
    const present = exists(f) !== false && (await dl.fetchFile(f));
    if (!present) {
      await cache.markAbsent(commit, f);
      break;
    }
  }
  const still = cache.missing(commit, plan, true);
  if (still.length > 0) {
    throw new UserError(
      `model ${repoId}@${revision}: files declared in config.json are missing: ${still.join(", ")}`,
    );
  }
  return cache.snapshot(commit);
}

function missingFileError(repoId: string, revision: string, file: string, files?: Set<string>): UserError {
  let hint = "";
  if (file.startsWith("onnx/") && files) {
    const variants = Object.entries(DTYPE_SUFFIXES)
      .filter(([, s]) => files.has(`onnx/model${s}.onnx`))
      .map(([d]) => d);
    hint =
      variants.length > 0
        ? `; this repository has dtypes: ${variants.join(", ")}`
        : "; this repository has no onnx/model*.onnx (not a transformers.js/ONNX export: try an onnx-community/ model)";
  }
  return new UserError(`model ${repoId}@${revision} has no ${file}${hint}`);
}

/** Check that a local model folder exists; its contents are checked by the loader. */
function checkLocalFolder(path: string): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    const hint = /^[\w.-]+\/[\w.-]+$/.test(path) ? ` (for a Hugging Face model, write hf:${path})` : "";
    throw new UserError(`model folder ${path} does not exist or is not a directory${hint}`);
  }
  return path;
}
