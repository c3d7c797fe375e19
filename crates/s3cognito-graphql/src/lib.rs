//! The upload-job API on GraphQL, as AppSync serves one with `AMAZON_COGNITO_USER_POOLS` auth: `POST` a
//! `{query, variables, operationName}` body with `Authorization: <token>` (raw, as Amplify sends it; an
//! access or ID token of the deployment's pool).
//!
//! AppSync's shapes: a missing or refused token is `401 {"errors":[{"errorType":"UnauthorizedException",…}]}`,
//! a body that is not a GraphQL request `400 MalformedHttpRequestException`, and everything past that —
//! validation errors and resolver errors — `200` with `errors` (each with its `errorType`), so that a
//! client that retries 5xx never repeats a mutation. The schema and execution are async-graphql's.

use std::sync::Arc;

use async_graphql::{
    Context, EmptySubscription, ErrorExtensions, ID, InputObject, Object, Schema, SimpleObject, Variables,
};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use s3cognito_crypto::jwt::TokenUse;
use s3cognito_service::App;
use s3cognito_service::error::ServiceError;
use s3cognito_service::authorization::{Caller, Resource};
use s3cognito_service::uploads::{ClientJob, PoolUser, UploadError, UploadJob};
use s3cognito_types::operation::Own;
use serde::Deserialize;
use serde_json::{Value, json};

type UploadSchema = Schema<Query, Mutation, EmptySubscription>;

/// How deep a query may nest.
const MAX_DEPTH: usize = 12;
/// How many fields a query may ask for, a listing's counted once per job it may return: a full page of
/// every field fits, hundreds of aliased pages do not.
const MAX_COMPLEXITY: usize = 20_000;

/// What the handler shares: the app and the schema built once.
#[derive(Clone)]
pub struct GraphQlState {
    app: Arc<App>,
    schema: UploadSchema,
}

impl std::fmt::Debug for GraphQlState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("GraphQlState").finish_non_exhaustive()
    }
}

impl GraphQlState {
    pub fn new(app: Arc<App>) -> GraphQlState {
        // The schema is shallow; a query nested deeper or asking for more than a few pages' worth of
        // fields is an attack on the server, not a client's need.
        let schema = Schema::build(Query, Mutation, EmptySubscription)
            .data(app.clone())
            .limit_depth(MAX_DEPTH)
            .limit_complexity(MAX_COMPLEXITY)
            .finish();
        GraphQlState { app, schema }
    }
}

/// The schema in SDL, for clients' code generators.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, EmptySubscription).finish().sdl()
}

/// The GraphQL endpoint, to be nested at its path.
pub fn routes(state: GraphQlState) -> Router {
    Router::new()
        .route("/", post(handle))
        .route("/schema.graphql", axum::routing::get(|| async { ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], sdl()) }))
        .with_state(state)
}

/// One upload, as `createUploadJob`, `getUploadJob` and `listUploadJobs` answer it.
#[derive(Debug, SimpleObject)]
#[graphql(name = "UploadJob")]
struct Job {
    id: ID,
    /// The owner's username.
    user: String,
    /// The object's whole key.
    obj_key: String,
    /// The key within the owner's namespace.
    file_key: Option<String>,
    /// The name the file had on the user's side.
    file_name: Option<String>,
    /// `Pending`, `Done`, `Expired`, or what a client recorded.
    status: Option<String>,
    /// ISO 8601.
    uploaded_on: Option<String>,
    /// Bytes.
    size: Option<f64>,
    etag: Option<String>,
    content_type: Option<String>,
    /// How the bytes came: `s3`, `presigned`, `multipart`, `form`, `edge` or `client`.
    route: Option<String>,
    /// The identity whose `private/<identityId>/` holds the object.
    identity_id: Option<String>,
}

impl From<UploadJob> for Job {
    fn from(job: UploadJob) -> Job {
        Job {
            id: ID(job.id),
            user: job.user,
            obj_key: job.obj_key,
            file_key: Some(job.file_key),
            file_name: job.file_name,
            status: Some(job.status),
            uploaded_on: Some(job.uploaded_on),
            size: job.size.map(|size| size as f64),
            etag: job.etag,
            content_type: job.content_type,
            route: Some(job.route),
            identity_id: Some(job.identity_id),
        }
    }
}

/// A page of jobs.
#[derive(Debug, SimpleObject)]
#[graphql(name = "ModelUploadJobConnection")]
struct JobConnection {
    items: Vec<Job>,
    next_token: Option<String>,
}

/// What a client records of an upload.
#[derive(Debug, InputObject)]
#[graphql(name = "CreateUploadJob")]
struct CreateUploadJob {
    user: String,
    obj_key: String,
    file_key: Option<String>,
    file_name: Option<String>,
    status: Option<String>,
    uploaded_on: Option<String>,
}

