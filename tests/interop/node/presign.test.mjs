// The upload gateway's presign API as a React upload page uses it: the page signs in with
// amazon-cognito-identity-js (SRP), sends the access token raw in Authorization to the presign endpoint
// that aws-exports.json names (aws_cloud_logic_custom "presign"), and PUTs the file's bytes with plain
// fetch to the presigned S3 URL it gets back, with the headers it is told to send. No AWS credentials on
// the page, no SDK: the URL alone carries the permission, and only for `private/<identityId>/<name>`.
//
// What was stored is read back with the root key (an operator's S3 client); the upload job is read
// through GraphQL (aws_appsync_graphqlEndpoint), as the page's "my uploads" list would read it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { adminClient, startServer } from "./helpers.mjs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  adminS3,
  answer,
  gatewayEndpoints,
  identityIdOf,
  jobsOf,
  md5,
  objectExists,
  randomBytes,
  readObject,
  signedInUser,
  userPool,
} from "./upload-helpers.mjs";

const ORIGIN = "http://localhost:3000";
// The PNG signature, then noise: what a browser's File would hold, as far as the server can tell.
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let server;
let admin;
let pool;
let s3;
let gw;
let alice;
const photo = Buffer.concat([PNG_SIGNATURE, randomBytes(20_000)]);

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  pool = userPool(server);
  s3 = adminS3(server);
  gw = gatewayEndpoints(server);
  alice = await signedInUser(server, admin, pool, "alice");
});

after(async () => {
  s3?.destroy();
  admin?.client.destroy();
  if (server) await server.stop();
});

function presignUrl(params) {
  return `${gw.presign}?${new URLSearchParams(params)}`;
}

/** GET the presign API; `{status, headers, body}`. */
async function presignGet(params, authorization, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (authorization !== undefined) headers.Authorization = authorization;
  return answer(await fetch(presignUrl(params), { headers }));
}

/** POST the presign API with a JSON body; `{status, headers, body}`. */
async function presignPost(input, authorization) {
  const headers = { "Content-Type": "application/json" };
  if (authorization !== undefined) headers.Authorization = authorization;
  return answer(await fetch(gw.presign, { method: "POST", headers, body: JSON.stringify(input) }));
}

/** A header's value in a plain object of headers, whatever the case of its name. */
function headerIn(headers, name) {
  const entry = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return entry?.[1];
}

