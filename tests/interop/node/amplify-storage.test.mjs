// An app user's path to their own files with Amplify v6 in Node: a user signs in (SRP), Amplify's fetchAuthSession()
// turns the ID token into identity-pool credentials (GetId + GetCredentialsForIdentity), and those
// temporary credentials reach exactly `private/<identityId>/` of the bucket.
//
// Amplify is configured from DATA/aws-exports.json itself (Amplify's own parser maps
// aws_cognito_identity_pool_id, aws_user_files_s3_bucket, …), plus two endpoint options Amplify has:
// - `Auth.Cognito.userPoolEndpoint` for cognito-idp, as in amplify.test.mjs;
// - `Auth.Cognito.identityPoolEndpoint` for cognito-identity (read by
//   @aws-amplify/auth createCognitoIdentityPoolEndpointResolver). No fetch rewriting is needed for Auth;
//   the recorder below refuses any request that is not for our endpoint, so nothing reaches AWS.
//
// S3 goes through @aws-sdk/client-s3 with Amplify's credentials, not Amplify Storage, because Amplify
// Storage 6.17.0 (aws-amplify 6.22.1) cannot reach a plain-HTTP, path-style endpoint:
// - `options.customEndpoint` must be a bare host and becomes `https://<bucket>.<customEndpoint>`
//   (virtual-hosted, TLS), while s3cognito's S3 is path-style over the same HTTP endpoint;
// - `Storage.S3.dangerouslyConnectToHttpEndpointForTesting` sets customEndpoint to the fixed
//   `http://localhost:20005` with forcePathStyle, but the endpoint resolver then asserts that
//   customEndpoint has no `://` and every call fails with InvalidCustomEndpoint (and the port is fixed);
// - rewriting its URLs in a fetch wrapper would break the SigV4 signature (host and path are signed).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Amplify } from "aws-amplify";
import { fetchAuthSession, signIn, signOut } from "aws-amplify/auth";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { adminClient, adminUser, jwtVerifier, randomPassword, recordCalls, startServer } from "./helpers.mjs";

const IDENTITY_SERVICE = "AWSCognitoIdentityService";

