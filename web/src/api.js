// What the page asks of the server once signed in: the user's files (S3, with the identity pool's
// temporary credentials, which reach only private/<identityId>/), a presigned download URL (the
// presign API, with the user pool access token), and the upload history (GraphQL's listUploadJobs).
import { fetchAuthSession } from "aws-amplify/auth";
import prettierBytes from "@transloadit/prettier-bytes";
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";

/** The signed-in user's session, refreshed by Amplify when its tokens are near expiry. */
export async function session() {
  const current = await fetchAuthSession();
  if (!current.tokens?.accessToken) throw new SessionExpired();
  return current;
}

export class SessionExpired extends Error {
  constructor() {
    super("Your session has expired. Sign in again.");
    this.name = "SessionExpired";
  }
}

/** The access token, raw, as the presign API and GraphQL take it in Authorization. */
export async function accessToken() {
  return (await session()).tokens.accessToken.toString();
}

/** Whether `error` means the user must sign in again. */
export function isSessionExpired(error) {
  return (
    error instanceof SessionExpired ||
    (error?.name === "NotAuthorizedException" && /expired|revoked/i.test(error.message))
  );
}

/** A message a person can act on, whatever failed. */
export function describe(error) {
  if (!error) return "Something went wrong.";
  if (isSessionExpired(error)) return new SessionExpired().message;
  if (error instanceof TypeError && /fetch|network/i.test(error.message)) {
    return "The server cannot be reached. Check your connection and try again.";
  }
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    return "You are offline. Check your connection and try again.";
  }
  return error.message || String(error);
}

async function s3Client(config) {
  const { credentials, identityId } = await session();
  if (!credentials || !identityId) throw new Error("The identity pool gave no credentials for this user.");
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: true,
    credentials,
    maxAttempts: 2,
  });
  return { client, prefix: `private/${identityId}/` };
}

/** The user's files, newest first: {name, key, size, modified}. */
export async function listFiles(config) {
  const { client, prefix } = await s3Client(config);
  try {
    const files = [];
    let token;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        files.push({
          name: object.Key.slice(prefix.length),
          key: object.Key,
          size: object.Size ?? 0,
          modified: object.LastModified ? new Date(object.LastModified) : null,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    files.sort((a, b) => (b.modified?.getTime() ?? 0) - (a.modified?.getTime() ?? 0) || a.name.localeCompare(b.name));
    return files;
  } finally {
    client.destroy();
  }
}

export async function deleteFile(config, file) {
  const { client } = await s3Client(config);
  try {
    await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: file.key }));
  } finally {
    client.destroy();
  }
}

/** A presigned GET of one of the user's files, from the presign API. */
export async function downloadUrl(config, name) {
  const query = new URLSearchParams({ name, method: "GET" });
  const response = await fetch(`${config.presign}?${query}`, {
    headers: { authorization: await accessToken() },
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw new SessionExpired();
  if (!response.ok) throw new Error(body.message || `The download could not be prepared (HTTP ${response.status}).`);
  return body.url;
}

const LIST_UPLOAD_JOBS = `query ListUploadJobs($nextToken: String) {
  listUploadJobs(nextToken: $nextToken) {
    items { id fileName fileKey status uploadedOn size route }
    nextToken
  }
}`;

/** The user's upload records, newest first. */
export async function listUploadJobs(config) {
  const jobs = [];
  let nextToken = null;
  for (let page = 0; page < 20; page++) {
    const response = await fetch(config.graphql, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: await accessToken() },
      body: JSON.stringify({ query: LIST_UPLOAD_JOBS, variables: { nextToken } }),
    });
    if (response.status === 401) throw new SessionExpired();
    const body = await response.json().catch(() => ({}));
    if (body.errors?.length) throw new Error(body.errors[0].message);
    if (!response.ok || !body.data) throw new Error(`The upload history could not be read (HTTP ${response.status}).`);
    jobs.push(...body.data.listUploadJobs.items);
    nextToken = body.data.listUploadJobs.nextToken;
    if (!nextToken) break;
  }
  jobs.sort((a, b) => (b.uploadedOn ?? "").localeCompare(a.uploadedOn ?? ""));
  return jobs;
}

/** Sizes as the upload widget writes them, so a file reads the same in both places. */
export function formatBytes(bytes) {
  return prettierBytes(bytes);
}

export function formatDate(date) {
  if (!date) return "";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
}