/** Checks a 200 presign answer's shape and returns it. */
function presigned(r, { method, key }) {
  assert.equal(r.status, 200, `presign: HTTP ${r.status} ${r.text}`);
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
  const { body } = r;
  assert.equal(typeof body.url, "string", JSON.stringify(body));
  assert.equal(body.method, method);
  if (key !== undefined) assert.equal(body.key, key);
  assert.equal(typeof body.key, "string");
  assert.ok(body.headers && typeof body.headers === "object" && !Array.isArray(body.headers), `headers: ${JSON.stringify(body.headers)}`);
  for (const [name, value] of Object.entries(body.headers)) {
    assert.equal(typeof value, "string", `header ${name} is a string`);
  }

  // expiresAt: a time in the future (ISO 8601, or epoch seconds / milliseconds).
  const expiresAt =
    typeof body.expiresAt === "number"
      ? new Date(body.expiresAt < 1e12 ? body.expiresAt * 1000 : body.expiresAt)
      : new Date(body.expiresAt);
  assert.ok(!Number.isNaN(expiresAt.getTime()), `expiresAt parses: ${JSON.stringify(body.expiresAt)}`);
  const ttl = expiresAt.getTime() - Date.now();
  assert.ok(ttl > 10_000 && ttl <= 7 * 24 * 3600_000, `expiresAt in ${ttl} ms`);

  // A SigV4 query-string presigned URL on this server, path-style, for exactly that key.
  const url = new URL(body.url);
  assert.equal(url.origin, new URL(server.endpoint).origin, `the URL points at the server: ${body.url}`);
  assert.equal(url.searchParams.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
  assert.match(url.searchParams.get("X-Amz-Credential") ?? "", /^[A-Za-z0-9]+\/\d{8}\/us-east-1\/s3\/aws4_request$/);
  assert.match(url.searchParams.get("X-Amz-Date") ?? "", /^\d{8}T\d{6}Z$/);
  assert.match(url.searchParams.get("X-Amz-Expires") ?? "", /^\d+$/);
  assert.match(url.searchParams.get("X-Amz-Signature") ?? "", /^[0-9a-f]{64}$/);
  assert.ok((url.searchParams.get("X-Amz-SignedHeaders") ?? "").split(";").includes("host"));
  assert.equal(decodeURIComponent(url.pathname), `/${gw.bucket}/${body.key}`);
  return body;
}

const jobs = {};

test("access token raw → presigned PUT → the bytes are at private/<identityId>/photo.png and the job is Done", async () => {
  const r = await presignGet(
    { name: "photo.png", method: "PUT", contentType: "image/png", size: String(photo.length) },
    alice.accessToken,
  );
  const signed = presigned(r, { method: "PUT" });
  assert.equal(headerIn(signed.headers, "content-type"), "image/png", `headers: ${JSON.stringify(signed.headers)}`);

  // The identity the identity pool gives this user (GetId with the ID token, as Amplify asks it), asked
  // only now: the page never called cognito-identity, so the server found the same identity on its own.
  const identityId = await identityIdOf(server, alice.idToken);
  alice.identityId = identityId;
  assert.equal(signed.key, `private/${identityId}/photo.png`);
  assert.ok(signed.key.startsWith(`private/${identityId}/`));
  assert.equal(await objectExists(s3, gw.bucket, signed.key), false, "nothing is stored by presigning");

  // Issued but not uploaded yet: the job is Pending.
  const pending = await jobsOf(server, alice.accessToken, signed.key);
  assert.equal(pending.length, 1, JSON.stringify(pending));
  assert.equal(pending[0].status, "Pending");
  assert.equal(pending[0].fileName, "photo.png");
  assert.equal(pending[0].user, alice.username);

  // What the page does next: plain fetch, the returned headers, the file as the body.
  const put = await fetch(signed.url, { method: "PUT", headers: signed.headers, body: photo });
  const putText = await put.text();
  assert.equal(put.status, 200, `PUT: ${putText}`);
  assert.equal(put.headers.get("etag"), `"${md5(photo)}"`);

  const stored = await readObject(s3, gw.bucket, signed.key);
  assert.equal(stored.bytes.length, photo.length);
  assert.ok(stored.bytes.equals(photo), "the stored bytes are the file's");
  assert.equal(stored.contentType, "image/png");
  assert.equal(stored.etag, `"${md5(photo)}"`);

  // The same job, now Done, with the object's size.
  const done = await jobsOf(server, alice.accessToken, signed.key);
  assert.equal(done.length, 1, JSON.stringify(done));
  const [job] = done;
  assert.equal(job.id, pending[0].id, "the pending job became done; no second job");
  assert.equal(job.status, "Done");
  assert.equal(job.fileName, "photo.png");
  assert.equal(job.user, alice.username);
  assert.equal(job.objKey, signed.key);
  assert.ok(String(job.fileKey).endsWith("photo.png"), `fileKey: ${job.fileKey}`);
  assert.equal(Number(job.size), photo.length);
  assert.ok(!Number.isNaN(new Date(job.uploadedOn).getTime()), `uploadedOn: ${job.uploadedOn}`);
  jobs.photo = job;

  // The ID token lists the same jobs (both token uses are the same user).
  const viaId = await jobsOf(server, alice.idToken, signed.key);
  assert.deepEqual(viaId.map((j) => j.id), [job.id]);
});

test("`Bearer <id token>` is accepted too, and POST with a JSON body presigns the same way", async () => {
  assert.ok(alice.identityId, "runs after the first test");
  const notes = Buffer.from(`notes of ${alice.username}\n`);
  const r = await presignGet(
    { name: "notes.txt", method: "PUT", contentType: "text/plain", size: String(notes.length) },
    `Bearer ${alice.idToken}`,
  );
  const signed = presigned(r, { method: "PUT", key: `private/${alice.identityId}/notes.txt` });
  assert.equal(headerIn(signed.headers, "content-type"), "text/plain");
  const put = await fetch(signed.url, { method: "PUT", headers: signed.headers, body: notes });
  assert.equal(put.status, 200, await put.text());
  assert.equal(put.headers.get("etag"), `"${md5(notes)}"`);
  assert.ok((await readObject(s3, gw.bucket, signed.key)).bytes.equals(notes));

  // POST {name, method, contentType, size}, with `Bearer <access token>` this time.
  const doc = Buffer.from(JSON.stringify({ hello: alice.username }));
  const posted = await presignPost(
    { name: "doc.json", method: "PUT", contentType: "application/json", size: doc.length },
    `Bearer ${alice.accessToken}`,
  );
  const signedPost = presigned(posted, { method: "PUT", key: `private/${alice.identityId}/doc.json` });
  assert.equal(headerIn(signedPost.headers, "content-type"), "application/json");
  const put2 = await fetch(signedPost.url, { method: "PUT", headers: signedPost.headers, body: doc });
  assert.equal(put2.status, 200, await put2.text());
  const stored = await readObject(s3, gw.bucket, signedPost.key);
  assert.ok(stored.bytes.equals(doc));
  assert.equal(stored.contentType, "application/json");

  const [job] = await jobsOf(server, alice.accessToken, signedPost.key);
  assert.equal(job?.status, "Done");
  assert.equal(job.fileName, "doc.json");
});

test("a PUT with another Content-Type than the presigned one is refused (403) and stores nothing", async () => {
  assert.ok(alice.identityId, "runs after the first test");
  const r = await presignGet(
    { name: "typed.png", method: "PUT", contentType: "image/png", size: String(photo.length) },
    alice.accessToken,
  );
  const signed = presigned(r, { method: "PUT", key: `private/${alice.identityId}/typed.png` });

  assert.equal(headerIn(signed.headers, "content-type"), "image/png");
  const otherType = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== "content-type"));
  const wrong = await fetch(signed.url, {
    method: "PUT",
    headers: { ...otherType, "Content-Type": "image/jpeg" },
    body: photo,
  });
  const wrongText = await wrong.text();
  assert.equal(wrong.status, 403, `PUT as image/jpeg: ${wrongText}`);
  assert.match(wrongText, /<Code>(SignatureDoesNotMatch|AccessDenied)<\/Code>/);
  assert.equal(await objectExists(s3, gw.bucket, signed.key), false, "the refused PUT stored nothing");
  const [stillPending] = await jobsOf(server, alice.accessToken, signed.key);
  assert.equal(stillPending?.status, "Pending", JSON.stringify(stillPending));

  // Without the Content-Type header at all: refused as well (it is signed).
  const none = await fetch(signed.url, { method: "PUT", headers: otherType, body: photo });
  assert.equal(none.status, 403, await none.text());

  // The same URL with the presigned type still works.
  const right = await fetch(signed.url, { method: "PUT", headers: signed.headers, body: photo });
  assert.equal(right.status, 200, await right.text());
  assert.equal((await readObject(s3, gw.bucket, signed.key)).contentType, "image/png");
  const [done] = await jobsOf(server, alice.accessToken, signed.key);
  assert.equal(done?.status, "Done");
});

