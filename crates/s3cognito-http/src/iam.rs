//! IAM on the query protocol: roles with trust and inline policies, OpenID Connect providers, users with
//! their access keys and inline policies, and customer managed policies with their versions, attached to
//! roles and users. Each handler reads its form, calls one use case and writes IAM's XML.

use std::fmt::Write as _;

use s3cognito_crypto::calendar::iso8601;
use s3cognito_service::ServiceError;
use s3cognito_service::access::{Principal, PrincipalKind};
use s3cognito_service::identity::{
    AccessKeyView, Attachment, IamUserView, Identity, PolicySettings, PolicyVersionView, PolicyView, RoleSettings, RoleView,
};
use s3cognito_types::operation::Iam;

use crate::query::{Form, QueryError, element, encoded_policy};

/// The tag of CreateOpenIDConnectProvider that names the provider's JWKS URL.
const JWKS_URL_TAG: &str = "s3cognito:jwks-url";

/// A failure of an IAM handler: a member missing from the form, or the use case's.
pub(crate) enum IamFailure {
    Form(QueryError),
    Service(ServiceError),
}

impl From<QueryError> for IamFailure {
    fn from(error: QueryError) -> Self {
        IamFailure::Form(error)
    }
}

impl From<ServiceError> for IamFailure {
    fn from(error: ServiceError) -> Self {
        IamFailure::Service(error)
    }
}

type IamAnswer = Result<Option<String>, IamFailure>;

/// Runs one IAM operation, already authorized; `caller` is who signed (GetUser without a name is theirs).
pub(crate) async fn run(identity: &Identity, operation: Iam, form: &Form, caller: Option<&Principal>) -> IamAnswer {
    match operation {
        Iam::CreateRole => create_role(identity, form).await,
        Iam::GetRole => get_role(identity, form).await,
        Iam::ListRoles => list_roles(identity, form).await,
        Iam::DeleteRole => delete_role(identity, form).await,
        Iam::UpdateAssumeRolePolicy => update_assume_role_policy(identity, form).await,
        Iam::PutRolePolicy => put_role_policy(identity, form).await,
        Iam::GetRolePolicy => get_role_policy(identity, form).await,
        Iam::ListRolePolicies => list_role_policies(identity, form).await,
        Iam::DeleteRolePolicy => delete_role_policy(identity, form).await,
        Iam::CreateOpenIDConnectProvider => create_open_id_connect_provider(identity, form).await,
        Iam::GetOpenIDConnectProvider => get_open_id_connect_provider(identity, form).await,
        Iam::ListOpenIDConnectProviders => list_open_id_connect_providers(identity).await,
        Iam::DeleteOpenIDConnectProvider => delete_open_id_connect_provider(identity, form).await,
        Iam::CreateUser => create_user(identity, form).await,
        Iam::GetUser => get_user(identity, form, caller).await,
        Iam::ListUsers => list_users(identity, form).await,
        Iam::DeleteUser => delete_user(identity, form).await,
        Iam::CreateAccessKey => create_access_key(identity, form, caller).await,
        Iam::ListAccessKeys => list_access_keys(identity, form, caller).await,
        Iam::UpdateAccessKey => update_access_key(identity, form, caller).await,
        Iam::DeleteAccessKey => delete_access_key(identity, form, caller).await,
        Iam::PutUserPolicy => put_user_policy(identity, form).await,
        Iam::GetUserPolicy => get_user_policy(identity, form).await,
        Iam::ListUserPolicies => list_user_policies(identity, form).await,
        Iam::DeleteUserPolicy => delete_user_policy(identity, form).await,
        Iam::CreatePolicy => create_policy(identity, form).await,
        Iam::GetPolicy => get_policy(identity, form).await,
        Iam::ListPolicies => list_policies(identity, form).await,
        Iam::DeletePolicy => delete_policy(identity, form).await,
        Iam::CreatePolicyVersion => create_policy_version(identity, form).await,
        Iam::GetPolicyVersion => get_policy_version(identity, form).await,
        Iam::ListPolicyVersions => list_policy_versions(identity, form).await,
        Iam::SetDefaultPolicyVersion => set_default_policy_version(identity, form).await,
        Iam::DeletePolicyVersion => delete_policy_version(identity, form).await,
        Iam::AttachRolePolicy => attach(identity, form, Attachment::Role(&form.required("RoleName")?)).await,
        Iam::DetachRolePolicy => detach(identity, form, Attachment::Role(&form.required("RoleName")?)).await,
        Iam::ListAttachedRolePolicies => list_attached(identity, Attachment::Role(&form.required("RoleName")?)).await,
        Iam::AttachUserPolicy => attach(identity, form, Attachment::User(&form.required("UserName")?)).await,
        Iam::DetachUserPolicy => detach(identity, form, Attachment::User(&form.required("UserName")?)).await,
        Iam::ListAttachedUserPolicies => list_attached(identity, Attachment::User(&form.required("UserName")?)).await,
    }
}

