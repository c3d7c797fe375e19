// Uppy (@uppy/core with @uppy/aws-s3), headless in Node, uploading through the gateway's Uppy routes
// under the presign base URL (aws_cloud_logic_custom "presign"): the plugin's `endpoint` option is that
// URL, its `headers` option carries the user's access token raw in Authorization, and the plugin calls
//   POST   s3/multipart                           {filename, type, metadata}  → {key, uploadId}
//   GET    s3/multipart/{uploadId}/{n}?key=        (sign part n)               → {url, expires}
//   GET    s3/multipart/{uploadId}?key=            (list parts, on resume)     → [{PartNumber, Size, ETag}]
//   POST   s3/multipart/{uploadId}/complete?key=  {parts: [{ETag, PartNumber}]} → {location, key, bucket}
//   DELETE s3/multipart/{uploadId}?key=            (on cancel or failure)
//   GET    s3/params?filename=&type=&metadata[…]=  (a file sent whole)         → {method, url, headers}
// and PUTs the bytes to the presigned URLs itself, reading each part's ETag from the response headers.
//
// What Node lacks for it: XMLHttpRequest, which the plugin's uploadPartBytes uses for every PUT.
// ./xhr-fetch.mjs puts a small fetch-backed one on globalThis; everything else is Uppy's own code,
// unchanged (Node 20 has File, Blob, fetch, AbortController and crypto.randomUUID globally).
// Golden Retriever (Uppy's resume across page loads) keeps the upload's {key, uploadId} in browser
// storage and puts it back with setFileState; with no browser storage, the resume test does that step
// itself and lets the plugin do the rest (listParts, the missing parts, complete).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import Uppy from "@uppy/core";
import AwsS3 from "@uppy/aws-s3";
import { adminClient, startServer } from "./helpers.mjs";
import {
  MiB,
  adminS3,
  answer,
  gatewayEndpoints,
  identityIdOf,
  jobsOf,
  md5,
  multipartEtag,
  objectExists,
  randomBytes,
  readObject,
  signedInUser,
  userPool,
} from "./upload-helpers.mjs";
import { installXMLHttpRequest } from "./xhr-fetch.mjs";

const PART_SIZE = 5 * MiB;
const TYPE = "application/octet-stream";

let server;
let admin;
let pool;
let s3;
let gw;
let alice;
let bob;
let xhr;
let routes;
const puts = [];
const uppies = [];

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  pool = userPool(server);
  s3 = adminS3(server);
  gw = gatewayEndpoints(server);
  alice = await signedInUser(server, admin, pool, "alice");
  alice.identityId = await identityIdOf(server, alice.idToken);
  bob = await signedInUser(server, admin, pool, "bob");
  bob.identityId = await identityIdOf(server, bob.idToken);
  assert.notEqual(alice.identityId, bob.identityId);
  xhr = installXMLHttpRequest({
    onResponse: (r) => {
      if (r.method === "PUT") puts.push(r);
    },
  });
  routes = recordRoutes(gw.presign);
});

after(async () => {
  for (const uppy of uppies) {
    try {
      uppy.destroy();
    } catch {
      // already gone
    }
  }
  routes?.restore();
  xhr?.restore();
  s3?.destroy();
  admin?.client.destroy();
  if (server) await server.stop();
});

/**
 * Records every request made through the global fetch to a URL under `base` (the plugin's RequestClient
 * uses the global fetch): `{method, path, query, headers, body, status, response}`, `path` relative to
 * `base` and undecoded, `headers` lowercase.
 */