test("a presigned PUT cannot be turned into a copy of someone else's object with an unsigned x-amz-copy-source", async () => {
  assert.ok(alice.identityId, "runs after the first test");
  // An object the user has no right to: at the bucket's root, stored by the account.
  const secretKey = `secret-${Date.now()}.txt`;
  await s3.send(new PutObjectCommand({ Bucket: gw.bucket, Key: secretKey, Body: "not yours" }));
  const r = await presignGet({ name: "stolen.txt", method: "PUT" }, alice.accessToken);
  const signed = presigned(r, { method: "PUT", key: `private/${alice.identityId}/stolen.txt` });
  for (const extra of [
    { "x-amz-copy-source": `/${gw.bucket}/${secretKey}` },
    { "x-amz-copy-source": `${gw.bucket}/${secretKey}`, "x-amz-metadata-directive": "REPLACE" },
  ]) {
    const copied = await fetch(signed.url, { method: "PUT", headers: { ...signed.headers, ...extra }, body: "" });
    const text = await copied.text();
    assert.equal(copied.status, 403, `unsigned copy source: ${text}`);
    assert.match(text, /<Code>AccessDenied<\/Code>/);
  }
  assert.equal(await objectExists(s3, gw.bucket, signed.key), false, "nothing was copied");
});

test("a GET presign downloads the user's object", async () => {
  assert.ok(jobs.photo, "runs after the first test");
  const r = await presignGet({ name: "photo.png", method: "GET" }, alice.accessToken);
  const signed = presigned(r, { method: "GET", key: `private/${alice.identityId}/photo.png` });
  // Whatever headers it names, a plain GET with them gets the file.
  const got = await fetch(signed.url, { headers: signed.headers });
  const bytes = Buffer.from(await got.arrayBuffer());
  assert.equal(got.status, 200, bytes.toString("utf8").slice(0, 500));
  assert.ok(bytes.equals(photo), "the downloaded bytes are the uploaded ones");
  assert.equal(got.headers.get("content-type"), "image/png");
  assert.equal(got.headers.get("etag"), `"${md5(photo)}"`);

  // The URL is for GET only: a PUT with it is refused and the object is unchanged.
  const put = await fetch(signed.url, { method: "PUT", body: "overwritten" });
  assert.equal(put.status, 403, await put.text());
  assert.ok((await readObject(s3, gw.bucket, signed.key)).bytes.equals(photo));

  // Presigning a GET records no job.
  const listed = await jobsOf(server, alice.accessToken, signed.key);
  assert.deepEqual(listed.map((j) => [j.id, j.status]), [[jobs.photo.id, "Done"]]);
});

