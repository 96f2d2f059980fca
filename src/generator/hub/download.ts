/**
 * Downloads into the hub cache: each file is HEADed for its blob id (ETag) and size, fetched into
 * blobs/<etag>.incomplete (resumed with an HTTP Range request after a dropped connection or a new
 * run), checked against its content hash when the ETag is one (LFS sha256, git sha1), renamed to
 * blobs/<etag> and linked from snapshots/<commit>/<path>. One process downloads a blob at a time
 * (a lock file); files known to be absent are remembered in .no_exist/.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, promises as fsp, statSync } from "node:fs";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { linearBackoff, retry } from "../../util/async/index.js";
import { UserError } from "../../util/errors.js";
import type { RepoCache } from "./cache-layout.js";
import { DTYPE_SUFFIXES, externalDataFile, type FilePlan, MAX_DATA_CHUNKS } from "./files.js";
import { type HubClient, HubNetworkError, type RemoteFile } from "./http.js";
import { type DownloadProgressCallback, progressEvent } from "./progress.js";
import { isCommit } from "./source.js";

/** Retry settings of a download. */
export interface DownloadOptions {
  /** Extra attempts per file after a dropped connection or 5xx (default 3). */
  retries?: number;
  /** Wait before retry k is k * retryDelayMs (default 1000). */
  retryDelayMs?: number;
  onProgress?: DownloadProgressCallback;
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

/** Downloads files of one commit into the cache, resuming partial blobs. */
export class Downloader {
  constructor(
    readonly cache: RepoCache,
    readonly client: HubClient,
    readonly commit: string,
    readonly opts: DownloadOptions,
  ) {}

  private report(status: "initiate" | "progress" | "done", file: string, loaded: number, total?: number) {
    this.opts.onProgress?.(progressEvent(status, this.client.repoId, file, loaded, total));
  }

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
    const retryable = (err: unknown) =>
      !(err instanceof UserError) || (err as { retryable?: boolean }).retryable === true;
    try {
      await retry(() => this.attempt(file, meta, part), {
        maxAttempts: retries + 1,
        retryable,
        backoff: linearBackoff(delay),
      });
    } catch (err) {
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
    const size = meta.size ?? statSync(part).size;
    if (!(await verifyBlob(part, meta.etag, size))) {
      await fsp.rm(part, { force: true });
      throw new UserError(
        `downloaded ${file} of model ${this.client.repoId} does not match its checksum ${meta.etag}; run again`,
      );
    }
    await fsp.rename(part, blob);
    this.report("done", file, size, meta.size);
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
    this.report("initiate", file, bytes, total);
    // Sequential awaited writes: whatever arrived before a dropped connection is on disk to resume from.
    const fh = await fsp.open(part, append ? "a" : "w");
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        bytes += chunk.length;
        this.report("progress", file, bytes, total);
      }
    } finally {
      await fh.close();
    }
    if (total !== undefined && bytes !== total) {
      throw new Error(`connection closed at byte ${bytes} of ${total}`);
    }
  }
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

/** Fetch what the cached snapshot of `revision` lacks; returns the snapshot folder. */
export async function downloadSnapshot(
  cache: RepoCache,
  client: HubClient,
  revision: string,
  plan: FilePlan,
  opts: DownloadOptions,
): Promise<string> {
  const repoId = client.repoId;
  const { commit, files } = await client.resolveRevision(revision);
  if (!isCommit(revision)) await cache.writeRef(revision, commit);
  const dl = new Downloader(cache, client, commit, opts);
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