async fn create_role(identity: &Identity, form: &Form) -> IamAnswer {
    let settings = RoleSettings {
        path: form.opt("Path"),
        trust_policy: form.required("AssumeRolePolicyDocument")?,
        description: form.opt("Description"),
        max_session_duration: form.opt_i64("MaxSessionDuration")?,
    };
    let role = identity.create_role(&form.required("RoleName")?, settings).await?;
    Ok(Some(format!("<Role>{}</Role>", role_xml(&role))))
}

async fn get_role(identity: &Identity, form: &Form) -> IamAnswer {
    let role = identity.get_role(&form.required("RoleName")?).await?;
    Ok(Some(format!("<Role>{}</Role>", role_xml(&role))))
}

async fn list_roles(identity: &Identity, form: &Form) -> IamAnswer {
    let (roles, marker) = identity
        .list_roles(form.opt("PathPrefix").as_deref(), form.opt("Marker").as_deref(), form.opt_i64("MaxItems")?)
        .await?;
    let members: String = roles.iter().map(|role| format!("<member>{}</member>", role_xml(role))).collect();
    let mut xml = format!("<IsTruncated>{}</IsTruncated><Roles>{members}</Roles>", marker.is_some());
    if let Some(marker) = marker {
        xml.push_str(&element("Marker", &marker));
    }
    Ok(Some(xml))
}

async fn delete_role(identity: &Identity, form: &Form) -> IamAnswer {
    identity.delete_role(&form.required("RoleName")?).await?;
    Ok(None)
}

async fn update_assume_role_policy(identity: &Identity, form: &Form) -> IamAnswer {
    identity.update_assume_role_policy(&form.required("RoleName")?, &form.required("PolicyDocument")?).await?;
    Ok(None)
}

async fn put_role_policy(identity: &Identity, form: &Form) -> IamAnswer {
    identity
        .put_role_policy(&form.required("RoleName")?, &form.required("PolicyName")?, &form.required("PolicyDocument")?)
        .await?;
    Ok(None)
}

async fn get_role_policy(identity: &Identity, form: &Form) -> IamAnswer {
    let policy_name = form.required("PolicyName")?;
    let (role_name, document) = identity.get_role_policy(&form.required("RoleName")?, &policy_name).await?;
    Ok(Some(format!(
        "{}{}{}",
        element("RoleName", &role_name),
        element("PolicyName", &policy_name),
        encoded_policy("PolicyDocument", &document)
    )))
}

async fn list_role_policies(identity: &Identity, form: &Form) -> IamAnswer {
    let names = identity.list_role_policies(&form.required("RoleName")?).await?;
    let members: String = names.iter().map(|name| element("member", name)).collect();
    Ok(Some(format!("<PolicyNames>{members}</PolicyNames><IsTruncated>false</IsTruncated>")))
}

async fn delete_role_policy(identity: &Identity, form: &Form) -> IamAnswer {
    identity.delete_role_policy(&form.required("RoleName")?, &form.required("PolicyName")?).await?;
    Ok(None)
}

async fn create_open_id_connect_provider(identity: &Identity, form: &Form) -> IamAnswer {
    // Where the provider's keys are, when its discovery document cannot be reached from here, travels
    // as a tag, so that the call stays IAM's own.
    let jwks_url = (1..)
        .map_while(|index| {
            let key = form.opt(&format!("Tags.member.{index}.Key"))?;
            Some((key, form.opt(&format!("Tags.member.{index}.Value")).unwrap_or_default()))
        })
        .find(|(key, _)| key == JWKS_URL_TAG)
        .map(|(_, value)| value);
    let provider = identity
        .create_oidc_provider(&form.required("Url")?, form.list("ClientIDList"), form.list("ThumbprintList"), jwks_url)
        .await?;
    Ok(Some(element("OpenIDConnectProviderArn", &provider.arn)))
}

