/**
 * A local imitation of the Hugging Face Hub endpoints resolveModelSource uses: the revision API,
 * resolve/<rev>/<path> (ETag / X-Repo-Commit / Content-Length, LFS files redirected to a second
 * "CDN" server with X-Linked-Etag / X-Linked-Size) and Range requests. Every request is logged.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { startHttpServer, type TestServer } from "../helpers/http-server.js";

/** One file of the fake repository. */
export interface FakeFile {
  data: Buffer;
  /** Served through the CDN redirect with a sha256 X-Linked-Etag, like git-lfs files. */
  lfs?: boolean;
}

/** Behaviour switches, mutable while the server runs. */
export interface FakeHubBehaviour {
  /** Token the hub demands (401 without it). */
  token?: string;
  /** Answer the revision API with a bare 404 (like a plain mirror). */
  noApi?: boolean;
  /** Paths whose next full GET is cut after half the body (the entry is removed when used). */
  dropOnce: Set<string>;
  /** Paths whose every GET is cut after half of what was asked. */
  dropAlways: Set<string>;
  /** Paths served with their first byte flipped (the ETag stays that of the true content). */
  corrupt: Set<string>;
}

/** A logged request. */
export interface FakeRequest {
  server: "hub" | "cdn";
  method: string;
  path: string;
  range?: string;
  auth?: string;
}

/** A running fake hub. */
export interface FakeHub {
  url: string;
  log: FakeRequest[];
  behaviour: FakeHubBehaviour;
  close(): Promise<void>;
}

/** git's blob id of `data` (what the hub sends as ETag for non-LFS files). */
export function gitBlobSha1(data: Buffer): string {
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

/** sha256 hex of `data` (the LFS object id). */
export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function sendBytes(
  req: IncomingMessage,
  res: ServerResponse,
  data: Buffer,
  headers: Record<string, string>,
  drop: boolean,
): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  let start = 0;
  if (m) {
    start = Number(m[1]);
    if (start >= data.length) {
      res.writeHead(416, { "content-range": `bytes */${data.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      ...headers,
      "content-length": String(data.length - start),
      "content-range": `bytes ${start}-${data.length - 1}/${data.length}`,
      "accept-ranges": "bytes",
    });
  } else {
    res.writeHead(200, { ...headers, "content-length": String(data.length), "accept-ranges": "bytes" });
  }
  if (req.method === "HEAD") return void res.end();
  const body = data.subarray(start);
  if (drop) {
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.end());
    return;
  }
  res.end(body);
}

/** Start a fake hub serving `repoId` at `commit` (also under the branch names in `branches`). */
export async function startFakeHub(
  repoId: string,
  commit: string,
  files: Record<string, FakeFile>,
  branches: string[] = ["main"],
): Promise<FakeHub> {
  const log: FakeRequest[] = [];
  const behaviour: FakeHubBehaviour = { dropOnce: new Set(), dropAlways: new Set(), corrupt: new Set() };
  const byLfsId = new Map<string, [string, Buffer]>();
  for (const [path, f] of Object.entries(files)) if (f.lfs) byLfsId.set(sha256(f.data), [path, f.data]);
  const resolveRev = (rev: string) => (rev === commit || branches.includes(rev) ? commit : undefined);

  const served = (path: string, data: Buffer) => {
    if (!behaviour.corrupt.has(path)) return data;
    const bad = Buffer.from(data);
    bad[0] ^= 0xff;
    return bad;
  };
  const record = (server: "hub" | "cdn", req: IncomingMessage) =>
    log.push({
      server,
      method: req.method ?? "",
      path: decodeURIComponent(req.url ?? ""),
      range: req.headers.range,
      auth: req.headers.authorization,
    });
  const dropFor = (path: string, req: IncomingMessage) => {
    if (req.method !== "GET") return false;
    if (behaviour.dropAlways.has(path)) return true;
    if (behaviour.dropOnce.has(path) && !req.headers.range) {
      behaviour.dropOnce.delete(path);
      return true;
    }
    return false;
  };

  const cdn: TestServer = await startHttpServer((req, res) => {
    record("cdn", req);
    const hit = byLfsId.get((req.url ?? "").replace(/^\/blob\//, ""));
    if (!hit) return void res.writeHead(404).end();
    sendBytes(req, res, served(hit[0], hit[1]), { etag: `"${sha256(hit[1])}"` }, dropFor(hit[0], req));
  });

  const hub: TestServer = await startHttpServer((req, res) => {
    record("hub", req);
    if (behaviour.token && req.headers.authorization !== `Bearer ${behaviour.token}`) {
      res.writeHead(401, { "x-error-code": "GatedRepo", "content-type": "application/json" });
      return void res.end(JSON.stringify({ error: "Access to this model is restricted" }));
    }
    const url = new URL(req.url ?? "/", "http://x");
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api) {
      if (behaviour.noApi) return void res.writeHead(404).end("Not Found");
      if (decodeURIComponent(api[1]) !== repoId) {
        return void res.writeHead(404, { "x-error-code": "RepoNotFound" }).end("{}");
      }
      const sha = resolveRev(decodeURIComponent(api[2]));
      if (!sha) return void res.writeHead(404, { "x-error-code": "RevisionNotFound" }).end("{}");
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(
        JSON.stringify({ id: repoId, sha, siblings: Object.keys(files).map((rfilename) => ({ rfilename })) }),
      );
    }
    const prefix = `/${repoId}/resolve/`;
    if (!url.pathname.startsWith(prefix))
      return void res.writeHead(404, { "x-error-code": "RepoNotFound" }).end();
    const [revEnc, ...rest] = url.pathname.slice(prefix.length).split("/");
    const sha = resolveRev(decodeURIComponent(revEnc));
    if (!sha) return void res.writeHead(404, { "x-error-code": "RevisionNotFound" }).end();
    const path = rest.map(decodeURIComponent).join("/");
    const f = files[path];
    if (!f) return void res.writeHead(404, { "x-error-code": "EntryNotFound" }).end();
    if (f.lfs) {
      const id = sha256(f.data);
      res.writeHead(302, {
        location: `${cdn.url}/blob/${id}`,
        "x-linked-etag": `"${id}"`,
        "x-linked-size": String(f.data.length),
        "x-repo-commit": sha,
        etag: `"${gitBlobSha1(Buffer.from(`lfs pointer ${id}`))}"`,
      });
      return void res.end();
    }
    sendBytes(
      req,
      res,
      served(path, f.data),
      { etag: `"${gitBlobSha1(f.data)}"`, "x-repo-commit": sha },
      dropFor(path, req),
    );
  });

  return {
    url: hub.url,
    log,
    behaviour,
    close: async () => {
      await hub.close();
      await cdn.close();
    },
  };
}