/// Conditions on one text field, as Amplify's generated filters write them.
#[derive(Debug, Default, InputObject)]
#[graphql(name = "ModelStringInput")]
struct StringCondition {
    eq: Option<String>,
    ne: Option<String>,
    begins_with: Option<String>,
    contains: Option<String>,
}

impl StringCondition {
    fn holds(&self, value: Option<&str>) -> bool {
        let value = value.unwrap_or_default();
        self.eq.as_deref().is_none_or(|eq| value == eq)
            && self.ne.as_deref().is_none_or(|ne| value != ne)
            && self.begins_with.as_deref().is_none_or(|prefix| value.starts_with(prefix))
            && self.contains.as_deref().is_none_or(|part| value.contains(part))
    }
}

/// Which jobs a listing keeps; applied to each page after it is read, as AppSync's scans do.
#[derive(Debug, Default, InputObject)]
#[graphql(name = "ModelUploadJobFilterInput")]
struct JobFilter {
    user: Option<StringCondition>,
    obj_key: Option<StringCondition>,
    file_key: Option<StringCondition>,
    file_name: Option<StringCondition>,
    status: Option<StringCondition>,
    and: Option<Vec<JobFilter>>,
    or: Option<Vec<JobFilter>>,
    not: Option<Box<JobFilter>>,
}

/// How many conditions a filter may hold, nested ones included: each is tried on every job of a page.
const MAX_FILTER_CONDITIONS: usize = 100;

impl JobFilter {
    /// The conditions in the filter, nested ones included.
    fn conditions(&self) -> usize {
        let fields = [&self.user, &self.obj_key, &self.file_key, &self.file_name, &self.status];
        let nested = |filters: &Option<Vec<JobFilter>>| filters.iter().flatten().map(JobFilter::conditions).sum::<usize>();
        1 + fields.iter().filter(|field| field.is_some()).count()
            + nested(&self.and)
            + nested(&self.or)
            + self.not.as_ref().map_or(0, |filter| filter.conditions())
    }

    fn keeps(&self, job: &Job) -> bool {
        let field = |condition: &Option<StringCondition>, value: Option<&str>| condition.as_ref().is_none_or(|c| c.holds(value));
        field(&self.user, Some(&job.user))
            && field(&self.obj_key, Some(&job.obj_key))
            && field(&self.file_key, job.file_key.as_deref())
            && field(&self.file_name, job.file_name.as_deref())
            && field(&self.status, job.status.as_deref())
            && self.and.as_ref().is_none_or(|all| all.iter().all(|filter| filter.keeps(job)))
            && self.or.as_ref().is_none_or(|any| any.iter().any(|filter| filter.keeps(job)))
            && self.not.as_ref().is_none_or(|filter| !filter.keeps(job))
    }
}

/// A resolver's failure as AppSync reports it: a message and an `errorType`.
fn resolver_error(error: UploadError) -> async_graphql::Error {
    let (error_type, message) = match error {
        UploadError::Unauthorized(_) | UploadError::Forbidden(_) => ("Unauthorized", error.to_string()),
        UploadError::Invalid(message) => ("ValidationError", message),
        UploadError::NotFound(message) => ("NotFound", message),
        UploadError::Service(ServiceError::QuotaExceeded(message)) => ("LimitExceededException", message),
        UploadError::Object(_) | UploadError::Service(_) => {
            tracing::error!(%error, "a GraphQL resolver failed");
            ("InternalFailure", "An internal failure occurred.".to_owned())
        }
    };
    async_graphql::Error::new(message).extend_with(|_, extensions| extensions.set("errorType", error_type))
}

fn parts<'a>(context: &Context<'a>) -> (&'a Arc<App>, &'a PoolUser) {
    (context.data_unchecked::<Arc<App>>(), context.data_unchecked::<PoolUser>())
}

struct Query;

#[Object]
impl Query {
    /// One of the caller's jobs (any job, for an administrator); null when there is none it may see.
    async fn get_upload_job(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        let (app, user) = parts(context);
        Ok(app.uploads.job(user, &id).await.map_err(resolver_error)?.map(Job::from))
    }

    /// The caller's jobs (everyone's, for an administrator), oldest first, `limit` at a time.
    #[graphql(complexity = "limit.unwrap_or(100).clamp(1, 1000) as usize * child_complexity")]
    async fn list_upload_jobs(
        &self,
        context: &Context<'_>,
        filter: Option<JobFilter>,
        limit: Option<i32>,
        next_token: Option<String>,
    ) -> async_graphql::Result<JobConnection> {
        let (app, user) = parts(context);
        let filter = filter.unwrap_or_default();
        if filter.conditions() > MAX_FILTER_CONDITIONS {
            return Err(resolver_error(UploadError::Invalid(format!("A filter may hold at most {MAX_FILTER_CONDITIONS} conditions."))));
        }
        let (jobs, next_token) =
            app.uploads.jobs(user, next_token.as_deref(), limit.map(i64::from)).await.map_err(resolver_error)?;
        let items = jobs.into_iter().map(Job::from).filter(|job| filter.keeps(job)).collect();
        Ok(JobConnection { items, next_token })
    }
}