async fn get_open_id_connect_provider(identity: &Identity, form: &Form) -> IamAnswer {
    let provider = identity.get_oidc_provider(&form.required("OpenIDConnectProviderArn")?).await?;
    let url = provider.url.split_once("://").map_or(provider.url.as_str(), |(_, rest)| rest);
    let clients: String = provider.client_ids.iter().map(|id| element("member", id)).collect();
    let thumbprints: String = provider.thumbprints.iter().map(|print| element("member", print)).collect();
    Ok(Some(format!(
        "{}<ClientIDList>{clients}</ClientIDList><ThumbprintList>{thumbprints}</ThumbprintList>{}",
        element("Url", url),
        element("CreateDate", &iso8601(provider.created_at))
    )))
}

async fn list_open_id_connect_providers(identity: &Identity) -> IamAnswer {
    let arns = identity.list_oidc_providers().await?;
    let members: String = arns.iter().map(|arn| format!("<member>{}</member>", element("Arn", arn))).collect();
    Ok(Some(format!("<OpenIDConnectProviderList>{members}</OpenIDConnectProviderList>")))
}

async fn delete_open_id_connect_provider(identity: &Identity, form: &Form) -> IamAnswer {
    identity.delete_oidc_provider(&form.required("OpenIDConnectProviderArn")?).await?;
    Ok(None)
}

fn role_xml(role: &RoleView) -> String {
    let mut xml = format!(
        "{}{}{}{}{}{}",
        element("Path", &role.path),
        element("RoleName", &role.name),
        element("RoleId", &role.role_id),
        element("Arn", &role.arn),
        element("CreateDate", &iso8601(role.created_at)),
        encoded_policy("AssumeRolePolicyDocument", &role.trust_policy),
    );
    if let Some(description) = &role.description {
        xml.push_str(&element("Description", description));
    }
    let _ = write!(xml, "<MaxSessionDuration>{}</MaxSessionDuration>", role.max_session_duration);
    xml
}

// ---- users ----

fn user_xml(user: &IamUserView) -> String {
    format!(
        "<User>{}{}{}{}{}</User>",
        element("Path", &user.path),
        element("UserName", &user.name),
        element("UserId", &user.user_id),
        element("Arn", &user.arn),
        element("CreateDate", &iso8601(user.created_at)),
    )
}

async fn create_user(identity: &Identity, form: &Form) -> IamAnswer {
    let user = identity.create_user(&form.required("UserName")?, form.opt("Path")).await?;
    Ok(Some(user_xml(&user)))
}

/// The user a call names, or, without a name, the IAM user who signed it (as IAM does).
fn user_name(form: &Form, caller: Option<&Principal>) -> Result<String, IamFailure> {
    if let Some(name) = form.opt("UserName") {
        return Ok(name);
    }
    match caller.map(|caller| &caller.kind) {
        Some(PrincipalKind::User(user)) => Ok(user.name.clone()),
        _ => Err(QueryError::validation("UserName is required when the caller is not an IAM user.").into()),
    }
}

async fn get_user(identity: &Identity, form: &Form, caller: Option<&Principal>) -> IamAnswer {
    let user = identity.get_iam_user(&user_name(form, caller)?).await?;
    Ok(Some(user_xml(&user)))
}

async fn list_users(identity: &Identity, form: &Form) -> IamAnswer {
    let (users, marker) = identity
        .list_iam_users(form.opt("PathPrefix").as_deref(), form.opt("Marker").as_deref(), form.opt_i64("MaxItems")?)
        .await?;
    let members: String = users.iter().map(|user| user_xml(user).replace("<User>", "<member>").replace("</User>", "</member>")).collect();
    Ok(Some(with_marker(format!("<Users>{members}</Users>"), marker)))
}

