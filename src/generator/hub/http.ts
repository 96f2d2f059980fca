/**
 * HTTP access to one repository on the hub (or a mirror): revision resolution, HEAD metadata
 * (ETag / X-Linked-Etag, size, commit) and GETs that follow redirects by hand so the token never
 * leaves the hub's origin. Every failure is a UserError that names the model and the ways out.
 */
import { UserError } from "../../util/errors.js";
import { isCommit } from "./source.js";

/** The hub URL: HF_ENDPOINT, else https://huggingface.co (no trailing slash). */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
}

/** The hub could not be reached (retryable inside a download). */
export class HubNetworkError extends UserError {
  readonly retryable = true;
}

/** Metadata of one remote file. */
export interface RemoteFile {
  etag: string;
  size?: number;
  url: string;
}

/** The blob id of an ETag header value (quotes and weak prefix removed). */
export function normaliseEtag(v: string | null): string | undefined {
  if (!v) return undefined;
  return v.replace(/^W\//, "").replace(/^"|"$/g, "") || undefined;
}

/** HTTP access to one repository on the hub, with error messages that name it. */
export class HubClient {
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
