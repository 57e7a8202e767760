// The OCI Distribution API under /v2/, as Docker, skopeo and containerd speak
// it: authenticate (Basic AWS:<token> or Bearer <token>), find the repository,
// check its policy, then stream. Blob bodies are never buffered; manifests are
// read whole (at most 4 MiB).
//
//   request → auth → parse path → repository + policy → registry op → headers + stream
//                ↘ RegistryError anywhere → {"errors":[{code,message,detail}]}

import { open, type FileHandle } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { KeyRing, Principal } from "../edge/access-keys.js";
import type { HttpRoute } from "../edge/server.js";
import type { RepositoryRecord } from "../store/registry-store.js";
import { requireAccess, requireAnyAccess, isAllowed, type Caller } from "./access.js";
import type { TokenKey } from "./auth-token.js";
import { parseDigest } from "./digest.js";
import { RegistryError, registryErrors } from "./errors.js";
import { mediaTypes } from "./manifest.js";
import { isRepositoryName } from "./names.js";
import { maxManifestBytes, type Registry } from "./registry.js";
import { isNotFound } from "./blob-store.js";

export interface OciRouteDeps {
  readonly registry: Registry;
  readonly keys: KeyRing;
  readonly tokenKey: TokenKey;
  readonly logger: Logger;
  readonly accountId: string;
}

/** The query parameter that carries a download URL's scoped token (GetDownloadUrlForLayer). */
export const downloadTokenParam = "X-Berth-Token";

type Target =
  | { readonly kind: "base" }
  | { readonly kind: "catalog" }
  | { readonly kind: "tags"; readonly name: string }
  | { readonly kind: "manifest"; readonly name: string; readonly reference: string }
  | { readonly kind: "uploads"; readonly name: string }
  | { readonly kind: "upload"; readonly name: string; readonly id: string }
  | { readonly kind: "blob"; readonly name: string; readonly digest: string }
  | { readonly kind: "referrers"; readonly name: string; readonly digest: string };

/**
 * Repository names contain slashes, so each route is matched from the end of the path.
 * `group(i)` is the i-th capture group of the route's pattern (none of them is optional).
 */
const patterns: readonly [RegExp, (group: (i: 1 | 2) => string) => Target][] = [
  [/^\/v2\/?$/, () => ({ kind: "base" })],
  [/^\/v2\/_catalog$/, () => ({ kind: "catalog" })],
  [/^\/v2\/(.+)\/tags\/list$/, (g) => ({ kind: "tags", name: g(1) })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (g) => ({ kind: "manifest", name: g(1), reference: g(2) })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (g) => ({ kind: "uploads", name: g(1) })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (g) => ({ kind: "upload", name: g(1), id: g(2) })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (g) => ({ kind: "blob", name: g(1), digest: g(2) })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (g) => ({ kind: "referrers", name: g(1), digest: g(2) })],
];

function parseTarget(pathname: string): Target | undefined {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  for (const [re, make] of patterns) {
    const m = re.exec(path);
    if (!m) continue;
    return make((i) => {
      const group = m[i];
      if (group === undefined) throw new Error(`route pattern ${re.source} has no group ${i}`);
      return group;
    });
  }
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function unauthorized(message: string): RegistryError {
  return new RegistryError("UNAUTHORIZED", message);
}

/** n (page size) as the spec defines it: absent means everything. */
function pageSize(url: URL): number {
  const raw = url.searchParams.get("n");
  if (raw === null || raw === "") return 100_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new RegistryError("UNSUPPORTED", `n must be a non-negative integer, not '${raw}'`, undefined, 400);
  return Math.min(n, 100_000);
}

function parseRange(value: string, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return undefined;
  }
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new RegistryError("SIZE_INVALID", `the manifest is larger than ${limit} bytes`, undefined, 413);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const streamChunk = 256 * 1024;
const streamBuffers = 4;

/**
 * Sends bytes [start, end] of an open file through a few reused buffers: a
 * buffer goes back to the pool once the socket has taken its bytes, so a
 * large pull allocates nothing per chunk (and leaves the GC nothing to do).
 */
async function streamFile(fh: FileHandle, start: number, end: number, res: ServerResponse): Promise<void> {
  const free = Array.from({ length: streamBuffers }, () => Buffer.allocUnsafe(streamChunk));
  let wake: (() => void) | undefined;
  let gone = false;
  const onClose = (): void => {
    gone = true;
    wake?.();
  };
  res.once("close", onClose);
  try {
    let position = start;
    while (position <= end) {
      while (free.length === 0 && !gone) await new Promise<void>((r) => (wake = r));
      if (gone) throw new Error("the client closed the connection mid-download");
      const buf = free.pop()!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(streamChunk, end - position + 1), position);
      if (bytesRead === 0) throw new Error("the blob file is shorter than recorded");
      position += bytesRead;
      res.write(bytesRead === streamChunk ? buf : buf.subarray(0, bytesRead), () => {
        free.push(buf);
        wake?.();
        wake = undefined;
      });
    }
    await new Promise<void>((resolve) => res.end(resolve));
  } finally {
    res.off("close", onClose);
    await fh.close();
  }
}