async fn delete_user(identity: &Identity, form: &Form) -> IamAnswer {
    identity.delete_iam_user(&form.required("UserName")?).await?;
    Ok(None)
}

/// `<IsTruncated>` and, when there is more, `<Marker>` after `xml`.
fn with_marker(mut xml: String, marker: Option<String>) -> String {
    xml.push_str(&element("IsTruncated", &marker.is_some().to_string()));
    if let Some(marker) = marker {
        xml.push_str(&element("Marker", &marker));
    }
    xml
}

// ---- access keys ----

fn access_key_xml(key: &AccessKeyView) -> String {
    format!(
        "{}{}{}{}",
        element("UserName", &key.user_name),
        element("AccessKeyId", &key.access_key_id),
        element("Status", &key.status),
        element("CreateDate", &iso8601(key.created_at)),
    )
}

async fn create_access_key(identity: &Identity, form: &Form, caller: Option<&Principal>) -> IamAnswer {
    let created = identity.create_access_key(&user_name(form, caller)?).await?;
    Ok(Some(format!(
        "<AccessKey>{}{}</AccessKey>",
        access_key_xml(&created.key),
        element("SecretAccessKey", &created.secret_access_key)
    )))
}

async fn list_access_keys(identity: &Identity, form: &Form, caller: Option<&Principal>) -> IamAnswer {
    let name = user_name(form, caller)?;
    let keys = identity.list_access_keys(&name).await?;
    let members: String = keys.iter().map(|key| format!("<member>{}</member>", access_key_xml(key))).collect();
    Ok(Some(format!("<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>{}", element("UserName", &name))))
}

async fn update_access_key(identity: &Identity, form: &Form, caller: Option<&Principal>) -> IamAnswer {
    identity
        .update_access_key(&user_name(form, caller)?, &form.required("AccessKeyId")?, &form.required("Status")?)
        .await?;
    Ok(None)
}

async fn delete_access_key(identity: &Identity, form: &Form, caller: Option<&Principal>) -> IamAnswer {
    identity.delete_access_key(&user_name(form, caller)?, &form.required("AccessKeyId")?).await?;
    Ok(None)
}

// ---- a user's inline policies ----

async fn put_user_policy(identity: &Identity, form: &Form) -> IamAnswer {
    identity
        .put_user_policy(&form.required("UserName")?, &form.required("PolicyName")?, &form.required("PolicyDocument")?)
        .await?;
    Ok(None)
}

async fn get_user_policy(identity: &Identity, form: &Form) -> IamAnswer {
    let policy_name = form.required("PolicyName")?;
    let (user_name, document) = identity.get_user_policy(&form.required("UserName")?, &policy_name).await?;
    Ok(Some(format!(
        "{}{}{}",
        element("UserName", &user_name),
        element("PolicyName", &policy_name),
        encoded_policy("PolicyDocument", &document)
    )))
}

async fn list_user_policies(identity: &Identity, form: &Form) -> IamAnswer {
    let names = identity.list_user_policies(&form.required("UserName")?).await?;
    let members: String = names.iter().map(|name| element("member", name)).collect();
    Ok(Some(format!("<PolicyNames>{members}</PolicyNames><IsTruncated>false</IsTruncated>")))
}

async fn delete_user_policy(identity: &Identity, form: &Form) -> IamAnswer {
    identity.delete_user_policy(&form.required("UserName")?, &form.required("PolicyName")?).await?;
    Ok(None)
}

// ---- managed policies ----

fn policy_xml(policy: &PolicyView) -> String {
    let mut xml = format!(
        "{}{}{}{}{}{}<PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable>",
        element("PolicyName", &policy.name),
        element("PolicyId", &policy.policy_id),
        element("Arn", &policy.arn),
        element("Path", &policy.path),
        element("DefaultVersionId", &policy.default_version),
        element("AttachmentCount", &policy.attachment_count.to_string()),
    );
    if let Some(description) = &policy.description {
        xml.push_str(&element("Description", description));
    }
    xml.push_str(&element("CreateDate", &iso8601(policy.created_at)));
    xml.push_str(&element("UpdateDate", &iso8601(policy.updated_at)));
    xml
}