test("no token, a malformed one or a tampered one: 401 {\"message\":\"Unauthorized\"}", async () => {
  const params = { name: "photo.png", method: "PUT", contentType: "image/png", size: "10" };
  const [header, payload, signature] = alice.accessToken.split(".");
  const flipped = signature.slice(0, -4) + (signature.slice(-4) === "AAAA" ? "BBBB" : "AAAA");
  const bad = {
    "no Authorization header": undefined,
    "an empty Authorization header": "",
    "Bearer and nothing": "Bearer ",
    "not a JWT": "not-a-token",
    "a tampered signature": `${header}.${payload}.${flipped}`,
    "Bearer and a tampered signature": `Bearer ${header}.${payload}.${flipped}`,
    "the refresh token": alice.session.getRefreshToken().getToken(),
  };
  for (const [what, authorization] of Object.entries(bad)) {
    const r = await presignGet(params, authorization);
    assert.equal(r.status, 401, `GET with ${what}: HTTP ${r.status} ${r.text}`);
    assert.deepEqual(r.body, { message: "Unauthorized" }, `GET with ${what}`);
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/, `GET with ${what}`);
    const p = await presignPost({ name: "photo.png", method: "PUT", contentType: "image/png", size: 10 }, authorization);
    assert.equal(p.status, 401, `POST with ${what}: HTTP ${p.status} ${p.text}`);
    assert.deepEqual(p.body, { message: "Unauthorized" }, `POST with ${what}`);
  }
  // A bad token is refused before the name is looked at: a bad name with no token is still 401.
  const both = await presignGet({ name: "../x", method: "PUT" }, undefined);
  assert.equal(both.status, 401, both.text);
});

