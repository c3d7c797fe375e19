// The upload-job GraphQL API (AppSync-compatible, `/_s3cognito/graphql`) with Amplify v6's
// `generateClient()` in Node, and the same API driven with plain fetch for a second user and for the
// requests Amplify never sends.
//
// Amplify is configured from DATA/aws-exports.json (its parser maps aws_appsync_graphqlEndpoint,
// aws_appsync_region and aws_appsync_authenticationType AMAZON_COGNITO_USER_POOLS to
// `API.GraphQL {endpoint, region, defaultAuthMode: 'userPool'}`), plus the two Auth endpoint options
// of amplify-storage.test.mjs. With `defaultAuthMode: 'userPool'`, @aws-amplify/api-graphql 4.10.1
// POSTs `{query: print(parse(query)), variables}` to the endpoint through the global fetch with
// `authorization: <access token>` (raw, no "Bearer "), `x-amz-user-agent: aws-amplify/6.22.1 api/1 …`
// and `content-type: application/json; charset=UTF-8`, unsigned (an authorization header turns SigV4
// off). A non-2xx answer rejects with `{data: {}, errors: [GraphQLError]}`; 429 and 500/502/503/504
// are retried (3 attempts in all), anything else is not.
//
// The first user goes through Amplify; the second (and third) user gets tokens from AdminInitiateAuth
// and talks with fetch, since one Node process holds one Amplify configuration and one signed-in user.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Amplify } from "aws-amplify";
import { generateClient } from "aws-amplify/api";
import { fetchAuthSession, signIn, signOut } from "aws-amplify/auth";
import { adminClient, adminUser, claims, cognito, randomPassword, recordCalls, startServer } from "./helpers.mjs";

// Seed 000 (s3-cognito-cli's saveUploadJob), exactly as it stands.
const createUploadJob = `mutation CreateUploadJob($input: CreateUploadJob!) {
  createUploadJob(input: $input) {
    user
    objKey
    fileKey
    fileName
    status
    uploadedOn
  }
}
`;

const JOB_FIELDS = `id
      user
      objKey
      fileKey
      fileName
      status
      uploadedOn
      size`;

const listUploadJobs = `query ListUploadJobs($limit: Int, $nextToken: String) {
  listUploadJobs(limit: $limit, nextToken: $nextToken) {
    items {
      ${JOB_FIELDS}
    }
    nextToken
  }
}
`;

const getUploadJob = `query GetUploadJob($id: ID!) {
  getUploadJob(id: $id) {
      ${JOB_FIELDS}
  }
}
`;

const PROVIDER_PREFIX = "cognito-idp.us-east-1.amazonaws.com/";

let server;
let admin;
let recorder;
let wire;
let graphqlEndpoint;
let uploadEndpoint;
let client;
const users = {};

/**
 * Records every request to the GraphQL endpoint made through the global fetch (Amplify's and ours):
 * `{method, url, headers (lower-case), body, status, response (text), responseHeaders}`.
 */
function recordGraphql(url) {
  const inner = globalThis.fetch;
  const calls = [];
  globalThis.fetch = async (input, init = {}) => {
    const target = String(input instanceof Request ? input.url : input);
    if (target !== url) return inner(input, init);
    const headers = Object.fromEntries(new Headers(init.headers || (input instanceof Request ? input.headers : undefined)));
    const res = await inner(input, init);
    const response = await res.clone().text();
    calls.push({
      method: init.method ?? (input instanceof Request ? input.method : "GET"),
      url: target,
      headers,
      body: typeof init.body === "string" ? init.body : init.body === undefined ? undefined : String(init.body),
      status: res.status,
      response,
      responseHeaders: Object.fromEntries(res.headers),
    });
    return res;
  };
  return {
    calls,
    clear: () => calls.splice(0, calls.length),
    restore: () => {
      globalThis.fetch = inner;
    },
  };
}

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  const ex = server.exports;
  graphqlEndpoint = ex.aws_appsync_graphqlEndpoint;
  uploadEndpoint = ex.s3cognito_upload_endpoint;
  assert.equal(graphqlEndpoint, `${server.endpoint}/_s3cognito/graphql`, "aws_appsync_graphqlEndpoint");
  assert.equal(uploadEndpoint, `${server.endpoint}/_s3cognito/upload`, "s3cognito_upload_endpoint");
  assert.equal(ex.aws_appsync_region, "us-east-1");
  assert.equal(ex.aws_appsync_authenticationType, "AMAZON_COGNITO_USER_POOLS");
  assert.ok(ex.aws_user_files_s3_bucket, "aws_user_files_s3_bucket");
  assert.match(ex.aws_cognito_identity_pool_id, /^us-east-1:[0-9a-f-]{36}$/);

  // aws-exports.json as Amplify reads it: the GraphQL API comes out of Amplify's own parser.
  Amplify.configure(ex);
  const parsed = Amplify.getConfig();
  assert.equal(parsed.API?.GraphQL?.endpoint, graphqlEndpoint);
  assert.equal(parsed.API.GraphQL.region, "us-east-1");
  assert.equal(parsed.API.GraphQL.defaultAuthMode, "userPool");
  assert.equal(parsed.Auth.Cognito.identityPoolId, ex.aws_cognito_identity_pool_id);
  // Then the endpoint options Amplify has for Auth, and the GraphQL API spelled out as an app writes it.
  Amplify.configure({
    ...parsed,
    Auth: {
      ...parsed.Auth,
      Cognito: { ...parsed.Auth.Cognito, userPoolEndpoint: server.endpoint, identityPoolEndpoint: server.endpoint },
    },
    API: {
      ...parsed.API,
      GraphQL: { endpoint: graphqlEndpoint, region: ex.aws_appsync_region, defaultAuthMode: "userPool" },
    },
  });
  // Anything not for our server is refused (and listed), so nothing reaches AWS.
  recorder = recordCalls({ endpoint: server.endpoint });
  wire = recordGraphql(graphqlEndpoint);
  client = generateClient();
});