export function ociRoute(deps: OciRouteDeps): HttpRoute {
  const { registry, keys, tokenKey, accountId } = deps;
  const log = deps.logger;

  function realm(): string {
    return `Basic realm="http://${registry.deps.publicHost()}/",service="ecr.amazonaws.com"`;
  }

  function authenticate(req: IncomingMessage, url: URL, target: Target): Caller {
    const auth = header(req, "authorization");
    let token: string | undefined;
    let viaQuery = false;
    if (auth?.startsWith("Basic ")) {
      const decoded = Buffer.from(auth.slice(6).trim(), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      if (user !== "AWS") throw unauthorized(`the user name must be AWS (docker login --username AWS), not '${user}'`);
      token = decoded.slice(colon + 1);
    } else if (auth?.startsWith("Bearer ")) {
      token = auth.slice(7).trim();
    } else if (auth === undefined && url.searchParams.has(downloadTokenParam)) {
      token = url.searchParams.get(downloadTokenParam) ?? "";
      viaQuery = true;
    }
    if (token === undefined) {
      throw unauthorized("authentication required: log in with `aws ecr get-login-password | docker login --username AWS --password-stdin <registry>`");
    }
    const verified = tokenKey.verify(token, registry.now());
    if ("problem" in verified) {
      throw unauthorized(
        verified.problem === "expired"
          ? "Your authorization token has expired. Reauthenticate and try again."
          : "Your authorization token is invalid: get a new one with `aws ecr get-login-password`.",
      );
    }
    const principal: Principal | undefined = keys.lookup(verified.claims.accessKeyId);
    if (!principal) throw unauthorized("Your authorization token was issued to an access key that no longer exists.");
    const scope = verified.claims.scope;
    if (scope !== undefined) {
      // A download URL's token opens one blob and nothing else.
      const allowed = target.kind === "blob" && scope === `blob:${target.name}@${target.digest}`;
      if (!allowed) throw registryErrors.denied("this token only allows downloading the layer it was issued for");
    } else if (viaQuery) {
      throw unauthorized("registry tokens go in the Authorization header, not the URL");
    }
    return { principal, ...(scope !== undefined ? { scope } : {}) };
  }

  async function repository(name: string): Promise<RepositoryRecord> {
    if (!isRepositoryName(name)) throw registryErrors.nameInvalid(name);
    const repo = await registry.getRepository(name);
    if (!repo) throw registryErrors.nameUnknown(name, accountId);
    return repo;
  }

  function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
    const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, "content-length": payload?.length ?? 0 });
    res.end(payload);
  }

  function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | number> = {}): void {
    send(res, status, { "content-type": "application/json", ...headers }, JSON.stringify(value));
  }

  function sendError(req: IncomingMessage, res: ServerResponse, err: RegistryError, headers: Record<string, string | number> = {}): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // An unread body would be taken for the next request on this connection: close it instead.
    if (!req.complete) {
      res.setHeader("connection", "close");
      req.resume();
    }
    if (err.code === "UNAUTHORIZED") res.setHeader("www-authenticate", realm());
    sendJson(res, err.status, { errors: [{ code: err.code, message: err.message, detail: err.detail ?? null }] }, headers);
  }

  const uploadUrl = (name: string, id: string): string => `/v2/${name}/blobs/uploads/${id}`;
  const rangeHeader = (size: number): string => `0-${Math.max(0, size - 1)}`;

  async function uploads(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller, name: string): Promise<void> {
    if (req.method !== "POST") throw registryErrors.unsupported(`${req.method ?? ""} is not supported on ${url.pathname}`);
    const repo = await repository(name);
    requireAccess(caller.principal, accountId, repo, "ecr:InitiateLayerUpload");
    const mount = url.searchParams.get("mount");
    const from = url.searchParams.get("from");
    if (mount !== null && from !== null && isRepositoryName(from)) {
      const source = await registry.getRepository(from);
      if (source && isAllowed(caller.principal, accountId, source, "ecr:GetDownloadUrlForLayer") && (await registry.mountBlob(name, from, mount))) {
        req.resume();
        send(res, 201, { location: `/v2/${name}/blobs/${mount}`, "docker-content-digest": mount });
        return;
      }
    }
    const digest = url.searchParams.get("digest");
    if (digest !== null) {
      requireAccess(caller.principal, accountId, repo, "ecr:UploadLayerPart", "ecr:CompleteLayerUpload");
      const blob = await registry.uploadBlob(name, digest, req);
      send(res, 201, { location: `/v2/${name}/blobs/${blob.digest}`, "docker-content-digest": blob.digest });
      return;
    }
    req.resume();
    const id = await registry.startUpload(name);
    send(res, 202, { location: uploadUrl(name, id), range: "0-0", "docker-upload-uuid": id, "oci-chunk-min-length": 0 });
  }

  async function upload(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller, name: string, id: string): Promise<void> {
    const repo = await repository(name);
    const stateHeaders = async (): Promise<Record<string, string>> => {
      const size = await registry.uploadSize(name, id);
      return { location: uploadUrl(name, id), range: rangeHeader(size), "docker-upload-uuid": id };
    };
    switch (req.method) {
      case "GET": {
        requireAccess(caller.principal, accountId, repo, "ecr:UploadLayerPart");
        send(res, 204, await stateHeaders());
        return;
      }
      case "PATCH":
      case "PUT": {
        const action = req.method === "PATCH" ? "ecr:UploadLayerPart" : "ecr:CompleteLayerUpload";
        requireAccess(caller.principal, accountId, repo, action);
        const contentRange = header(req, "content-range");
        let start: number | undefined;
        if (contentRange !== undefined) {
          const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/\d+|\/\*)?$/.exec(contentRange.trim());
          if (!m) throw new RegistryError("BLOB_UPLOAD_INVALID", `Content-Range '${contentRange}' must be '<start>-<end>'`);
          start = Number(m[1]);
          const length = Number(m[2]) - start + 1;
          const declared = header(req, "content-length");
          if (length <= 0 || (declared !== undefined && Number(declared) !== length)) {
            throw new RegistryError("BLOB_UPLOAD_INVALID", `Content-Range '${contentRange}' does not match Content-Length ${declared ?? "(none)"}`);
          }
        }
        try {
          if (req.method === "PATCH") {
            const size = await registry.appendUpload(name, id, req, start);
            send(res, 202, { location: uploadUrl(name, id), range: rangeHeader(size), "docker-upload-uuid": id });
            return;
          }
          const digest = url.searchParams.get("digest");
          if (digest === null) throw registryErrors.digestInvalid("the digest query parameter is required to complete an upload");
          if (start !== undefined) {
            const size = await registry.uploadSize(name, id);
            if (start !== size) throw new RegistryError("RANGE_INVALID", `the chunk starts at ${start}, but the upload has ${size} bytes`, { size });
          }
          const blob = await registry.completeUpload(name, id, digest, req);
          send(res, 201, { location: `/v2/${name}/blobs/${blob.digest}`, "docker-content-digest": blob.digest });
        } catch (err) {
          if (err instanceof RegistryError && err.code === "RANGE_INVALID") {
            sendError(req, res, err, await stateHeaders());
            return;
          }
          throw err;
        }
        return;
      }
      case "DELETE": {
        requireAccess(caller.principal, accountId, repo, "ecr:UploadLayerPart");
        await registry.cancelUpload(name, id);
        send(res, 204, {});
        return;
      }
      default:
        throw registryErrors.unsupported(`${req.method ?? ""} is not supported on an upload`);
    }
  }

  async function blob(req: IncomingMessage, res: ServerResponse, caller: Caller, name: string, digest: string): Promise<void> {
    const repo = await repository(name);
    if (req.method === "DELETE") {
      requireAccess(caller.principal, accountId, repo, "ecr:BatchDeleteImage");
      throw registryErrors.unsupported("blobs are deleted by garbage collection once no image refers to them; delete the image instead");
    }
    if (req.method !== "GET" && req.method !== "HEAD") throw registryErrors.unsupported(`${req.method ?? ""} is not supported on a blob`);
    // A pusher checks for layers (BatchCheckLayerAvailability) with HEAD; a puller downloads them.
    const actions: [string, ...string[]] =
      req.method === "HEAD" ? ["ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"] : ["ecr:GetDownloadUrlForLayer"];
    if (caller.scope === undefined) requireAnyAccess(caller.principal, accountId, repo, actions);
    if (!parseDigest(digest)) throw registryErrors.digestInvalid(`'${digest}' is not a sha256 or sha512 digest`, { digest });
    const size = await registry.requireBlob(name, digest);
    const base = {
      "docker-content-digest": digest,
      "content-type": "application/octet-stream",
      "accept-ranges": "bytes",
      etag: `"${digest}"`,
      "cache-control": "max-age=31536000",
    };
    if (req.method === "HEAD") {
      res.writeHead(200, { ...base, "content-length": size });
      res.end();
      return;
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    const rangeValue = header(req, "range");
    if (rangeValue !== undefined && size > 0) {
      const range = parseRange(rangeValue, size);
      if (range === "unsatisfiable") {
        sendError(req, res, new RegistryError("RANGE_INVALID", `the range '${rangeValue}' is outside the blob's ${size} bytes`), {
          "content-range": `bytes */${size}`,
        });
        return;
      }
      if (range) {
        ({ start, end } = range);
        status = 206;
      }
    }
    // Open before answering: a blob GC removes afterwards stays readable through this handle.
    let fh;
    try {
      fh = await open(registry.blobs.blobPath(digest), "r");
    } catch (err) {
      if (isNotFound(err)) throw registryErrors.blobUnknown(digest);
      throw err;
    }
    const length = size === 0 ? 0 : end - start + 1;
    res.writeHead(status, {
      ...base,
      "content-length": length,
      ...(status === 206 ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (length === 0) {
      await fh.close();
      res.end();
      return;
    }
    await streamFile(fh, start, end, res);
  }

  async function manifest(req: IncomingMessage, res: ServerResponse, caller: Caller, name: string, reference: string): Promise<void> {
    const repo = await repository(name);
    switch (req.method) {
      case "GET":
      case "HEAD": {
        requireAccess(caller.principal, accountId, repo, "ecr:BatchGetImage");
        const m = await registry.getManifest(name, reference, req.method === "GET");
        const body = Buffer.from(m.content, "utf8");
        res.writeHead(200, {
          "content-type": m.mediaType,
          "content-length": body.length,
          "docker-content-digest": m.digest,
          etag: `"${m.digest}"`,
        });
        res.end(req.method === "GET" ? body : undefined);
        return;
      }
      case "PUT": {
        requireAccess(caller.principal, accountId, repo, "ecr:PutImage");
        const body = await readLimited(req, maxManifestBytes);
        const result = await registry.putManifest(name, reference, body, header(req, "content-type"));
        send(res, 201, {
          location: `/v2/${name}/manifests/${result.digest}`,
          "docker-content-digest": result.digest,
          ...(result.manifest.subject ? { "oci-subject": result.manifest.subject.digest } : {}),
        });
        return;
      }
      case "DELETE": {
        requireAccess(caller.principal, accountId, repo, "ecr:BatchDeleteImage");
        await registry.deleteManifest(name, reference);
        send(res, 202, {});
        return;
      }
      default:
        throw registryErrors.unsupported(`${req.method ?? ""} is not supported on a manifest`);
    }
  }

  async function tags(res: ServerResponse, url: URL, caller: Caller, name: string): Promise<void> {
    const repo = await repository(name);
    requireAccess(caller.principal, accountId, repo, "ecr:ListImages");
    const n = pageSize(url);
    const last = url.searchParams.get("last") ?? undefined;
    const page = n === 0 ? { tags: [], more: false } : await registry.listTags(name, n, last);
    const lastTag = page.tags.at(-1);
    const next: Record<string, string> =
      page.more && lastTag !== undefined ? { link: `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(lastTag)}>; rel="next"` } : {};
    sendJson(res, 200, { name, tags: page.tags }, next);
  }

  async function catalog(res: ServerResponse, url: URL, caller: Caller): Promise<void> {
    const n = pageSize(url);
    let after = url.searchParams.get("last") ?? undefined;
    const names: string[] = [];
    let more = false;
    // Pages over repositories, keeping those the caller may describe, until n are found.
    while (names.length < n) {
      const page = await registry.store.registry.tx((tx) => tx.listRepositories({ limit: 500, ...(after !== undefined ? { after } : {}) }));
      for (const r of page.items) {
        if (names.length >= n) {
          more = true;
          break;
        }
        if (isAllowed(caller.principal, accountId, r, "ecr:DescribeRepositories")) names.push(r.path);
      }
      if (page.next === undefined || more) break;
      after = page.next;
    }
    const lastName = names.at(-1);
    if (!more && names.length === n && lastName !== undefined) {
      const rest = await registry.store.registry.tx((tx) => tx.listRepositories({ limit: 1, after: lastName }));
      more = rest.items.length > 0;
    }
    const link: Record<string, string> = more && lastName !== undefined ? { link: `</v2/_catalog?n=${n}&last=${encodeURIComponent(lastName)}>; rel="next"` } : {};
    sendJson(res, 200, { repositories: names }, link);
  }

  async function referrers(res: ServerResponse, url: URL, caller: Caller, name: string, digest: string): Promise<void> {
    const repo = await repository(name);
    requireAccess(caller.principal, accountId, repo, "ecr:BatchGetImage");
    if (!parseDigest(digest)) throw registryErrors.digestInvalid(`'${digest}' is not a sha256 or sha512 digest`, { digest });
    const artifactType = url.searchParams.get("artifactType");
    const rows = await registry.store.registry.tx((tx) => tx.referrers(name, digest));
    const manifests = rows
      .map((m) => {
        const doc = JSON.parse(m.content) as { artifactType?: string; annotations?: Record<string, string>; config?: { mediaType?: string } };
        const type = doc.artifactType ?? doc.config?.mediaType;
        return {
          mediaType: m.mediaType,
          digest: m.digest,
          size: Buffer.byteLength(m.content, "utf8"),
          ...(type !== undefined ? { artifactType: type } : {}),
          ...(doc.annotations ? { annotations: doc.annotations } : {}),
        };
      })
      .filter((d) => artifactType === null || d.artifactType === artifactType);
    const body = JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests });
    send(res, 200, { "content-type": mediaTypes.ociIndex, ...(artifactType !== null ? { "oci-filters-applied": "artifactType" } : {}) }, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    res.setHeader("docker-distribution-api-version", "registry/2.0");
    try {
      const parsed = parseTarget(url.pathname);
      const target = parsed && "name" in parsed ? { ...parsed, name: registry.canonicalPath(parsed.name) } : parsed;
      const caller = authenticate(req, url, target ?? { kind: "base" });
      if (!target) throw new RegistryError("NOT_FOUND", `no registry API is served at ${url.pathname}`);
      switch (target.kind) {
        case "base":
          req.resume();
          sendJson(res, 200, {});
          return;
        case "catalog":
          return await catalog(res, url, caller);
        case "tags":
          return await tags(res, url, caller, target.name);
        case "manifest":
          return await manifest(req, res, caller, target.name, target.reference);
        case "uploads":
          return await uploads(req, res, url, caller, target.name);
        case "upload":
          return await upload(req, res, url, caller, target.name, target.id);
        case "blob":
          return await blob(req, res, caller, target.name, target.digest);
        case "referrers":
          return await referrers(res, url, caller, target.name, target.digest);
      }
    } catch (err) {
      if (err instanceof RegistryError) {
        sendError(req, res, err);
        return;
      }
      if (req.destroyed || res.destroyed || req.readableAborted) {
        // The client went away mid-transfer; the upload keeps what arrived and can be resumed.
        log.debug({ err, path: url.pathname }, "registry client disconnected");
        res.destroy();
        return;
      }
      log.error({ err, method: req.method, path: url.pathname }, "registry request failed");
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (!req.complete) res.setHeader("connection", "close");
      sendJson(res, 500, { errors: [{ code: "UNKNOWN", message: "an internal error occurred; retry the request", detail: null }] });
    }
  }

  return {
    matches: (_req, url) => url.pathname === "/v2" || url.pathname.startsWith("/v2/"),
    handle,
  };
}