function recordRoutes(base) {
  const original = globalThis.fetch;
  const calls = [];
  globalThis.fetch = async (input, init = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.startsWith(base + "/") && url !== base && !url.startsWith(base + "?")) return original(input, init);
    const parsed = new URL(url);
    const headers = Object.fromEntries(new Headers(init.headers || (input instanceof Request ? input.headers : undefined)));
    let body = null;
    if (typeof init.body === "string") {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    const call = {
      method: (init.method || "GET").toUpperCase(),
      path: parsed.pathname.slice(new URL(base).pathname.length).replace(/^\//, ""),
      query: Object.fromEntries(parsed.searchParams),
      headers,
      body,
    };
    calls.push(call);
    const res = await original(input, init);
    call.status = res.status;
    try {
      call.response = await res.clone().json();
    } catch {
      call.response = undefined;
    }
    return res;
  };
  return {
    calls,
    clear: () => calls.splice(0, calls.length),
    restore: () => {
      globalThis.fetch = original;
    },
  };
}

/** An Uppy with the S3 plugin on the gateway, authorized as `user`. */
function newUppy(user, pluginOptions = {}) {
  const uppy = new Uppy({ id: `uppy-${Math.random().toString(36).slice(2)}`, autoProceed: false });
  uppy.use(AwsS3, {
    endpoint: gw.presign,
    headers: { authorization: user.accessToken },
    shouldUseMultipart: true,
    getChunkSize: () => PART_SIZE,
    retryDelays: [],
    limit: 4,
    ...pluginOptions,
  });
  uppies.push(uppy);
  return uppy;
}

/** The events of one upload: successes, errors and uploaded parts. */
function watch(uppy) {
  const seen = { success: [], error: [], parts: [] };
  uppy.on("upload-success", (file, response) => seen.success.push({ file, response }));
  uppy.on("upload-error", (file, error, response) => seen.error.push({ file, error, response }));
  uppy.on("s3-multipart:part-uploaded", (file, part) => seen.parts.push(part));
  return seen;
}

function addFile(uppy, name, bytes, type = TYPE) {
  return uppy.addFile({ name, type, data: new File([bytes], name, { type }), source: "Local" });
}

/** One call to a gateway route with `token` raw in Authorization; `{status, headers, body}`. */
async function route(method, path, { token, query, json } = {}) {
  const url = `${gw.presign}/${path}${query ? `?${new URLSearchParams(query)}` : ""}`;
  const headers = { Accept: "application/json" };
  if (token !== undefined) headers.Authorization = token;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  return answer(await fetch(url, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) }));
}

/** Starts a multipart upload of `name` as `user` through the contract, and PUTs the given parts of `bytes`. */
async function startByHand(user, name, bytes, partNumbers) {
  const created = await route("POST", "s3/multipart", {
    token: user.accessToken,
    json: { filename: name, type: TYPE, metadata: { name, type: TYPE } },
  });
  assert.equal(created.status, 200, `create: ${created.text}`);
  const { key, uploadId } = created.body;
  assert.equal(key, `private/${user.identityId}/${name}`);
  assert.equal(typeof uploadId, "string");
  const etags = {};
  for (const n of partNumbers) {
    const signed = await route("GET", `s3/multipart/${encodeURIComponent(uploadId)}/${n}`, {
      token: user.accessToken,
      query: { key },
    });
    assert.equal(signed.status, 200, `sign part ${n}: ${signed.text}`);
    const part = bytes.subarray((n - 1) * PART_SIZE, n * PART_SIZE);
    const put = await fetch(signed.body.url, { method: "PUT", body: part });
    const putText = await put.text();
    assert.equal(put.status, 200, `PUT part ${n}: ${putText}`);
    etags[n] = put.headers.get("etag");
    assert.equal(etags[n], `"${md5(part)}"`, `part ${n} ETag`);
  }
  return { key, uploadId, etags };
}

function partCount(size) {
  return Math.ceil(size / PART_SIZE);
}

/** Checks the headers the plugin's RequestClient sent to a route. */
function assertClientHeaders(call, token) {
  assert.equal(call.headers.authorization, token, `${call.method} ${call.path}: Authorization is the raw token`);
  assert.equal(call.headers.accept, "application/json");
  if (call.body != null) assert.equal(call.headers["content-type"], "application/json");
}

function isRefused(status) {
  return status === 401 || status === 403;
}

