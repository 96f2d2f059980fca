/**
 * Model sources: a local transformers.js-style folder, or `hf:org/name[@revision]` downloaded from
 * the Hugging Face Hub into the standard hub cache layout (shared with huggingface_hub and
 * transformers; see ./cache-layout.ts). Only the files a transformers.js-style generator needs are
 * fetched (./files.ts). A complete snapshot is used without any network request; partial downloads
 * resume with HTTP Range requests and are checked against their ETag (./download.ts); offline mode
 * uses the cache only (./offline.ts). Progress is reported by callback (./progress.ts), never drawn.
 *
 *   source.ts        hf: parsing, local folders
 *   files.ts         dtype -> onnx/model{suffix}.onnx, external-data chunks, the file plan
 *   cache-layout.ts  cache folder, blobs / snapshots / refs / .no_exist, blob locks
 *   http.ts          the hub client (revision, HEAD metadata, redirects, token scope, errors)
 *   download.ts      resumable, verified downloads of a snapshot's files
 *   offline.ts       HF_HUB_OFFLINE
 *   progress.ts      progress events and the default callback
 */
import { join } from "node:path";
import { UserError } from "../../util/errors.js";
import { hubCacheDir, RepoCache, repoFolderName } from "./cache-layout.js";
import { downloadSnapshot } from "./download.js";
import { planFor } from "./files.js";
import { HubClient, hubEndpoint } from "./http.js";
import { hubOffline, offlineMissError } from "./offline.js";
import { type DownloadProgressCallback, progressCallback } from "./progress.js";
import { checkLocalFolder, isCommit, parseHubSource } from "./source.js";

export { hubCacheDir, repoFolderName } from "./cache-layout.js";
export {
  DTYPE_SUFFIXES,
  declaredDataChunks,
  externalDataFile,
  onnxFileForDtype,
} from "./files.js";
export { hubEndpoint } from "./http.js";
export { hubOffline } from "./offline.js";
export {
  type DownloadProgress,
  type DownloadProgressCallback,
  type DownloadStatus,
  setDefaultDownloadProgress,
} from "./progress.js";
export { type HubSource, parseHubSource } from "./source.js";

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
  /**
   * Progress callback (initiate / progress / done per downloaded file); without it, the default set
   * by {@link setDefaultDownloadProgress}, else nothing is reported.
   */
  onProgress?: DownloadProgressCallback;
  /** Extra attempts per file after a dropped connection or 5xx (default 3). */
  retries?: number;
  /** Wait before retry k is k * retryDelayMs (default 1000). */
  retryDelayMs?: number;
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
    throw offlineMissError(hub.repoId, revision, plan.onnxFile, cacheRoot, missing);
  }

  const client = new HubClient(
    opts.endpoint ?? hubEndpoint(),
    hub.repoId,
    opts.token ?? process.env.HF_TOKEN,
  );
  try {
    return await downloadSnapshot(cache, client, revision, plan, {
      retries: opts.retries,
      retryDelayMs: opts.retryDelayMs,
      onProgress: progressCallback(opts.onProgress),
    });
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