after(async () => {
  wire?.restore();
  recorder?.restore();
  admin?.client.destroy();
  if (server) await server.stop();
  assert.deepEqual(recorder?.foreign ?? [], [], "no request left the server");
});

// ---- helpers ------------------------------------------------------------------------------------

/** One GraphQL POST with fetch: `{status, body, text, headers}`; `token` undefined sends no Authorization. */
async function gql(token, query, variables = {}) {
  return post(token, JSON.stringify({ query, variables }));
}

async function post(token, body, contentType = "application/json") {
  const headers = { "content-type": contentType };
  if (token !== undefined) headers.authorization = token;
  const res = await fetch(graphqlEndpoint, { method: "POST", headers, body });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** A 200 answer with data and no errors. */
function ok(r, what) {
  assert.equal(r.status, 200, `${what}: HTTP ${r.status} ${r.text}`);
  assert.ok(!r.body.errors || r.body.errors.length === 0, `${what}: errors ${JSON.stringify(r.body.errors)}`);
  assert.ok(r.body.data, `${what}: no data in ${r.text}`);
  return r.body.data;
}

/** A 200 answer that carries GraphQL errors (AppSync's answer to a resolver that refuses). */
function refusedWithErrors(r, what) {
  assert.equal(r.status, 200, `${what}: HTTP ${r.status} ${r.text}`);
  assert.ok(Array.isArray(r.body.errors) && r.body.errors.length > 0, `${what}: no errors in ${r.text}`);
  for (const e of r.body.errors) {
    assert.equal(typeof e.message, "string", `${what}: error without a message: ${JSON.stringify(e)}`);
  }
  return r.body.errors;
}

/** An HTTP 401 with AppSync's `{"errors":[{"errorType":"UnauthorizedException","message":…}]}`. */
function unauthorized(r, what) {
  assert.equal(r.status, 401, `${what}: HTTP ${r.status} ${r.text}`);
  assert.ok(Array.isArray(r.body.errors) && r.body.errors.length > 0, `${what}: no errors in ${r.text}`);
  assert.equal(r.body.errors[0].errorType, "UnauthorizedException", `${what}: ${r.text}`);
  assert.equal(typeof r.body.errors[0].message, "string", `${what}: ${r.text}`);
  assert.equal(r.body.data, undefined, `${what}: no data with a 401: ${r.text}`);
}

function malformed(r, what) {
  assert.equal(r.status, 400, `${what}: HTTP ${r.status} ${r.text}`);
  assert.ok(Array.isArray(r.body.errors) && r.body.errors.length > 0, `${what}: no errors in ${r.text}`);
  assert.equal(r.body.errors[0].errorType, "MalformedHttpRequestException", `${what}: ${r.text}`);
  assert.equal(typeof r.body.errors[0].message, "string", `${what}: ${r.text}`);
}

/** Every job listUploadJobs gives with fetch, following nextToken (bounded). */
async function listAll(token) {
  const items = [];
  let nextToken = null;
  for (let page = 0; page < 50; page++) {
    const data = ok(await gql(token, listUploadJobs, nextToken ? { limit: 100, nextToken } : { limit: 100 }), "listUploadJobs");
    assert.ok(Array.isArray(data.listUploadJobs?.items), JSON.stringify(data));
    items.push(...data.listUploadJobs.items);
    nextToken = data.listUploadJobs.nextToken;
    if (!nextToken) return items;
  }
  assert.fail("listUploadJobs did not end within 50 pages");
}

/** The same through Amplify. */
async function listAllAmplify() {
  const items = [];
  let nextToken = null;
  for (let page = 0; page < 50; page++) {
    const r = await client.graphql({ query: listUploadJobs, variables: nextToken ? { limit: 100, nextToken } : { limit: 100 } });
    items.push(...r.data.listUploadJobs.items);
    nextToken = r.data.listUploadJobs.nextToken;
    if (!nextToken) return items;
  }
  assert.fail("listUploadJobs did not end within 50 pages");
}

/** PUT a file through the upload edge with an access token: asserts 200 and an ETag, returns the ETag. */
async function edgePut(token, name, body, contentType) {
  const res = await fetch(`${uploadEndpoint}/${name}`, {
    method: "PUT",
    headers: { authorization: token, "content-type": contentType },
    body,
  });
  const text = await res.text();
  assert.equal(res.status, 200, `PUT ${name}: HTTP ${res.status} ${text}`);
  const etag = res.headers.get("etag");
  assert.match(etag ?? "", /^"[0-9a-f]{32}"$/, `PUT ${name}: ETag ${etag}`);
  return etag;
}

/** A confirmed user signed in with AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH, and its identity id (GetId). */
async function adminSignedIn(prefix) {
  const password = randomPassword();
  const username = await adminUser(admin, server, {
    username: `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    email: `${prefix}${Date.now().toString(36)}@example.com`,
    password,
  });
  const auth = await admin.send("AdminInitiateAuth", {
    UserPoolId: server.poolId,
    ClientId: server.clientId,
    AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  const tokens = auth.AuthenticationResult;
  assert.ok(tokens?.AccessToken && tokens?.IdToken, `tokens for ${username}`);
  const res = await fetch(server.endpoint + "/", {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityService.GetId" },
    body: JSON.stringify({
      IdentityPoolId: server.exports.aws_cognito_identity_pool_id,
      Logins: { [PROVIDER_PREFIX + server.poolId]: tokens.IdToken },
    }),
  });
  const got = await res.json();
  assert.equal(res.status, 200, `GetId: ${JSON.stringify(got)}`);
  assert.match(got.IdentityId, /^us-east-1:[0-9a-f-]{36}$/);
  return { username, password, access: tokens.AccessToken, id: tokens.IdToken, identityId: got.IdentityId };
}

/** `token` with one character in the middle of its signature changed. */
function tampered(token) {
  const [h, p, s] = token.split(".");
  const i = Math.floor(s.length / 2);
  const flipped = s[i] === "A" ? "B" : "A";
  return `${h}.${p}.${s.slice(0, i)}${flipped}${s.slice(i + 1)}`;
}

// ---- tests --------------------------------------------------------------------------------------

test("Amplify: seed 000's createUploadJob on a file uploaded through the edge adds the client's fields to the server's job", async () => {
  const password = randomPassword();
  const username = await adminUser(admin, server, { email: `gql${Date.now().toString(36)}@example.com`, password });
  await signOut();
  const result = await signIn({ username, password });
  assert.equal(result.isSignedIn, true, JSON.stringify(result.nextStep));
  const session = await fetchAuthSession();
  const identityId = session.identityId;
  assert.match(identityId, /^us-east-1:[0-9a-f-]{36}$/);
  const access = session.tokens.accessToken.toString();
  assert.equal(claims(access).username, username);
  assert.equal(claims(access).token_use, "access");

  // The file, through the upload edge with the access token: the server records a job ("Done").
  const bytes = Buffer.from(`%PDF-1.4\n% report of ${username}\n${"x".repeat(2000)}\n%%EOF\n`);
  const etag = await edgePut(access, "report.pdf", bytes, "application/pdf");
  const objKey = `private/${identityId}/report.pdf`;
  const back = await fetch(`${uploadEndpoint}/report.pdf`, { headers: { authorization: access } });
  assert.equal(back.status, 200);
  assert.deepEqual(Buffer.from(await back.arrayBuffer()), bytes, "GET on the edge gives the file back");
  assert.equal(back.headers.get("etag"), etag);

  // Before the client says anything: one job for the key, the server's own.
  wire.clear();
  const serverJobs = (await listAllAmplify()).filter((j) => j.objKey === objKey);
  assert.equal(serverJobs.length, 1, JSON.stringify(serverJobs));
  const [recorded] = serverJobs;
  assert.equal(typeof recorded.id, "string");
  assert.ok(recorded.id.length > 0, "the job has an id");
  assert.equal(recorded.user, username);
  assert.equal(recorded.status, "Done");
  assert.equal(recorded.size, bytes.length);
  // The request Amplify sent for it.
  assert.equal(wire.calls.length, 1, JSON.stringify(wire.calls.map((c) => c.status)));
  assert.equal(wire.calls[0].headers.authorization, access, "Amplify sends the access token, raw");

  // Seed 000's mutation, exactly as it stands, through generateClient().graphql.
  const input = {
    user: username,
    objKey,
    fileKey: "report.pdf",
    fileName: "report.pdf",
    status: "Done",
    uploadedOn: new Date().toISOString(),
  };
  wire.clear();
  const created = await client.graphql({ query: createUploadJob, variables: { input } });
  assert.deepEqual(created.data.createUploadJob, input);
  assert.ok(!created.errors?.length, JSON.stringify(created.errors));

  // What went over the wire: one POST, the token raw, Amplify's user agent, the query as printed by
  // graphql-js (for this text, byte for byte the seed's) and the variables.
  assert.equal(wire.calls.length, 1);
  const [call] = wire.calls;
  assert.equal(call.method, "POST");
  assert.equal(call.url, graphqlEndpoint);
  assert.equal(call.status, 200, call.response);
  assert.equal(call.headers.authorization, access);
  assert.match(call.headers["x-amz-user-agent"], /^aws-amplify\/6\.\d+\.\d+ api\/1 framework\/\d+$/);
  assert.equal(call.headers["content-type"], "application/json; charset=UTF-8");
  assert.equal(call.headers["x-amz-date"], undefined, "not SigV4-signed");
  assert.deepEqual(JSON.parse(call.body), { query: createUploadJob, variables: { input } });

  // Still one job for the key: the server's, now with the client's fields.
  const jobs = await listAllAmplify();
  const forKey = jobs.filter((j) => j.objKey === objKey);
  assert.equal(forKey.length, 1, JSON.stringify(forKey));
  const job = forKey[0];
  assert.equal(job.id, recorded.id, "the same job, not a second one");
  for (const [field, value] of Object.entries(input)) assert.equal(job[field], value, field);
  assert.equal(job.size, bytes.length);
  for (const j of jobs) assert.equal(j.user, username, `only the caller's jobs: ${JSON.stringify(j)}`);

  const got = await client.graphql({ query: getUploadJob, variables: { id: job.id } });
  assert.deepEqual(got.data.getUploadJob, job);

  // The same mutation again: still one job.
  await client.graphql({ query: createUploadJob, variables: { input } });
  assert.equal((await listAllAmplify()).filter((j) => j.objKey === objKey).length, 1, "createUploadJob twice: one job");

  users.a = { username, password, identityId, access, objKey, job, input };
});

test("a second user: none of the first user's jobs, no reading them, no creating jobs as them or under their identity", async () => {
  const a = users.a;
  assert.ok(a, "the first test ran");
  const b = await adminSignedIn("gqlb");
  assert.notEqual(b.identityId, a.identityId);

  // B's own upload gives B's own job.
  await edgePut(b.access, "notes.txt", Buffer.from(`notes of ${b.username}\n`), "text/plain");
  const bKey = `private/${b.identityId}/notes.txt`;
  const mine = await listAll(b.access);
  assert.deepEqual(
    mine.map((j) => [j.user, j.objKey, j.status]),
    [[b.username, bKey, "Done"]],
    JSON.stringify(mine),
  );
  const bJob = mine[0];

  // A's job is not B's to read.
  const read = await gql(b.access, getUploadJob, { id: a.job.id });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.body.data?.getUploadJob ?? null, null, `A's job given to B: ${read.text}`);

  // Jobs in A's name or under A's identity are refused, and none is created.
  const attempts = [
    { what: "user = A, objKey under B's own identity", user: a.username, objKey: bKey },
    { what: "user = B, objKey = A's recorded upload", user: b.username, objKey: a.objKey },
    { what: "user = B, a new objKey under A's identity", user: b.username, objKey: `private/${a.identityId}/planted.pdf` },
    { what: "user = A, a new objKey under A's identity", user: a.username, objKey: `private/${a.identityId}/forged.pdf` },
    { what: "user = B, objKey outside private/", user: b.username, objKey: `public/${b.identityId}/notes.txt` },
  ];
  for (const { what, user, objKey } of attempts) {
    const input = {
      user,
      objKey,
      fileKey: objKey.split("/").pop(),
      fileName: "stolen.bin",
      status: "Hacked",
      uploadedOn: new Date().toISOString(),
    };
    const r = await gql(b.access, createUploadJob, { input });
    const errors = refusedWithErrors(r, what);
    assert.equal(typeof errors[0].errorType, "string", `${what}: errorType in ${r.text}`);
    assert.ok(errors[0].errorType.length > 0, `${what}: errorType in ${r.text}`);
    assert.equal(r.body.data?.createUploadJob ?? null, null, `${what}: ${r.text}`);
  }

  // B still has exactly its one job, untouched.
  const bLater = await listAll(b.access);
  assert.deepEqual(bLater, [bJob], JSON.stringify(bLater));

  // A (through Amplify) still has exactly its one job, with A's fields, and sees nothing of B's.
  const aJobs = await listAllAmplify();
  assert.deepEqual(
    aJobs.map((j) => j.objKey),
    [a.objKey],
    JSON.stringify(aJobs),
  );
  assert.deepEqual(aJobs[0], a.job, "A's job was not changed by B");

  users.b = b;
});

test("requests Amplify does not send: no or bad token is a 401, an empty or unparsable body a 400, a syntax error 200 with errors", async () => {
  const b = users.b ?? (await adminSignedIn("gqlm"));
  const query = JSON.stringify({ query: listUploadJobs, variables: { limit: 10 } });

  unauthorized(await post(undefined, query), "no Authorization");
  unauthorized(await post("", query), "an empty Authorization");
  unauthorized(await post("not-a-token", query), "a garbage token");
  unauthorized(await post("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", query), "a token-shaped string");
  unauthorized(await post(tampered(b.access), query), "a tampered signature");

  // An ID token with the signature of an access token's is not an access token either.
  const [, idPayload] = b.id.split(".");
  const [accessHeader, , accessSignature] = b.access.split(".");
  unauthorized(await post(`${accessHeader}.${idPayload}.${accessSignature}`, query), "a spliced token");

  malformed(await post(b.access, ""), "an empty body");
  malformed(await post(b.access, "{not json"), "an unparsable body");

  const syntax = await gql(b.access, "query { listUploadJobs(limit: 1) { items { id } ");
  refusedWithErrors(syntax, "a query syntax error");
  assert.ok(!syntax.body.data || Object.values(syntax.body.data).every((v) => v === null), syntax.text);

  // The token is valid all along: a well-formed request works.
  ok(await post(b.access, query), "the same request, well-formed");
});

test("an access token after GlobalSignOut is refused: 401 with fetch, and Amplify rejects on the first answer", async () => {
  // With fetch.
  const c = await adminSignedIn("gqlc");
  ok(await gql(c.access, listUploadJobs, { limit: 10 }), "before GlobalSignOut");
  const out = await cognito(server, "GlobalSignOut", { AccessToken: c.access });
  assert.equal(out.status, 200, JSON.stringify(out.body));
  unauthorized(await gql(c.access, listUploadJobs, { limit: 10 }), "after GlobalSignOut");

  // Through Amplify: it keeps the revoked access token until it expires and sends it; the server's 401
  // makes generateClient().graphql reject with {data: {}, errors: [...]}, after one request (Amplify
  // retries only 429 and 5xx).
  const a = users.a;
  assert.ok(a, "the first test ran");
  const session = await fetchAuthSession();
  const access = session.tokens.accessToken.toString();
  const signedOut = await cognito(server, "GlobalSignOut", { AccessToken: access });
  assert.equal(signedOut.status, 200, JSON.stringify(signedOut.body));
  wire.clear();
  await assert.rejects(client.graphql({ query: listUploadJobs, variables: { limit: 10 } }), (err) => {
    assert.ok(Array.isArray(err.errors) && err.errors.length > 0, `Amplify's rejection: ${JSON.stringify(err)}`);
    return true;
  });
  assert.equal(wire.calls.length, 1, `one request, no retry: ${wire.calls.map((c2) => c2.status)}`);
  assert.equal(wire.calls[0].headers.authorization, access);
  unauthorized({ status: wire.calls[0].status, text: wire.calls[0].response, body: JSON.parse(wire.calls[0].response) }, "Amplify's request");

  // The first user's job is still there for a fresh sign-in. (Amplify's signOut then fails to revoke
  // the already revoked refresh token and swallows that, as it does.)
  await signOut();
  const again = await signIn({ username: a.username, password: a.password });
  assert.equal(again.isSignedIn, true);
  const jobs = await listAllAmplify();
  assert.deepEqual(
    jobs.map((j) => j.id),
    [a.job.id],
  );
  await signOut();
});