let server;
let admin;
let jwks;
let recorder;
let bucket;
const clients = [];

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  const res = await fetch(`${server.endpoint}/${server.poolId}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  jwks = await res.json();
  bucket = server.exports.aws_user_files_s3_bucket;
  assert.ok(bucket, "aws-exports.json names the bucket");
  assert.match(server.exports.aws_cognito_identity_pool_id, /^us-east-1:[0-9a-f-]{36}$/);

  // aws-exports.json as Amplify reads it, then the two endpoint options.
  Amplify.configure(server.exports);
  const parsed = Amplify.getConfig();
  assert.equal(parsed.Auth.Cognito.identityPoolId, server.exports.aws_cognito_identity_pool_id);
  assert.equal(parsed.Auth.Cognito.userPoolId, server.poolId);
  assert.equal(parsed.Storage.S3.bucket, bucket);
  assert.equal(parsed.Storage.S3.region, "us-east-1");
  Amplify.configure({
    ...parsed,
    Auth: {
      ...parsed.Auth,
      Cognito: { ...parsed.Auth.Cognito, userPoolEndpoint: server.endpoint, identityPoolEndpoint: server.endpoint },
    },
  });
  recorder = recordCalls({ endpoint: server.endpoint });
});

after(async () => {
  recorder?.restore();
  for (const c of clients) c.destroy();
  admin?.client.destroy();
  if (server) await server.stop();
  assert.deepEqual(recorder?.foreign ?? [], [], "no request left the server");
});

/** An S3 client on the server's path-style endpoint, signing with the given (temporary) credentials. */
function s3(credentials) {
  const client = new S3Client({
    region: "us-east-1",
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

async function expectAccessDenied(promise, what) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.$metadata?.httpStatusCode, 403, `${what}: ${err.name} ${err.message}`);
    assert.equal(err.name, "AccessDenied", `${what}: ${err.name} ${err.message}`);
    return true;
  });
}

/** A fresh confirmed user signed in through Amplify (SRP), and the session Amplify then builds. */
async function signInNewUser() {
  const password = randomPassword();
  const username = await adminUser(admin, server, { email: `st${Date.now().toString(36)}@example.com`, password });
  await signOut();
  recorder.clear();
  const result = await signIn({ username, password });
  assert.equal(result.isSignedIn, true, JSON.stringify(result.nextStep));
  const initiate = recorder.calls.find((c) => c.operation === "InitiateAuth");
  assert.equal(initiate?.request.AuthFlow, "USER_SRP_AUTH");
  recorder.clear();
  const session = await fetchAuthSession();
  return { username, password, session };
}

const users = {};

test("fetchAuthSession: GetId and GetCredentialsForIdentity against the server give an identity and ASIA credentials", async () => {
  const { username, password, session } = await signInNewUser();
  const idToken = session.tokens.idToken.toString();
  const idClaims = await jwtVerifier(server, jwks, "id").verify(idToken);
  assert.equal(idClaims["cognito:username"], username);
  const provider = `cognito-idp.us-east-1.amazonaws.com/${server.poolId}`;
  assert.equal(idClaims.iss, `https://${provider}`);

  const calls = recorder.of(IDENTITY_SERVICE);
  assert.deepEqual(
    calls.map((c) => c.operation),
    ["GetId", "GetCredentialsForIdentity"],
    JSON.stringify(calls, null, 1),
  );
  const [getId, getCreds] = calls;
  for (const c of calls) {
    assert.equal(c.url, server.endpoint + "/");
    assert.equal(c.status, 200, JSON.stringify(c.response));
  }
  assert.equal(getId.request.IdentityPoolId, server.exports.aws_cognito_identity_pool_id);
  assert.deepEqual(getId.request.Logins, { [provider]: idToken });
  assert.equal(getCreds.request.IdentityId, getId.response.IdentityId);
  assert.deepEqual(getCreds.request.Logins, { [provider]: idToken });
  assert.equal(getCreds.response.IdentityId, getId.response.IdentityId);
  assert.equal(typeof getCreds.response.Credentials.Expiration, "number", "Expiration is epoch seconds on the wire");

  assert.match(session.identityId, /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(session.identityId, getId.response.IdentityId);
  const { credentials } = session;
  assert.match(credentials.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(credentials.secretAccessKey?.length >= 40, "secretAccessKey");
  assert.ok(credentials.sessionToken?.length > 0, "sessionToken");
  assert.ok(credentials.expiration instanceof Date, "expiration is a Date");
  const ttl = credentials.expiration.getTime() - Date.now();
  assert.ok(ttl > 5 * 60_000 && ttl <= 12 * 3600_000 + 60_000, `expiration in ${ttl} ms`);

  // Cached: a second fetchAuthSession makes no identity call.
  recorder.clear();
  const again = await fetchAuthSession();
  assert.deepEqual(recorder.of(IDENTITY_SERVICE), []);
  assert.equal(again.credentials.accessKeyId, credentials.accessKeyId);

  // A forced refresh: new tokens, new credentials, the same identity (Amplify keeps the id, no GetId).
  recorder.clear();
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  assert.deepEqual(recorder.of(IDENTITY_SERVICE).map((c) => c.operation), ["GetCredentialsForIdentity"]);
  assert.equal(recorder.of(IDENTITY_SERVICE)[0].status, 200, JSON.stringify(recorder.of(IDENTITY_SERVICE)[0].response));
  assert.equal(refreshed.identityId, session.identityId);
  assert.match(refreshed.credentials.accessKeyId, /^ASIA/);
  assert.notEqual(refreshed.credentials.accessKeyId, credentials.accessKeyId);

  users.a = { username, password, identityId: session.identityId, credentials: refreshed.credentials };
});

test("the credentials write, read and list private/<identityId>/ in the bucket", async () => {
  const { identityId, credentials } = users.a;
  const client = s3(credentials);
  const key = `private/${identityId}/file.txt`;
  const body = `hello from ${identityId}\n`;

  const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain" }));
  assert.equal(put.$metadata.httpStatusCode, 200);
  assert.match(put.ETag, /^"[0-9a-f]{32}"$/);

  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  assert.equal(await got.Body.transformToString(), body);
  assert.equal(got.ContentType, "text/plain");
  assert.equal(got.ETag, put.ETag);

  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `private/${identityId}/` }));
  assert.deepEqual(
    (listed.Contents ?? []).map((o) => o.Key),
    [key],
  );

  // public/ is shared; the bucket root and someone else's private prefix are not listable.
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: `public/${identityId}.txt`, Body: "shared" }));
  await expectAccessDenied(client.send(new ListObjectsV2Command({ Bucket: bucket })), "ListObjectsV2 without a prefix");
  await expectAccessDenied(
    client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "private/" })),
    "ListObjectsV2 private/",
  );
  await expectAccessDenied(
    client.send(new PutObjectCommand({ Bucket: bucket, Key: "outside.txt", Body: "x" })),
    "PutObject at the root",
  );

  // The session token is part of the credentials: without it the key is not accepted (403; AWS names
  // the error InvalidAccessKeyId, s3cognito AccessDenied, so only the status is checked).
  const noToken = s3({ accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey });
  await assert.rejects(noToken.send(new GetObjectCommand({ Bucket: bucket, Key: key })), (err) => {
    assert.equal(err.$metadata?.httpStatusCode, 403, `${err.name} ${err.message}`);
    return true;
  });
});