struct Mutation;

#[Object]
impl Mutation {
    /// Records an upload of the caller's own; for an object the server already recorded, the client's
    /// fields are added to that job.
    async fn create_upload_job(&self, context: &Context<'_>, input: CreateUploadJob) -> async_graphql::Result<Job> {
        let (app, user) = parts(context);
        let job = ClientJob {
            user: input.user,
            obj_key: input.obj_key,
            file_key: input.file_key,
            file_name: input.file_name,
            status: input.status,
            uploaded_on: input.uploaded_on,
        };
        Ok(app.uploads.record_client_job(user, job).await.map_err(resolver_error)?.into())
    }
}

/// The body of a GraphQL request over HTTP.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestBody {
    query: String,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    operation_name: Option<String>,
}

/// A refusal before execution, its type also in `x-amzn-ErrorType`, where Amplify reads it.
fn refusal(status: StatusCode, error_type: &'static str, message: &str) -> Response {
    s3cognito_service::activity::note_error_code(error_type);
    let body = Json(json!({ "errors": [{ "errorType": error_type, "message": message }] }));
    (status, [("x-amzn-errortype", error_type)], body).into_response()
}

/// The longest request body read, once the caller's token is accepted.
const MAX_REQUEST_BYTES: usize = 1 << 20;

async fn handle(State(state): State<GraphQlState>, headers: HeaderMap, body: Body) -> Response {
    s3cognito_service::activity::note_operation(Own::GraphQl);
    let Some(token) = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).filter(|token| !token.trim().is_empty())
    else {
        return refusal(StatusCode::UNAUTHORIZED, "UnauthorizedException", "Missing authorization header");
    };
    let user = match state.app.uploads.authenticate(token, &[TokenUse::Access, TokenUse::Id]).await {
        Ok(user) => user,
        Err(UploadError::Unauthorized(reason)) => {
            tracing::debug!(reason, "GraphQL refused a token");
            return refusal(StatusCode::UNAUTHORIZED, "UnauthorizedException", "Valid authorization header not provided.");
        }
        Err(error) => {
            tracing::error!(%error, "authenticating a GraphQL caller failed");
            return refusal(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "An internal failure occurred.");
        }
    };
    if let Err(error) = state.app.authorizer.authorize(Caller::PoolUser(&user), Own::GraphQl.into(), &Resource::Any).await {
        tracing::debug!(%error, "GraphQL refused a caller");
        return refusal(StatusCode::UNAUTHORIZED, "UnauthorizedException", "You are not authorized to make this call.");
    }
    // The body is read only now: an unauthenticated caller cannot make the server hold one.
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "MalformedHttpRequestException", "The request body is too large.");
    };
    let Ok(request) = serde_json::from_slice::<RequestBody>(&body) else {
        return refusal(StatusCode::BAD_REQUEST, "MalformedHttpRequestException", "Unable to parse GraphQL query.");
    };
    let mut graphql = async_graphql::Request::new(request.query).data(user);
    if let Some(variables) = request.variables.filter(|variables| !variables.is_null()) {
        graphql = graphql.variables(Variables::from_json(variables));
    }
    if let Some(name) = request.operation_name {
        graphql = graphql.operation_name(name);
    }
    let response = state.schema.execute(graphql).await;
    let mut answer = serde_json::to_value(&response).unwrap_or_else(|_| json!({}));
    appsync_errors(&mut answer);
    (StatusCode::OK, Json(answer)).into_response()
}

/// AppSync puts each error's `errorType` beside its message, not in `extensions`; errors the schema
/// raised before any resolver ran (parsing, validation) are `ValidationError`s.
fn appsync_errors(answer: &mut Value) {
    let Some(errors) = answer.get_mut("errors").and_then(Value::as_array_mut) else { return };
    for error in errors {
        let Some(object) = error.as_object_mut() else { continue };
        let error_type = object
            .get_mut("extensions")
            .and_then(Value::as_object_mut)
            .and_then(|extensions| extensions.remove("errorType"))
            .unwrap_or_else(|| json!("ValidationError"));
        if object.get("extensions").and_then(Value::as_object).is_some_and(serde_json::Map::is_empty) {
            object.remove("extensions");
        }
        object.insert("errorType".to_owned(), error_type);
    }
    if answer.get("data").is_none() {
        answer["data"] = Value::Null;
    }
}
