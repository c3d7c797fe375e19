// What the upload-gateway tests share: a user signed in the way a React page signs in
// (amazon-cognito-identity-js, SRP), that user's identity id as the identity pool names it (a raw
// cognito-identity GetId, as Amplify's fetchAuthSession makes it), the gateway's endpoints as
// aws-exports.json names them, an S3 client with the root key to look at what was stored, and the
// upload jobs as GraphQL lists them.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { adminUser, randomPassword, rootCredentials } from "./helpers.mjs";

export const MiB = 1024 * 1024;

/** The login provider name of the bootstrap user pool, as GetId's Logins map takes it. */
export function providerName(server) {
  return `cognito-idp.us-east-1.amazonaws.com/${server.poolId}`;
}

/** The gateway's endpoints from aws-exports.json, checked to be there and on this server. */
export function gatewayEndpoints(server) {
  const { exports } = server;
  const presign = (exports.aws_cloud_logic_custom ?? []).find((api) => api.name === "presign");
  assert.ok(presign, `aws-exports.json has aws_cloud_logic_custom "presign": ${JSON.stringify(exports.aws_cloud_logic_custom)}`);
  assert.equal(presign.endpoint, `${server.endpoint}/_s3cognito/presign`);
  assert.equal(presign.region, "us-east-1");
  assert.equal(exports.s3cognito_upload_endpoint, `${server.endpoint}/_s3cognito/upload`);
  assert.equal(exports.aws_appsync_graphqlEndpoint, `${server.endpoint}/_s3cognito/graphql`);
  assert.ok(exports.aws_user_files_s3_bucket, "aws-exports.json names the bucket");
  assert.ok(exports.aws_cognito_identity_pool_id, "aws-exports.json names the identity pool");
  return {
    presign: presign.endpoint,
    upload: exports.s3cognito_upload_endpoint,
    graphql: exports.aws_appsync_graphqlEndpoint,
    bucket: exports.aws_user_files_s3_bucket,
    identityPoolId: exports.aws_cognito_identity_pool_id,
  };
}

/** amazon-cognito-identity-js's pool, pointed at the server. */
export function userPool(server) {
  return new CognitoUserPool({ UserPoolId: server.poolId, ClientId: server.clientId, endpoint: `${server.endpoint}/` });
}

/** authenticateUser (USER_SRP_AUTH, the library's default) as a promise of the CognitoUserSession. */
export function authenticate(pool, username, password) {
  const user = new CognitoUser({ Username: username, Pool: pool });
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return new Promise((resolve, reject) => {
    user.authenticateUser(details, {
      onSuccess: (session) => resolve(session),
      onFailure: (err) => reject(err),
      newPasswordRequired: () => reject(new Error("unexpected newPasswordRequired")),
      mfaRequired: () => reject(new Error("unexpected mfaRequired")),
      totpRequired: () => reject(new Error("unexpected totpRequired")),
      mfaSetup: () => reject(new Error("unexpected mfaSetup")),
      selectMFAType: () => reject(new Error("unexpected selectMFAType")),
      customChallenge: () => reject(new Error("unexpected customChallenge")),
    });
  });
}

/**
 * A new confirmed user (admin API), signed in with amazon-cognito-identity-js:
 * `{username, password, session, accessToken, idToken}`.
 */
export async function signedInUser(server, admin, pool, prefix = "up") {
  const password = randomPassword();
  const username = await adminUser(admin, server, {
    email: `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`,
    password,
  });
  const session = await authenticate(pool, username, password);
  assert.ok(session.isValid());
  return {
    username,
    password,
    session,
    accessToken: session.getAccessToken().getJwtToken(),
    idToken: session.getIdToken().getJwtToken(),
  };
}

/** cognito-identity GetId with the ID token login, unsigned, as Amplify's fetchAuthSession sends it. */
export async function identityIdOf(server, idToken) {
  const res = await fetch(server.endpoint + "/", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityService.GetId",
    },
    body: JSON.stringify({
      IdentityPoolId: server.exports.aws_cognito_identity_pool_id,
      Logins: { [providerName(server)]: idToken },
    }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `GetId: ${JSON.stringify(body)}`);
  assert.match(body.IdentityId, /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  return body.IdentityId;
}

/** An S3 client with the root key on the server's path-style endpoint: an operator looking at the bucket. */
export function adminS3(server) {
  return new S3Client({
    region: "us-east-1",
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: rootCredentials(server),
    maxAttempts: 1,
  });
}

/** The object's bytes and metadata, read with the root key. */
export async function readObject(s3, bucket, key) {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(await got.Body.transformToByteArray());
  return { bytes, contentType: got.ContentType, etag: got.ETag, contentLength: got.ContentLength };
}

/** Whether the object exists (HeadObject with the root key: 200, or 404). */
export async function objectExists(s3, bucket, key) {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if (err.$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

export function md5(bytes) {
  return crypto.createHash("md5").update(bytes).digest("hex");
}

/** The S3 ETag of a multipart object: MD5 of the parts' binary MD5s, a dash, the part count. */
export function multipartEtag(bytes, partSize) {
  const digests = [];
  for (let offset = 0; offset < bytes.length; offset += partSize) {
    digests.push(crypto.createHash("md5").update(bytes.subarray(offset, offset + partSize)).digest());
  }
  return `"${crypto.createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${digests.length}"`;
}

/** A response's status, headers and body (parsed as JSON where it is JSON, else `{raw}`). */
export async function answer(res) {
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body, text };
}

export const LIST_UPLOAD_JOBS = `query ListUploadJobs {
  listUploadJobs {
    items { id user objKey fileKey fileName status uploadedOn size }
    nextToken
  }
}`;

/** GraphQL's listUploadJobs with the token raw in Authorization, as AppSync's user-pool auth takes it; every page. */
export async function listUploadJobs(server, token) {
  const { graphql } = gatewayEndpoints(server);
  const items = [];
  let nextToken = null;
  for (let page = 0; page < 50; page++) {
    const query = nextToken
      ? `query ListUploadJobs($nextToken: String) {
          listUploadJobs(nextToken: $nextToken) {
            items { id user objKey fileKey fileName status uploadedOn size }
            nextToken
          }
        }`
      : LIST_UPLOAD_JOBS;
    const res = await fetch(graphql, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: token },
      body: JSON.stringify(nextToken ? { query, variables: { nextToken } } : { query }),
    });
    const { status, body } = await answer(res);
    assert.equal(status, 200, `listUploadJobs: HTTP ${status} ${JSON.stringify(body)}`);
    assert.equal(body.errors, undefined, `listUploadJobs errors: ${JSON.stringify(body.errors)}`);
    const list = body.data?.listUploadJobs;
    assert.ok(list && Array.isArray(list.items), `listUploadJobs shape: ${JSON.stringify(body)}`);
    items.push(...list.items);
    nextToken = list.nextToken ?? null;
    if (!nextToken) return items;
  }
  throw new Error("listUploadJobs: more than 50 pages");
}

/** The jobs of one object key. */
export async function jobsOf(server, token, key) {
  return (await listUploadJobs(server, token)).filter((job) => job.objKey === key);
}

/** Random bytes (incompressible, so a size or offset mistake cannot hide behind equal-looking data). */
export function randomBytes(size) {
  return crypto.randomBytes(size);
}