test("a 40 MiB file in 5 MiB parts: Uppy's multipart upload lands at private/<identityId>/ and is recorded", async () => {
  const bytes = randomBytes(40 * MiB);
  const parts = partCount(bytes.length);
  assert.equal(parts, 8);
  const uppy = newUppy(alice);
  const seen = watch(uppy);
  const fileId = addFile(uppy, "big.bin", bytes);
  routes.clear();
  puts.length = 0;

  const result = await uppy.upload();
  assert.deepEqual(
    seen.error.map((e) => String(e.error?.stack ?? e.error)),
    [],
  );
  assert.equal(result.failed.length, 0);
  assert.deepEqual(result.successful.map((f) => f.id), [fileId]);

  // The routes, in order of kind: one create, one signature per part, one complete; no list, no abort.
  const creates = routes.calls.filter((c) => c.method === "POST" && c.path === "s3/multipart");
  assert.equal(creates.length, 1, JSON.stringify(routes.calls.map((c) => `${c.method} ${c.path}`)));
  const [create] = creates;
  assertClientHeaders(create, alice.accessToken);
  assert.equal(create.body.filename, "big.bin");
  assert.equal(create.body.type, TYPE);
  assert.equal(create.body.metadata.name, "big.bin");
  assert.equal(create.status, 200, JSON.stringify(create.response));
  const { key, uploadId } = create.response;
  assert.equal(key, `private/${alice.identityId}/big.bin`);
  assert.ok(uploadId);

  const signs = routes.calls.filter((c) => c.method === "GET" && /^s3\/multipart\/[^/]+\/\d+$/.test(c.path));
  assert.deepEqual(
    signs.map((c) => Number(c.path.split("/").pop())).sort((a, b) => a - b),
    Array.from({ length: parts }, (_, i) => i + 1),
  );
  for (const sign of signs) {
    assertClientHeaders(sign, alice.accessToken);
    assert.equal(decodeURIComponent(sign.path.split("/")[2]), uploadId);
    assert.deepEqual(sign.query, { key });
    assert.equal(sign.status, 200, JSON.stringify(sign.response));
    assert.equal(typeof sign.response.url, "string");
    // `expires` is in seconds: the plugin sets it as the part PUT's XHR timeout (expires * 1000 ms).
    assert.equal(typeof sign.response.expires, "number", `expires: ${JSON.stringify(sign.response.expires)}`);
    assert.ok(sign.response.expires > 0 && sign.response.expires <= 604_800, `expires ${sign.response.expires}`);
    const url = new URL(sign.response.url);
    assert.equal(url.searchParams.get("uploadId"), uploadId);
    assert.equal(url.searchParams.get("partNumber"), sign.path.split("/").pop());
    assert.equal(url.searchParams.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
  }

  // The part PUTs (through XHR): each 200 with an ETag, the one the plugin hands to complete.
  assert.equal(puts.length, parts);
  const etagOfPart = {};
  for (const put of puts) {
    assert.equal(put.status, 200, put.body);
    const etag = put.headers.get("etag");
    assert.match(etag ?? "", /^"[0-9a-f]{32}"$/, `part PUT ${put.url} has an ETag`);
    const n = Number(new URL(put.url).searchParams.get("partNumber"));
    etagOfPart[n] = etag;
    assert.equal(etag, `"${md5(bytes.subarray((n - 1) * PART_SIZE, n * PART_SIZE))}"`);
  }
  assert.deepEqual(
    seen.parts.map((p) => p.PartNumber).sort((a, b) => a - b),
    Array.from({ length: parts }, (_, i) => i + 1),
  );

  const completes = routes.calls.filter((c) => c.method === "POST" && c.path.endsWith("/complete"));
  assert.equal(completes.length, 1);
  const [complete] = completes;
  assertClientHeaders(complete, alice.accessToken);
  assert.equal(complete.path, `s3/multipart/${encodeURIComponent(uploadId)}/complete`);
  assert.deepEqual(complete.query, { key });
  assert.deepEqual(
    complete.body,
    { parts: Array.from({ length: parts }, (_, i) => ({ ETag: etagOfPart[i + 1], PartNumber: i + 1 })) },
  );
  assert.equal(complete.status, 200, JSON.stringify(complete.response));
  assert.equal(complete.response.key, key);
  assert.equal(complete.response.bucket, gw.bucket);
  assert.equal(typeof complete.response.location, "string");
  assert.equal(routes.calls.filter((c) => c.method === "DELETE").length, 0, "nothing aborted");
  assert.equal(routes.calls.filter((c) => c.method === "GET" && /^s3\/multipart\/[^/]+$/.test(c.path)).length, 0);

  // upload-success carries complete's answer.
  assert.equal(seen.success.length, 1);
  const { response } = seen.success[0];
  assert.equal(response.status, 200);
  assert.equal(response.body.key, key);
  assert.equal(response.body.bucket, gw.bucket);
  assert.equal(response.uploadURL, complete.response.location);

  // What is stored: all the bytes, as S3 computes a multipart ETag.
  const stored = await readObject(s3, gw.bucket, key);
  assert.equal(stored.bytes.length, bytes.length);
  assert.equal(md5(stored.bytes), md5(bytes));
  assert.equal(stored.etag, multipartEtag(bytes, PART_SIZE));
  assert.equal(stored.contentType, TYPE);

  const [job, ...more] = await jobsOf(server, alice.accessToken, key);
  assert.deepEqual(more, []);
  assert.equal(job?.status, "Done", JSON.stringify(job));
  assert.equal(job.fileName, "big.bin");
  assert.equal(job.user, alice.username);
  assert.equal(Number(job.size), bytes.length);
});

test("a small file Uppy sends whole: GET s3/params and one presigned PUT", async () => {
  const bytes = Buffer.from(`small file of ${alice.username}\n`);
  const uppy = newUppy(alice, { shouldUseMultipart: false });
  const seen = watch(uppy);
  addFile(uppy, "small.txt", bytes, "text/plain");
  routes.clear();
  puts.length = 0;

  const result = await uppy.upload();
  assert.deepEqual(seen.error.map((e) => String(e.error?.stack ?? e.error)), []);
  assert.equal(result.successful.length, 1);

  assert.deepEqual(
    routes.calls.map((c) => `${c.method} ${c.path}`),
    ["GET s3/params"],
  );
  const [params] = routes.calls;
  assertClientHeaders(params, alice.accessToken);
  assert.equal(params.query.filename, "small.txt");
  assert.equal(params.query.type, "text/plain");
  assert.equal(params.query["metadata[name]"], "small.txt");
  assert.equal(params.status, 200, JSON.stringify(params.response));
  assert.equal(params.response.method, "PUT");
  assert.equal(typeof params.response.url, "string");
  assert.ok(params.response.headers && typeof params.response.headers === "object");

  assert.equal(puts.length, 1);
  const [put] = puts;
  assert.equal(put.url, params.response.url);
  assert.equal(put.status, 200, put.body);
  assert.equal(put.headers.get("etag"), `"${md5(bytes)}"`);
  // The plugin sent the headers s3/params named.
  for (const [name, value] of Object.entries(params.response.headers)) {
    assert.equal(new Headers(put.requestHeaders).get(name), value, `PUT sent ${name}`);
  }

  const key = `private/${alice.identityId}/small.txt`;
  // uploadURL is the URL without its query: the object's path-style URL.
  const uploadURL = new URL(seen.success[0].response.uploadURL);
  assert.equal(uploadURL.search, "");
  assert.equal(decodeURIComponent(uploadURL.pathname), `/${gw.bucket}/${key}`);

  const stored = await readObject(s3, gw.bucket, key);
  assert.ok(stored.bytes.equals(bytes));
  assert.equal(stored.contentType, "text/plain");
  const [job] = await jobsOf(server, alice.accessToken, key);
  assert.equal(job?.status, "Done", JSON.stringify(job));
  assert.equal(job.fileName, "small.txt");
});

test("an upload interrupted after two parts resumes in a new Uppy: listParts, only the missing parts, complete", async () => {
  const bytes = randomBytes(22 * MiB);
  const parts = partCount(bytes.length);
  assert.equal(parts, 5);
  // The first page load: the upload is started and two parts are sent, then the tab is closed.
  const first = await startByHand(alice, "resume.bin", bytes, [1, 2]);

  // The contract's list of what is there already.
  const listed = await route("GET", `s3/multipart/${encodeURIComponent(first.uploadId)}`, {
    token: alice.accessToken,
    query: { key: first.key },
  });
  assert.equal(listed.status, 200, listed.text);
  assert.ok(Array.isArray(listed.body), `listParts answers an array: ${listed.text}`);
  assert.deepEqual(
    [...listed.body].sort((a, b) => a.PartNumber - b.PartNumber).map(({ PartNumber, Size, ETag }) => ({ PartNumber, Size, ETag })),
    [
      { PartNumber: 1, Size: PART_SIZE, ETag: first.etags[1] },
      { PartNumber: 2, Size: PART_SIZE, ETag: first.etags[2] },
    ],
    "PartNumber and Size are numbers (the plugin compares PartNumber with ===)",
  );

  // The second page load: the same file, and the {key, uploadId} Golden Retriever would have restored.
  const uppy = newUppy(alice);
  const seen = watch(uppy);
  const fileId = addFile(uppy, "resume.bin", bytes);
  uppy.setFileState(fileId, { s3Multipart: { key: first.key, uploadId: first.uploadId } });
  routes.clear();
  puts.length = 0;

  const result = await uppy.upload();
  assert.deepEqual(seen.error.map((e) => String(e.error?.stack ?? e.error)), []);
  assert.equal(result.successful.length, 1);

  const kinds = routes.calls.map((c) => `${c.method} ${c.path.replace(/^s3\/multipart\/[^/]+/, "s3/multipart/{uploadId}")}`);
  assert.equal(kinds.filter((k) => k === "POST s3/multipart").length, 0, "no new upload is created");
  assert.equal(kinds.filter((k) => k === "GET s3/multipart/{uploadId}").length, 1, kinds.join(", "));
  const list = routes.calls.find((c) => c.method === "GET" && /^s3\/multipart\/[^/]+$/.test(c.path));
  assertClientHeaders(list, alice.accessToken);
  assert.equal(list.path, `s3/multipart/${encodeURIComponent(first.uploadId)}`);
  assert.deepEqual(list.query, { key: first.key });
  const signed = routes.calls
    .filter((c) => c.method === "GET" && /^s3\/multipart\/[^/]+\/\d+$/.test(c.path))
    .map((c) => Number(c.path.split("/").pop()))
    .sort((a, b) => a - b);
  assert.deepEqual(signed, [3, 4, 5], "only the missing parts are signed");
  assert.deepEqual(
    puts.map((p) => Number(new URL(p.url).searchParams.get("partNumber"))).sort((a, b) => a - b),
    [3, 4, 5],
    "only the missing parts are sent",
  );
  for (const put of puts) assert.match(put.headers.get("etag") ?? "", /^"[0-9a-f]{32}"$/);

  const complete = routes.calls.find((c) => c.method === "POST" && c.path.endsWith("/complete"));
  assert.ok(complete, kinds.join(", "));
  assert.deepEqual(
    complete.body.parts.slice(0, 2),
    [
      { ETag: first.etags[1], PartNumber: 1 },
      { ETag: first.etags[2], PartNumber: 2 },
    ],
    "the listed parts' ETags are completed as listed",
  );
  assert.deepEqual(complete.body.parts.map((p) => p.PartNumber), [1, 2, 3, 4, 5]);
  assert.equal(complete.status, 200, JSON.stringify(complete.response));

  const stored = await readObject(s3, gw.bucket, first.key);
  assert.equal(stored.bytes.length, bytes.length);
  assert.equal(md5(stored.bytes), md5(bytes));
  assert.equal(stored.etag, multipartEtag(bytes, PART_SIZE));
  const [job] = await jobsOf(server, alice.accessToken, first.key);
  assert.equal(job?.status, "Done", JSON.stringify(job));
  assert.equal(job.fileName, "resume.bin");
});

test("pause after two parts and resume in the same Uppy: it lists the parts and sends only the rest", async () => {
  const bytes = randomBytes(16 * MiB);
  const parts = partCount(bytes.length);
  assert.equal(parts, 4);
  // One request at a time, so the pause comes between parts.
  const uppy = newUppy(alice, { limit: 1 });
  const seen = watch(uppy);
  const fileId = addFile(uppy, "paused.bin", bytes);
  routes.clear();
  puts.length = 0;

  let paused = false;
  let resumed;
  const resumedPromise = new Promise((resolve) => {
    resumed = resolve;
  });
  uppy.on("s3-multipart:part-uploaded", () => {
    if (!paused && seen.parts.length >= 2) {
      paused = true;
      assert.equal(uppy.pauseResume(fileId), true, "paused");
      setTimeout(() => {
        const putsWhilePaused = puts.length;
        assert.equal(uppy.pauseResume(fileId), false, "resumed");
        resumed(putsWhilePaused);
      }, 300);
    }
  });
  const result = await uppy.upload();
  assert.ok(paused, `the upload finished without a pause: ${seen.parts.length} parts, ${seen.error.length} errors`);
  const putsAtResume = await resumedPromise;
  assert.deepEqual(seen.error.map((e) => String(e.error?.stack ?? e.error)), []);
  assert.equal(result.successful.length, 1);
  assert.ok(putsAtResume >= 2 && putsAtResume < parts, `parts sent before resuming: ${putsAtResume}`);

  const lists = routes.calls.filter((c) => c.method === "GET" && /^s3\/multipart\/[^/]+$/.test(c.path));
  assert.equal(lists.length, 1, "the resume lists the parts once");
  assert.equal(lists[0].status, 200, JSON.stringify(lists[0].response));
  const listedNumbers = lists[0].response.map((p) => p.PartNumber).sort((a, b) => a - b);
  assert.ok(listedNumbers.includes(1) && listedNumbers.includes(2), `listed: ${listedNumbers}`);
  // Every part was PUT exactly once: the listed ones before the pause, the rest after.
  const sent = puts.map((p) => Number(new URL(p.url).searchParams.get("partNumber"))).sort((a, b) => a - b);
  assert.deepEqual(sent, [1, 2, 3, 4]);
  const complete = routes.calls.find((c) => c.method === "POST" && c.path.endsWith("/complete"));
  assert.equal(complete?.status, 200, JSON.stringify(complete?.response));
  const key = `private/${alice.identityId}/paused.bin`;
  assert.equal(md5((await readObject(s3, gw.bucket, key)).bytes), md5(bytes));
});

test("another user's token cannot sign, list, complete or abort the first user's upload; the owner still completes it", async () => {
  const bytes = randomBytes(PART_SIZE + 1 * MiB);
  const upload = await startByHand(alice, "mine.bin", bytes, [1]);
  const id = encodeURIComponent(upload.uploadId);
  const parts = [{ PartNumber: 1, ETag: upload.etags[1] }];

  for (const [what, token] of [
    ["Bob's access token", bob.accessToken],
    ["Bob's ID token", `Bearer ${bob.idToken}`],
  ]) {
    const sign = await route("GET", `s3/multipart/${id}/2`, { token, query: { key: upload.key } });
    assert.ok(isRefused(sign.status), `${what} signs a part of Alice's upload: HTTP ${sign.status} ${sign.text}`);
    assert.equal(sign.body?.url, undefined);
    const list = await route("GET", `s3/multipart/${id}`, { token, query: { key: upload.key } });
    assert.ok(isRefused(list.status), `${what} lists Alice's parts: HTTP ${list.status} ${list.text}`);
    const complete = await route("POST", `s3/multipart/${id}/complete`, { token, query: { key: upload.key }, json: { parts } });
    assert.ok(isRefused(complete.status), `${what} completes Alice's upload: HTTP ${complete.status} ${complete.text}`);
    const abort = await route("DELETE", `s3/multipart/${id}`, { token, query: { key: upload.key } });
    assert.ok(isRefused(abort.status), `${what} aborts Alice's upload: HTTP ${abort.status} ${abort.text}`);

    // Alice's upload id under Bob's own prefix is no way in either.
    const ownKey = `private/${bob.identityId}/mine.bin`;
    const sideways = await route("GET", `s3/multipart/${id}/2`, { token, query: { key: ownKey } });
    assert.ok(sideways.status >= 400 && sideways.status < 500, `${what}, Alice's uploadId, Bob's key: HTTP ${sideways.status} ${sideways.text}`);
    assert.equal(sideways.body?.url, undefined);
  }

  // No token at all: 401 on every route.
  for (const [method, path, extra] of [
    ["POST", "s3/multipart", { json: { filename: "x.bin", type: TYPE, metadata: {} } }],
    ["GET", `s3/multipart/${id}/2`, { query: { key: upload.key } }],
    ["GET", `s3/multipart/${id}`, { query: { key: upload.key } }],
    ["POST", `s3/multipart/${id}/complete`, { query: { key: upload.key }, json: { parts } }],
    ["DELETE", `s3/multipart/${id}`, { query: { key: upload.key } }],
    ["GET", "s3/params", { query: { filename: "x.bin", type: TYPE } }],
  ]) {
    const r = await route(method, path, extra);
    assert.equal(r.status, 401, `${method} ${path} without a token: ${r.text}`);
    assert.deepEqual(r.body, { message: "Unauthorized" });
  }

  // Bob's Uppy, handed Alice's {key, uploadId}: the plugin's listParts is refused and the upload fails.
  const uppy = newUppy(bob);
  const seen = watch(uppy);
  const fileId = addFile(uppy, "mine.bin", bytes);
  uppy.setFileState(fileId, { s3Multipart: { key: upload.key, uploadId: upload.uploadId } });
  routes.clear();
  puts.length = 0;
  const result = await uppy.upload();
  assert.equal(result.successful.length, 0);
  assert.equal(result.failed.length, 1);
  assert.equal(seen.error.length, 1);
  assert.deepEqual(puts, [], "Bob's Uppy sent no bytes");
  const bobList = routes.calls.find((c) => c.method === "GET" && /^s3\/multipart\/[^/]+$/.test(c.path));
  assert.ok(isRefused(bobList?.status), JSON.stringify(bobList));
  // @uppy/aws-s3 5.1.0 does not abort an upload whose resume failed (only a failed new upload is
  // aborted); should a version do so, Bob's DELETE must be refused as well.
  await new Promise((r) => setTimeout(r, 100));
  for (const call of routes.calls.filter((c) => c.method === "DELETE")) {
    assert.ok(isRefused(call.status), `Bob's abort: ${JSON.stringify(call)}`);
  }

  // Alice's upload is intact: she finishes it.
  const listed = await route("GET", `s3/multipart/${id}`, { token: alice.accessToken, query: { key: upload.key } });
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body.map((p) => p.PartNumber), [1]);
  const sign = await route("GET", `s3/multipart/${id}/2`, { token: alice.accessToken, query: { key: upload.key } });
  assert.equal(sign.status, 200, sign.text);
  const last = bytes.subarray(PART_SIZE);
  const put = await fetch(sign.body.url, { method: "PUT", body: last });
  assert.equal(put.status, 200, await put.text());
  const etag2 = put.headers.get("etag");
  const complete = await route("POST", `s3/multipart/${id}/complete`, {
    token: alice.accessToken,
    query: { key: upload.key },
    json: { parts: [...parts, { PartNumber: 2, ETag: etag2 }] },
  });
  assert.equal(complete.status, 200, complete.text);
  assert.equal(complete.body.key, upload.key);
  assert.equal(complete.body.bucket, gw.bucket);
  assert.equal(typeof complete.body.location, "string");
  assert.equal(md5((await readObject(s3, gw.bucket, upload.key)).bytes), md5(bytes));
  // And Bob lists none of Alice's jobs.
  assert.deepEqual(await jobsOf(server, bob.accessToken, upload.key), []);
});

