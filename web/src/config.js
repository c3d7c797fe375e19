// The page's settings come from the server that serves it (config.json beside index.html): the user
// pool, its app client, the identity pool, the bucket and the endpoints, as aws-exports.json names them.
// Amplify is configured from the same document, pointed at this server for Cognito.
import { Amplify } from "aws-amplify";

export async function loadConfig() {
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-store" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const exports = await response.json();
  const endpoint = exports.s3cognito_endpoint;
  Amplify.configure(exports);
  const parsed = Amplify.getConfig();
  Amplify.configure({
    ...parsed,
    Auth: {
      ...parsed.Auth,
      Cognito: { ...parsed.Auth.Cognito, userPoolEndpoint: endpoint, identityPoolEndpoint: endpoint },
    },
  });
  const presign = exports.aws_cloud_logic_custom?.find((api) => api.name === "presign")?.endpoint;
  return {
    region: exports.aws_project_region,
    endpoint,
    bucket: exports.aws_user_files_s3_bucket,
    presign,
    graphql: exports.aws_appsync_graphqlEndpoint,
    // S3's largest object.
    maxUploadBytes: 5 * 1024 ** 4,
  };
}
