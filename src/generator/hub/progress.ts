/**
 * Download progress, reported by callback (the library draws nothing; the CLI draws a bar, see
 * src/cli/download-progress.ts). Events follow transformers.js's progress_callback: per file
 * `initiate` (before the first byte, `loaded` = a resumed prefix), `progress` (after each chunk
 * written) and `done` (the file is verified and in the cache).
 */

/** What happened to the file. */
export type DownloadStatus = "initiate" | "progress" | "done";

/** One progress event. */
export interface DownloadProgress {
  status: DownloadStatus;
  /** Repository id, e.g. "onnx-community/Qwen2.5-0.5B-Instruct". */
  name: string;
  /** Path inside the repository, e.g. "onnx/model_q4.onnx". */
  file: string;
  /** Bytes on disk so far (including a resumed prefix). */
  loaded: number;
  /** Size of the file, when the hub says. */
  total?: number;
  /** loaded / total in percent (0-100), when total is known. */
  progress?: number;
  /** Same as `loaded` (the name this field had before the status events). */
  bytes: number;
}

/** A progress callback. */
export type DownloadProgressCallback = (event: DownloadProgress) => void;

let fallback: DownloadProgressCallback | undefined;

/**
 * Set (or clear) the callback used by downloads that were given no `onProgress`: an application
 * (the CLI) sets it once so that every model download it triggers, however deep, reports progress.
 */
export function setDefaultDownloadProgress(cb: DownloadProgressCallback | undefined): void {
  fallback = cb;
}

/** The callback of a download: its own, else the default one, else none. */
export function progressCallback(own?: DownloadProgressCallback): DownloadProgressCallback | undefined {
  return own ?? fallback;
}

/** The event for `file` of `name` at `loaded` bytes. */
export function progressEvent(
  status: DownloadStatus,
  name: string,
  file: string,
  loaded: number,
  total?: number,
): DownloadProgress {
  const e: DownloadProgress = { status, name, file, loaded, bytes: loaded };
  if (total !== undefined) {
    e.total = total;
    e.progress = total > 0 ? Math.min(100, (loaded / total) * 100) : 100;
  }
  return e;
}