fn version_xml(version: &PolicyVersionView, with_document: bool) -> String {
    let document = if with_document { encoded_policy("Document", &version.document) } else { String::new() };
    format!(
        "{document}{}{}{}",
        element("VersionId", &version.version_id),
        element("IsDefaultVersion", &version.is_default.to_string()),
        element("CreateDate", &iso8601(version.created_at)),
    )
}

async fn create_policy(identity: &Identity, form: &Form) -> IamAnswer {
    let settings = PolicySettings { path: form.opt("Path"), description: form.opt("Description") };
    let policy = identity.create_policy(&form.required("PolicyName")?, &form.required("PolicyDocument")?, settings).await?;
    Ok(Some(format!("<Policy>{}</Policy>", policy_xml(&policy))))
}

async fn get_policy(identity: &Identity, form: &Form) -> IamAnswer {
    let policy = identity.get_policy(&form.required("PolicyArn")?).await?;
    Ok(Some(format!("<Policy>{}</Policy>", policy_xml(&policy))))
}

async fn list_policies(identity: &Identity, form: &Form) -> IamAnswer {
    let only_attached = form.opt("OnlyAttached").is_some_and(|value| value == "true");
    let (policies, marker) = identity
        .list_policies(
            form.opt("Scope").as_deref(),
            only_attached,
            form.opt("PathPrefix").as_deref(),
            form.opt("Marker").as_deref(),
            form.opt_i64("MaxItems")?,
        )
        .await?;
    let members: String = policies.iter().map(|policy| format!("<member>{}</member>", policy_xml(policy))).collect();
    Ok(Some(with_marker(format!("<Policies>{members}</Policies>"), marker)))
}

async fn delete_policy(identity: &Identity, form: &Form) -> IamAnswer {
    identity.delete_policy(&form.required("PolicyArn")?).await?;
    Ok(None)
}

async fn create_policy_version(identity: &Identity, form: &Form) -> IamAnswer {
    let set_as_default = form.opt("SetAsDefault").is_some_and(|value| value == "true");
    let version = identity
        .create_policy_version(&form.required("PolicyArn")?, &form.required("PolicyDocument")?, set_as_default)
        .await?;
    Ok(Some(format!("<PolicyVersion>{}</PolicyVersion>", version_xml(&version, false))))
}

async fn get_policy_version(identity: &Identity, form: &Form) -> IamAnswer {
    let version = identity.get_policy_version(&form.required("PolicyArn")?, &form.required("VersionId")?).await?;
    Ok(Some(format!("<PolicyVersion>{}</PolicyVersion>", version_xml(&version, true))))
}

async fn list_policy_versions(identity: &Identity, form: &Form) -> IamAnswer {
    let versions = identity.list_policy_versions(&form.required("PolicyArn")?).await?;
    let members: String = versions.iter().map(|version| format!("<member>{}</member>", version_xml(version, false))).collect();
    Ok(Some(format!("<Versions>{members}</Versions><IsTruncated>false</IsTruncated>")))
}

async fn set_default_policy_version(identity: &Identity, form: &Form) -> IamAnswer {
    identity.set_default_policy_version(&form.required("PolicyArn")?, &form.required("VersionId")?).await?;
    Ok(None)
}

async fn delete_policy_version(identity: &Identity, form: &Form) -> IamAnswer {
    identity.delete_policy_version(&form.required("PolicyArn")?, &form.required("VersionId")?).await?;
    Ok(None)
}

// ---- attachments ----

async fn attach(identity: &Identity, form: &Form, to: Attachment<'_>) -> IamAnswer {
    identity.attach_policy(to, &form.required("PolicyArn")?).await?;
    Ok(None)
}

async fn detach(identity: &Identity, form: &Form, to: Attachment<'_>) -> IamAnswer {
    identity.detach_policy(to, &form.required("PolicyArn")?).await?;
    Ok(None)
}

async fn list_attached(identity: &Identity, to: Attachment<'_>) -> IamAnswer {
    let attached = identity.attached_policies(to).await?;
    let members: String = attached
        .iter()
        .map(|(name, arn)| format!("<member>{}{}</member>", element("PolicyName", name), element("PolicyArn", arn)))
        .collect();
    Ok(Some(format!("<AttachedPolicies>{members}</AttachedPolicies><IsTruncated>false</IsTruncated>")))
}