test("cancelling in Uppy aborts the multipart upload (DELETE s3/multipart/{uploadId}?key=); nothing is stored", async () => {
  const bytes = randomBytes(16 * MiB);
  const uppy = newUppy(alice, { limit: 1 });
  const seen = watch(uppy);
  addFile(uppy, "cancelled.bin", bytes);
  routes.clear();
  puts.length = 0;
  uppy.on("s3-multipart:part-uploaded", () => {
    if (seen.parts.length === 1) uppy.cancelAll();
  });
  await uppy.upload();
  const create = routes.calls.find((c) => c.method === "POST" && c.path === "s3/multipart");
  assert.equal(create?.status, 200, JSON.stringify(create));
  const { key, uploadId } = create.response;

  // The abort is sent in the background; wait for its answer.
  let abort;
  for (let i = 0; i < 100; i++) {
    abort = routes.calls.find((c) => c.method === "DELETE" && c.status !== undefined);
    if (abort) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(abort, `no DELETE among ${routes.calls.map((c) => `${c.method} ${c.path}`).join(", ")}`);
  assertClientHeaders(abort, alice.accessToken);
  assert.equal(abort.path, `s3/multipart/${encodeURIComponent(uploadId)}`);
  assert.deepEqual(abort.query, { key });
  assert.equal(abort.body, null, "DELETE has no body");
  assert.ok(abort.status >= 200 && abort.status < 300, `DELETE: HTTP ${abort.status} ${JSON.stringify(abort.response)}`);
  assert.equal(routes.calls.filter((c) => c.path.endsWith("/complete")).length, 0);

  // The upload is gone: its parts cannot be listed or signed any more, and no object was made.
  const id = encodeURIComponent(uploadId);
  const listed = await route("GET", `s3/multipart/${id}`, { token: alice.accessToken, query: { key } });
  assert.ok(listed.status >= 400 && listed.status < 500, `list after abort: HTTP ${listed.status} ${listed.text}`);
  const sign = await route("GET", `s3/multipart/${id}/2`, { token: alice.accessToken, query: { key } });
  assert.ok(sign.status >= 400 && sign.status < 500, `sign after abort: HTTP ${sign.status} ${sign.text}`);
  assert.equal(await objectExists(s3, gw.bucket, key), false);
});