test("another user's identity: its own prefix works, the first user's private files are AccessDenied", async () => {
  const a = users.a;
  const { username, session } = await signInNewUser();
  assert.notEqual(session.identityId, a.identityId, "a different identity");
  assert.match(session.credentials.accessKeyId, /^ASIA/);
  const client = s3(session.credentials);
  const mine = `private/${session.identityId}/file.txt`;
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: mine, Body: `B ${username}` }));
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: mine }));
  assert.equal(await got.Body.transformToString(), `B ${username}`);

  const theirs = `private/${a.identityId}/file.txt`;
  await expectAccessDenied(client.send(new GetObjectCommand({ Bucket: bucket, Key: theirs })), "GetObject");
  await expectAccessDenied(
    client.send(new PutObjectCommand({ Bucket: bucket, Key: theirs, Body: "overwritten" })),
    "PutObject",
  );
  await expectAccessDenied(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: theirs })), "DeleteObject");
  await expectAccessDenied(
    client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `private/${a.identityId}/` })),
    "ListObjectsV2",
  );
  // public/ is readable by everyone signed in.
  const shared = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `public/${a.identityId}.txt` }));
  assert.equal(await shared.Body.transformToString(), "shared");

  // The first user's file is untouched, and the first user's credentials are refused on B's prefix.
  const aClient = s3(a.credentials);
  const still = await aClient.send(new GetObjectCommand({ Bucket: bucket, Key: theirs }));
  assert.equal(await still.Body.transformToString(), `hello from ${a.identityId}\n`);
  await expectAccessDenied(aClient.send(new GetObjectCommand({ Bucket: bucket, Key: mine })), "GetObject by A");
});

test("signing in again as the first user gives back the same identity id", async () => {
  const a = users.a;
  await signOut();
  recorder.clear();
  const result = await signIn({ username: a.username, password: a.password });
  assert.equal(result.isSignedIn, true);
  const session = await fetchAuthSession();
  assert.deepEqual(recorder.of(IDENTITY_SERVICE).map((c) => c.operation), ["GetId", "GetCredentialsForIdentity"]);
  assert.equal(session.identityId, a.identityId);
  const got = await s3(session.credentials).send(
    new GetObjectCommand({ Bucket: bucket, Key: `private/${a.identityId}/file.txt` }),
  );
  assert.equal(await got.Body.transformToString(), `hello from ${a.identityId}\n`);
  await signOut();
});

test("signed out, Amplify's guest credentials are refused: the pool allows no unauthenticated identities", async () => {
  await signOut();
  recorder.clear();
  // aws-exports.json has no aws_mandatory_sign_in, so Amplify's parser sets allowGuestAccess and asks.
  await assert.rejects(fetchAuthSession(), (err) => {
    assert.equal(err.name, "NotAuthorizedException", `${err.name} ${err.message}`);
    return true;
  });
  const [getId] = recorder.of(IDENTITY_SERVICE);
  assert.equal(getId?.operation, "GetId");
  assert.deepEqual(getId.request.Logins ?? {}, {}, "Amplify sends an empty Logins map for a guest");
  assert.equal(getId.status, 400);
  assert.equal(getId.response.__type.split("#").pop(), "NotAuthorizedException");
  assert.equal(getId.response.message, "Unauthenticated access is not supported for this identity pool.");
});