test("names with .. segments, absolute paths, control characters, or empty: 400", async () => {
  const names = {
    "..": "../x",
    "a .. segment inside": "a/../x",
    "only ..": "..",
    "an absolute path": "/etc/passwd",
    "a NUL": "a\u0000b.png",
    "a newline": "a\nb.png",
    "a tab": "a\tb.png",
    "a DEL": "a\u007fb.png",
    empty: "",
  };
  for (const [what, name] of Object.entries(names)) {
    const r = await presignGet({ name, method: "PUT", contentType: "image/png", size: "10" }, alice.accessToken);
    assert.equal(r.status, 400, `name with ${what} (${JSON.stringify(name)}): HTTP ${r.status} ${r.text}`);
    assert.equal(r.body?.url, undefined, `no URL for ${what}`);
    assert.equal(typeof r.body?.message, "string", `a {"message"} for ${what}: ${r.text}`);
  }
  const posted = await presignPost({ name: "../x", method: "PUT", contentType: "image/png", size: 10 }, alice.accessToken);
  assert.equal(posted.status, 400, posted.text);
  const missing = await presignGet({ method: "PUT", contentType: "image/png" }, alice.accessToken);
  assert.equal(missing.status, 400, `no name at all: ${missing.text}`);
});

test("CORS: the preflight from http://localhost:3000 allows the Authorization header; answers carry Access-Control-Allow-Origin", async () => {
  function allowsOrigin(headers, what) {
    const allowed = headers.get("access-control-allow-origin");
    assert.ok(allowed === "*" || allowed === ORIGIN, `${what}: Access-Control-Allow-Origin ${allowed}`);
  }
  function listed(value) {
    return (value ?? "")
      .split(",")
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean);
  }

  // The presign API itself, and the Uppy routes under it (a browser preflights those as well).
  const preflights = [
    { path: "", method: "GET", headers: "authorization" },
    { path: "", method: "POST", headers: "authorization,content-type" },
    { path: "/s3/multipart", method: "POST", headers: "accept,authorization,content-type" },
    { path: "/s3/params", method: "GET", headers: "accept,authorization" },
    { path: "/s3/multipart/some-upload-id/1", method: "GET", headers: "accept,authorization" },
    { path: "/s3/multipart/some-upload-id", method: "DELETE", headers: "accept,authorization" },
  ];
  for (const { path, method, headers } of preflights) {
    const what = `OPTIONS ${path || "/"} for ${method}`;
    const res = await fetch(gw.presign + path, {
      method: "OPTIONS",
      headers: { Origin: ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers },
    });
    await res.arrayBuffer();
    assert.ok(res.status === 200 || res.status === 204, `${what}: HTTP ${res.status}`);
    allowsOrigin(res.headers, what);
    // `*` does not cover Authorization (Fetch standard): it has to be named.
    const allowHeaders = listed(res.headers.get("access-control-allow-headers"));
    for (const h of headers.split(",")) {
      if (h === "authorization") {
        assert.ok(allowHeaders.includes("authorization"), `${what}: Access-Control-Allow-Headers ${allowHeaders}`);
      } else {
        assert.ok(allowHeaders.includes(h) || allowHeaders.includes("*"), `${what}: ${h} in ${allowHeaders}`);
      }
    }
    const allowMethods = listed(res.headers.get("access-control-allow-methods"));
    assert.ok(
      allowMethods.includes(method.toLowerCase()) || allowMethods.includes("*"),
      `${what}: Access-Control-Allow-Methods ${allowMethods}`,
    );
  }

  // Real answers with an Origin: a success, a 401 and a 400 all carry it.
  const ok = await presignGet({ name: "cors.png", method: "PUT", contentType: "image/png", size: "1" }, alice.accessToken, {
    Origin: ORIGIN,
  });
  assert.equal(ok.status, 200, ok.text);
  allowsOrigin(ok.headers, "200");
  const unauthorized = await presignGet({ name: "cors.png", method: "PUT" }, undefined, { Origin: ORIGIN });
  assert.equal(unauthorized.status, 401);
  allowsOrigin(unauthorized.headers, "401");
  const badName = await presignGet({ name: "../x", method: "PUT" }, alice.accessToken, { Origin: ORIGIN });
  assert.equal(badName.status, 400);
  allowsOrigin(badName.headers, "400");
});
