import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { errorMessage, UserError } from "../util/errors.js";
import { DATA_ORIGINS, type DataOrigins, originUrl } from "./catalog.js";

/** Where benchmark data comes from. */
export interface DataOptions {
  /** A local data directory (same layout as the download cache); wins over everything else. */
  dataDir?: string;
  /** Download cache (default `$XDG_CACHE_HOME/instructzero/data`, i.e. `~/.cache/instructzero/data`). */
  cacheDir?: string;
  /** Public origins (tests point these at a local server). */
  origins?: DataOrigins;
  /** Called once per file downloaded. */
  onDownload?: (event: { path: string; url: string; bytes: number }) => void;
  /** Environment (default process.env); INSTRUCTZERO_DATA names a local data directory. */
  env?: NodeJS.ProcessEnv;
}

/** The resolved source of data files. */
export interface DataSource {
  /** Directory that holds (or will hold) the files. */
  dir: string;
  /** True when files are downloaded on demand into `dir` (no local data directory was given). */
  downloads: boolean;
  origins: DataOrigins;
  onDownload?: DataOptions["onDownload"];
}

/** Default download cache for benchmark data. */
export function defaultDataCache(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "instructzero", "data");
}

/** Decide where data files come from: --data-dir, then INSTRUCTZERO_DATA, then the download cache. */
export function resolveDataSource(options: DataOptions = {}): DataSource {
  const env = options.env ?? process.env;
  const local = options.dataDir ?? (env.INSTRUCTZERO_DATA || undefined);
  const origins = options.origins ?? DATA_ORIGINS;
  if (local) {
    const dir = resolve(local);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      const from = options.dataDir ? "--data-dir" : "INSTRUCTZERO_DATA";
      throw new UserError(`data directory ${dir} (from ${from}) does not exist or is not a directory`);
    }
    return { dir, downloads: false, origins };
  }
  return {
    dir: options.cacheDir ?? defaultDataCache(env),
    downloads: true,
    origins,
    onDownload: options.onDownload,
  };
}

/**
 * Local path of a data file, downloading it from its public origin into the cache first when needed.
 * Returns null when the file does not exist (locally, or 404 at the origin) and `optional` is set.
 */
export async function dataFile(
  source: DataSource,
  relPath: string,
  { optional = false }: { optional?: boolean } = {},
): Promise<string | null> {
  const path = join(source.dir, relPath);
  if (existsSync(path)) return path;
  if (!source.downloads) {
    if (optional) return null;
    throw new UserError(`missing data file ${path} (the data directory has no ${relPath})`);
  }
  const missingMarker = `${path}.missing`;
  if (optional && existsSync(missingMarker)) return null;
  const url = originUrl(relPath, source.origins);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    throw new UserError(
      `could not download ${relPath} from ${url}: ${errorMessage(err)}. ` +
        "Offline? Point --data-dir or INSTRUCTZERO_DATA at a local copy of the data.",
    );
  }
  if (response.status === 404 && optional) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(missingMarker, "");
    return null;
  }
  if (!response.ok) {
    throw new UserError(`could not download ${relPath}: ${url} answered HTTP ${response.status}`);
  }
  const body = Buffer.from(await response.arrayBuffer());
  try {
    JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new UserError(`downloaded ${url} is not valid JSON (${errorMessage(err)}); nothing was cached`);
  }
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.part`;
  writeFileSync(partial, body);
  renameSync(partial, path);
  source.onDownload?.({ path: relPath, url, bytes: body.length });
  return path;
}
