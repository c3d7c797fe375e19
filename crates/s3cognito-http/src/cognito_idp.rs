//! cognito-idp's operations: each handler parses its members, calls one service function, encodes the
//! answer. Which operation a request is, and whether its caller may run it, is decided before
//! (`aws_json::dispatch`).

use s3cognito_service::limits::AddressBudget;
use s3cognito_service::user_pool::config::{ClientConfig, MfaConfiguration, PasswordPolicy, PoolConfig, TimeUnit, Validity};
use s3cognito_service::user_pool::mfa::{FactorPreference, MfaConfigRequest, MfaPreference, MfaSettings, TokenProof};
use s3cognito_service::user_pool::{
    AuthOutcome, AuthRequest, ChallengeAnswer, ClientSettings, ClientView, CodeDelivery, GroupView, PoolSettings,
    PoolView, Tokens, UserPools, UserView,
};
use s3cognito_types::operation::CognitoIdp as Op;
use s3cognito_types::{ClientId, GroupName, UserPoolId, Username, Violation};
use serde_json::{Value, json};

use crate::HttpState;
use crate::error::ApiError;
use crate::input::Input;

/// The per-address budget an unauthenticated operation draws on: sign-ins, and the calls that create
/// accounts or send mail.
pub(crate) fn address_budget(operation: Op) -> Option<AddressBudget> {
    match operation {
        Op::InitiateAuth | Op::RespondToAuthChallenge | Op::AssociateSoftwareToken | Op::VerifySoftwareToken => {
            Some(AddressBudget::SignIn)
        }
        Op::SignUp | Op::ConfirmSignUp | Op::ResendConfirmationCode | Op::ForgotPassword | Op::ConfirmForgotPassword => {
            Some(AddressBudget::Account)
        }
        _ => None,
    }
}

type Answer = Result<Value, ApiError>;

/// Whether an operation is the administrator's form of a public one (AdminInitiateAuth, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admin {
    No,
    Yes,
}

/// Runs one operation, already authorized.
pub(crate) async fn run(state: &HttpState, operation: Op, input: &Input) -> Answer {
    let pools = &state.app.user_pools;
    match operation {
        Op::SignUp => sign_up(pools, input).await,
        Op::ConfirmSignUp => confirm_sign_up(pools, input).await,
        Op::ResendConfirmationCode => resend_confirmation_code(pools, input).await,
        Op::InitiateAuth => initiate_auth(pools, input, Admin::No).await,
        Op::RespondToAuthChallenge => respond_to_auth_challenge(pools, input, Admin::No).await,
        Op::GetTokensFromRefreshToken => get_tokens_from_refresh_token(pools, input).await,
        Op::GetUser => get_user(pools, input).await,
        Op::UpdateUserAttributes => update_user_attributes(pools, input).await,
        Op::VerifyUserAttribute => verify_user_attribute(pools, input).await,
        Op::ChangePassword => change_password(pools, input).await,
        Op::ForgotPassword => forgot_password(pools, input).await,
        Op::ConfirmForgotPassword => confirm_forgot_password(pools, input).await,
        Op::GlobalSignOut => global_sign_out(pools, input).await,
        Op::RevokeToken => revoke_token(pools, input).await,
        Op::CreateUserPool => create_user_pool(pools, input, &state.app.region).await,
        Op::DescribeUserPool => describe_user_pool(pools, input).await,
        Op::ListUserPools => list_user_pools(pools, input).await,
        Op::DeleteUserPool => delete_user_pool(pools, input).await,
        Op::CreateUserPoolClient => create_user_pool_client(pools, input).await,
        Op::DescribeUserPoolClient => describe_user_pool_client(pools, input).await,
        Op::UpdateUserPoolClient => update_user_pool_client(pools, input).await,
        Op::DeleteUserPoolClient => delete_user_pool_client(pools, input).await,
        Op::ListUserPoolClients => list_user_pool_clients(pools, input).await,
        Op::AdminCreateUser => admin_create_user(pools, input).await,
        Op::AdminGetUser => admin_get_user(pools, input).await,
        Op::ListUsers => list_users(pools, input).await,
        Op::AdminDeleteUser => admin_delete_user(pools, input).await,
        Op::AdminConfirmSignUp => admin_confirm_sign_up(pools, input).await,
        Op::AdminSetUserPassword => admin_set_user_password(pools, input).await,
        Op::AdminResetUserPassword => admin_reset_user_password(pools, input).await,
        Op::AdminDisableUser => admin_set_enabled(pools, input, false).await,
        Op::AdminEnableUser => admin_set_enabled(pools, input, true).await,
        Op::AdminUpdateUserAttributes => admin_update_user_attributes(pools, input).await,
        Op::AdminDeleteUserAttributes => admin_delete_user_attributes(pools, input).await,
        Op::AdminInitiateAuth => initiate_auth(pools, input, Admin::Yes).await,
        Op::AdminRespondToAuthChallenge => respond_to_auth_challenge(pools, input, Admin::Yes).await,
        Op::AdminUserGlobalSignOut => admin_user_global_sign_out(pools, input).await,
        Op::CreateGroup => create_group(pools, input).await,
        Op::GetGroup => get_group(pools, input).await,
        Op::UpdateGroup => update_group(pools, input).await,
        Op::DeleteGroup => delete_group(pools, input).await,
        Op::ListGroups => list_groups(pools, input).await,
        Op::AdminAddUserToGroup => admin_add_user_to_group(pools, input).await,
        Op::AdminRemoveUserFromGroup => admin_remove_user_from_group(pools, input).await,
        Op::AdminListGroupsForUser => admin_list_groups_for_user(pools, input).await,
        Op::ListUsersInGroup => list_users_in_group(pools, input).await,
        Op::SetUserPoolMfaConfig => set_user_pool_mfa_config(pools, input).await,
        Op::GetUserPoolMfaConfig => get_user_pool_mfa_config(pools, input).await,
        Op::AssociateSoftwareToken => associate_software_token(pools, input).await,
        Op::VerifySoftwareToken => verify_software_token(pools, input).await,
        Op::SetUserMFAPreference => set_user_mfa_preference(pools, input).await,
        Op::AdminSetUserMFAPreference => admin_set_user_mfa_preference(pools, input).await,
    }
}

fn empty() -> Answer {
    Ok(json!({}))
}

// ---- sign-up and sign-in ----

async fn sign_up(pools: &UserPools, input: &Input) -> Answer {
    let outcome = pools
        .sign_up(
            &client_id(input)?,
            input.opt_string("SecretHash")?.as_deref(),
            username(input, "Username")?,
            &input.string("Password")?,
            input.attributes("UserAttributes")?,
        )
        .await?;
    let mut answer = json!({"UserConfirmed": outcome.user_confirmed, "UserSub": outcome.user_sub});
    if let Some(delivery) = outcome.delivery {
        answer["CodeDeliveryDetails"] = delivery_json(&delivery);
    }
    Ok(answer)
}

async fn confirm_sign_up(pools: &UserPools, input: &Input) -> Answer {
    pools
        .confirm_sign_up(
            &client_id(input)?,
            input.opt_string("SecretHash")?.as_deref(),
            &username(input, "Username")?,
            &input.string("ConfirmationCode")?,
        )
        .await?;
    empty()
}

async fn resend_confirmation_code(pools: &UserPools, input: &Input) -> Answer {
    let delivery = pools
        .resend_confirmation_code(&client_id(input)?, input.opt_string("SecretHash")?.as_deref(), &username(input, "Username")?)
        .await?;
    Ok(json!({"CodeDeliveryDetails": delivery_json(&delivery)}))
}

async fn initiate_auth(pools: &UserPools, input: &Input, admin: Admin) -> Answer {
    let admin_pool = (admin == Admin::Yes).then(|| pool_id(input)).transpose()?;
    let request = AuthRequest {
        client_id: client_id(input)?,
        flow: input.string("AuthFlow")?,
        parameters: input.string_map("AuthParameters")?,
        admin_pool,
    };
    Ok(outcome_json(pools.initiate_auth(request).await?))
}

async fn respond_to_auth_challenge(pools: &UserPools, input: &Input, admin: Admin) -> Answer {
    let admin_pool = (admin == Admin::Yes).then(|| pool_id(input)).transpose()?;
    let answer = ChallengeAnswer {
        client_id: client_id(input)?,
        challenge_name: input.string("ChallengeName")?,
        session: input.opt_string("Session")?,
        responses: input.string_map("ChallengeResponses")?,
        admin_pool,
    };
    Ok(outcome_json(pools.respond_to_auth_challenge(answer).await?))
}

async fn get_tokens_from_refresh_token(pools: &UserPools, input: &Input) -> Answer {
    let tokens = pools
        .get_tokens_from_refresh_token(
            &client_id(input)?,
            input.opt_string("ClientSecret")?.as_deref(),
            &input.string("RefreshToken")?,
        )
        .await?;
    Ok(json!({"AuthenticationResult": tokens_json(&tokens)}))
}

// ---- the signed-in user ----

async fn get_user(pools: &UserPools, input: &Input) -> Answer {
    let user = pools.get_user(&input.string("AccessToken")?).await?;
    Ok(with_mfa(json!({"Username": user.username, "UserAttributes": attributes_json(&user)}), &user))
}

/// GetUser's and AdminGetUser's MFA members, present only when the user has a factor enabled.
fn with_mfa(mut answer: Value, user: &UserView) -> Value {
    if !user.mfa.enabled.is_empty() {
        answer["UserMFASettingList"] = json!(user.mfa.enabled);
    }
    if let Some(preferred) = user.mfa.preferred {
        answer["PreferredMfaSetting"] = json!(preferred);
    }
    answer
}

// ---- software-token MFA ----

async fn set_user_pool_mfa_config(pools: &UserPools, input: &Input) -> Answer {
    let configuration = match input.opt_string("MfaConfiguration")? {
        Some(value) => Some(MfaConfiguration::parse(&value).ok_or_else(|| {
            ApiError::invalid_parameter(format!(
                "1 validation error detected: Value '{value}' at 'mfaConfiguration' failed to satisfy constraint: \
                 Member must satisfy enum value set: [OFF, ON, OPTIONAL]"
            ))
        })?),
        None => None,
    };
    let software_token = match input.object("SoftwareTokenMfaConfiguration")? {
        Some(token) => Some(token.opt_bool("Enabled")?.unwrap_or(false)),
        None => None,
    };
    let request = MfaConfigRequest {
        configuration,
        software_token,
        sms: input.object("SmsMfaConfiguration")?.is_some(),
        email: input.object("EmailMfaConfiguration")?.is_some(),
    };
    let settings = pools.set_user_pool_mfa_config(&pool_id(input)?, request).await?;
    Ok(mfa_config_json(settings))
}

async fn get_user_pool_mfa_config(pools: &UserPools, input: &Input) -> Answer {
    Ok(mfa_config_json(pools.user_pool_mfa_config(&pool_id(input)?).await?))
}

fn mfa_config_json(settings: MfaSettings) -> Value {
    json!({
        "MfaConfiguration": settings.configuration.as_str(),
        "SoftwareTokenMfaConfiguration": {"Enabled": settings.software_token},
    })
}

/// The access token or the sign-in session a software-token call proves itself with: one of them.
fn token_proof(input: &Input) -> Result<TokenProof, ApiError> {
    match (input.opt_string("AccessToken")?, input.opt_string("Session")?) {
        (Some(token), None) => Ok(TokenProof::AccessToken(token)),
        (None, Some(session)) => Ok(TokenProof::Session(session)),
        (Some(_), Some(_)) => Err(ApiError::invalid_parameter("Pass an access token or a session, not both.")),
        (None, None) => Err(ApiError::invalid_parameter("An access token or a session is required.")),
    }
}

async fn associate_software_token(pools: &UserPools, input: &Input) -> Answer {
    let associated = pools.associate_software_token(token_proof(input)?).await?;
    let mut answer = json!({"SecretCode": associated.secret_code});
    if let Some(session) = associated.session {
        answer["Session"] = json!(session);
    }
    Ok(answer)
}

async fn verify_software_token(pools: &UserPools, input: &Input) -> Answer {
    let proof = token_proof(input)?;
    let code = input.string("UserCode")?;
    let session = pools.verify_software_token(proof, &code, input.opt_string("FriendlyDeviceName")?.as_deref()).await?;
    let mut answer = json!({"Status": "SUCCESS"});
    if let Some(session) = session {
        answer["Session"] = json!(session);
    }
    Ok(answer)
}

/// SetUserMFAPreference's and AdminSetUserMFAPreference's factor settings.
fn mfa_preference(input: &Input) -> Result<MfaPreference, ApiError> {
    let factor = |member: &str| -> Result<Option<FactorPreference>, ApiError> {
        Ok(match input.object(member)? {
            Some(settings) => {
                Some(FactorPreference { enabled: settings.opt_bool("Enabled")?, preferred: settings.opt_bool("PreferredMfa")? })
            }
            None => None,
        })
    };
    Ok(MfaPreference {
        software_token: factor("SoftwareTokenMfaSettings")?,
        sms: factor("SMSMfaSettings")?,
        email: factor("EmailMfaSettings")?,
    })
}

async fn set_user_mfa_preference(pools: &UserPools, input: &Input) -> Answer {
    pools.set_user_mfa_preference(&input.string("AccessToken")?, mfa_preference(input)?).await?;
    empty()
}

async fn admin_set_user_mfa_preference(pools: &UserPools, input: &Input) -> Answer {
    pools.admin_set_user_mfa_preference(&pool_id(input)?, &username(input, "Username")?, mfa_preference(input)?).await?;
    empty()
}

async fn update_user_attributes(pools: &UserPools, input: &Input) -> Answer {
    let deliveries = pools.update_user_attributes(&input.string("AccessToken")?, input.attributes("UserAttributes")?).await?;
    Ok(json!({"CodeDeliveryDetailsList": deliveries.iter().map(delivery_json).collect::<Vec<_>>()}))
}

async fn verify_user_attribute(pools: &UserPools, input: &Input) -> Answer {
    pools
        .verify_user_attribute(&input.string("AccessToken")?, &input.string("AttributeName")?, &input.string("Code")?)
        .await?;
    empty()
}

async fn change_password(pools: &UserPools, input: &Input) -> Answer {
    pools
        .change_password(&input.string("AccessToken")?, &input.string("PreviousPassword")?, &input.string("ProposedPassword")?)
        .await?;
    empty()
}

async fn forgot_password(pools: &UserPools, input: &Input) -> Answer {
    let delivery = pools
        .forgot_password(&client_id(input)?, input.opt_string("SecretHash")?.as_deref(), &username(input, "Username")?)
        .await?;
    Ok(json!({"CodeDeliveryDetails": delivery_json(&delivery)}))
}

async fn confirm_forgot_password(pools: &UserPools, input: &Input) -> Answer {
    pools
        .confirm_forgot_password(
            &client_id(input)?,
            input.opt_string("SecretHash")?.as_deref(),
            &username(input, "Username")?,
            &input.string("ConfirmationCode")?,
            &input.string("Password")?,
        )
        .await?;
    empty()
}

async fn global_sign_out(pools: &UserPools, input: &Input) -> Answer {
    pools.global_sign_out(&input.string("AccessToken")?).await?;
    empty()
}

async fn revoke_token(pools: &UserPools, input: &Input) -> Answer {
    pools.revoke_token(&client_id(input)?, input.opt_string("ClientSecret")?.as_deref(), &input.string("Token")?).await?;
    empty()
}

// ---- pools and clients ----

async fn create_user_pool(pools: &UserPools, input: &Input, region: &str) -> Answer {
    let settings = PoolSettings { name: input.string("PoolName")?, config: pool_config(input)? };
    let pool = pools.create_user_pool(region, settings).await?;
    Ok(json!({"UserPool": pool_json(&pool)}))
}

async fn describe_user_pool(pools: &UserPools, input: &Input) -> Answer {
    Ok(json!({"UserPool": pool_json(&pools.describe_user_pool(&pool_id(input)?).await?)}))
}

async fn list_user_pools(pools: &UserPools, input: &Input) -> Answer {
    let max_results = input.opt_i64("MaxResults")?.ok_or_else(|| ApiError::member_missing("maxResults"))?;
    let (list, next) = pools.list_user_pools(max_results, input.opt_string("NextToken")?.as_deref()).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|pool| {
            json!({"Id": pool.id, "Name": pool.name, "CreationDate": pool.created_at,
                   "LastModifiedDate": pool.updated_at, "LambdaConfig": {}})
        })
        .collect();
    Ok(with_next(json!({"UserPools": items}), "NextToken", next))
}

async fn delete_user_pool(pools: &UserPools, input: &Input) -> Answer {
    pools.delete_user_pool(&pool_id(input)?).await?;
    empty()
}

async fn create_user_pool_client(pools: &UserPools, input: &Input) -> Answer {
    let settings = ClientSettings {
        name: input.string("ClientName")?,
        generate_secret: input.opt_bool("GenerateSecret")?.unwrap_or(false),
        config: client_config(input, ClientConfig::default())?,
    };
    let client = pools.create_user_pool_client(&pool_id(input)?, settings).await?;
    Ok(json!({"UserPoolClient": client_json(&client)}))
}

async fn describe_user_pool_client(pools: &UserPools, input: &Input) -> Answer {
    let client = pools.describe_user_pool_client(&pool_id(input)?, &client_id(input)?).await?;
    Ok(json!({"UserPoolClient": client_json(&client)}))
}

async fn update_user_pool_client(pools: &UserPools, input: &Input) -> Answer {
    let (pool, client) = (pool_id(input)?, client_id(input)?);
    // Like Cognito, members left out of an update go back to their defaults.
    let config = client_config(input, ClientConfig::default())?;
    let client = pools.update_user_pool_client(&pool, &client, input.opt_string("ClientName")?, config).await?;
    Ok(json!({"UserPoolClient": client_json(&client)}))
}

async fn delete_user_pool_client(pools: &UserPools, input: &Input) -> Answer {
    pools.delete_user_pool_client(&pool_id(input)?, &client_id(input)?).await?;
    empty()
}

async fn list_user_pool_clients(pools: &UserPools, input: &Input) -> Answer {
    let (list, next) = pools
        .list_user_pool_clients(&pool_id(input)?, input.opt_i64("MaxResults")?, input.opt_string("NextToken")?.as_deref())
        .await?;
    let items: Vec<Value> = list
        .iter()
        .map(|client| json!({"ClientId": client.client_id, "UserPoolId": client.pool_id, "ClientName": client.name}))
        .collect();
    Ok(with_next(json!({"UserPoolClients": items}), "NextToken", next))
}

// ---- users ----

async fn admin_create_user(pools: &UserPools, input: &Input) -> Answer {
    let user = pools
        .admin_create_user(
            &pool_id(input)?,
            username(input, "Username")?,
            input.attributes("UserAttributes")?,
            input.opt_string("TemporaryPassword")?.as_deref(),
            input.opt_string("MessageAction")?.as_deref(),
        )
        .await?;
    Ok(json!({"User": user_json(&user)}))
}

async fn admin_get_user(pools: &UserPools, input: &Input) -> Answer {
    let user = pools.admin_get_user(&pool_id(input)?, &username(input, "Username")?).await?;
    let answer = json!({
        "Username": user.username,
        "UserAttributes": attributes_json(&user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    });
    Ok(with_mfa(answer, &user))
}

async fn list_users(pools: &UserPools, input: &Input) -> Answer {
    let page = pools
        .list_users(
            &pool_id(input)?,
            input.opt_string("Filter")?.as_deref(),
            input.opt_i64("Limit")?,
            input.opt_string("PaginationToken")?.as_deref(),
        )
        .await?;
    let wanted = input.opt_strings("AttributesToGet")?;
    let users: Vec<Value> = page
        .users
        .iter()
        .map(|user| {
            let mut value = user_json(user);
            if let Some(wanted) = &wanted {
                value["Attributes"] = Value::Array(
                    attributes_json(user)
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|attribute| attribute["Name"].as_str().is_some_and(|name| wanted.iter().any(|w| w == name)))
                        .cloned()
                        .collect(),
                );
            }
            value
        })
        .collect();
    Ok(with_next(json!({"Users": users}), "PaginationToken", page.next))
}

async fn admin_delete_user(pools: &UserPools, input: &Input) -> Answer {
    pools.admin_delete_user(&pool_id(input)?, &username(input, "Username")?).await?;
    empty()
}

async fn admin_confirm_sign_up(pools: &UserPools, input: &Input) -> Answer {
    pools.admin_confirm_sign_up(&pool_id(input)?, &username(input, "Username")?).await?;
    empty()
}

async fn admin_set_user_password(pools: &UserPools, input: &Input) -> Answer {
    pools
        .admin_set_user_password(
            &pool_id(input)?,
            &username(input, "Username")?,
            &input.string("Password")?,
            input.opt_bool("Permanent")?.unwrap_or(false),
        )
        .await?;
    empty()
}

async fn admin_reset_user_password(pools: &UserPools, input: &Input) -> Answer {
    pools.admin_reset_user_password(&pool_id(input)?, &username(input, "Username")?).await?;
    empty()
}

async fn admin_set_enabled(pools: &UserPools, input: &Input, enabled: bool) -> Answer {
    pools.admin_set_enabled(&pool_id(input)?, &username(input, "Username")?, enabled).await?;
    empty()
}

async fn admin_update_user_attributes(pools: &UserPools, input: &Input) -> Answer {
    pools
        .admin_update_user_attributes(&pool_id(input)?, &username(input, "Username")?, input.attributes("UserAttributes")?)
        .await?;
    empty()
}

async fn admin_delete_user_attributes(pools: &UserPools, input: &Input) -> Answer {
    pools
        .admin_delete_user_attributes(
            &pool_id(input)?,
            &username(input, "Username")?,
            input.opt_strings("UserAttributeNames")?.unwrap_or_default(),
        )
        .await?;
    empty()
}

async fn admin_user_global_sign_out(pools: &UserPools, input: &Input) -> Answer {
    pools.admin_user_global_sign_out(&pool_id(input)?, &username(input, "Username")?).await?;
    empty()
}

// ---- groups ----

async fn create_group(pools: &UserPools, input: &Input) -> Answer {
    let group = pools
        .create_group(
            &pool_id(input)?,
            group_name(input)?,
            input.opt_string("Description")?,
            input.opt_string("RoleArn")?,
            input.opt_i64("Precedence")?,
        )
        .await?;
    Ok(json!({"Group": group_json(&group)}))
}

async fn get_group(pools: &UserPools, input: &Input) -> Answer {
    Ok(json!({"Group": group_json(&pools.get_group(&pool_id(input)?, &group_name(input)?).await?)}))
}

async fn update_group(pools: &UserPools, input: &Input) -> Answer {
    let group = pools
        .update_group(
            &pool_id(input)?,
            &group_name(input)?,
            input.opt_string("Description")?,
            input.opt_string("RoleArn")?,
            input.opt_i64("Precedence")?,
        )
        .await?;
    Ok(json!({"Group": group_json(&group)}))
}

async fn delete_group(pools: &UserPools, input: &Input) -> Answer {
    pools.delete_group(&pool_id(input)?, &group_name(input)?).await?;
    empty()
}

async fn list_groups(pools: &UserPools, input: &Input) -> Answer {
    let (groups, next) =
        pools.list_groups(&pool_id(input)?, input.opt_i64("Limit")?, input.opt_string("NextToken")?.as_deref()).await?;
    Ok(with_next(json!({"Groups": groups.iter().map(group_json).collect::<Vec<_>>()}), "NextToken", next))
}

async fn admin_add_user_to_group(pools: &UserPools, input: &Input) -> Answer {
    pools.admin_add_user_to_group(&pool_id(input)?, &username(input, "Username")?, &group_name(input)?).await?;
    empty()
}

async fn admin_remove_user_from_group(pools: &UserPools, input: &Input) -> Answer {
    pools.admin_remove_user_from_group(&pool_id(input)?, &username(input, "Username")?, &group_name(input)?).await?;
    empty()
}

async fn admin_list_groups_for_user(pools: &UserPools, input: &Input) -> Answer {
    let groups = pools.admin_list_groups_for_user(&pool_id(input)?, &username(input, "Username")?).await?;
    Ok(json!({"Groups": groups.iter().map(group_json).collect::<Vec<_>>()}))
}

async fn list_users_in_group(pools: &UserPools, input: &Input) -> Answer {
    let (users, next) = pools
        .list_users_in_group(
            &pool_id(input)?,
            &group_name(input)?,
            input.opt_i64("Limit")?,
            input.opt_string("NextToken")?.as_deref(),
        )
        .await?;
    Ok(with_next(json!({"Users": users.iter().map(user_json).collect::<Vec<_>>()}), "NextToken", next))
}

// ---- members ----

/// What Cognito requires of a name member: its longest length and the pattern it must match.
struct NameRule {
    member: &'static str,
    max_length: usize,
    pattern: &'static str,
}

const POOL_ID_RULE: NameRule = NameRule { member: "userPoolId", max_length: 55, pattern: r"[\w-]+_[0-9a-zA-Z]+" };
const CLIENT_ID_RULE: NameRule = NameRule { member: "clientId", max_length: 128, pattern: r"[\w+]+" };
const USERNAME_RULE: NameRule =
    NameRule { member: "username", max_length: 128, pattern: r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+" };
const GROUP_NAME_RULE: NameRule =
    NameRule { member: "groupName", max_length: 128, pattern: r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+" };

/// A name that does not have its kind's shape, worded as Cognito words it: the length bound it breaks,
/// or the pattern it must match, with the value shown back.
fn invalid_member(rule: &NameRule, value: &str, error: &s3cognito_types::InvalidName) -> ApiError {
    let constraint = match error.violation() {
        Violation::Empty => "Member must have length greater than or equal to 1".to_owned(),
        Violation::TooLong => format!("Member must have length less than or equal to {}", rule.max_length),
        Violation::Shape => format!("Member must satisfy regular expression pattern: {}", rule.pattern),
    };
    ApiError::invalid_parameter(crate::error::one_validation_error(rule.member, crate::error::Shown::Value(value), &constraint))
}

/// A name member, parsed into its type.
fn name<T>(input: &Input, member: &str, rule: &NameRule, parse: fn(String) -> Result<T, s3cognito_types::InvalidName>) -> Result<T, ApiError> {
    let value = input.string(member)?;
    parse(value.clone()).map_err(|error| invalid_member(rule, &value, &error))
}

fn pool_id(input: &Input) -> Result<UserPoolId, ApiError> {
    name(input, "UserPoolId", &POOL_ID_RULE, UserPoolId::parse)
}

fn client_id(input: &Input) -> Result<ClientId, ApiError> {
    name(input, "ClientId", &CLIENT_ID_RULE, ClientId::parse)
}

fn username(input: &Input, member: &str) -> Result<Username, ApiError> {
    name(input, member, &USERNAME_RULE, Username::parse)
}

fn group_name(input: &Input) -> Result<GroupName, ApiError> {
    name(input, "GroupName", &GROUP_NAME_RULE, GroupName::parse)
}

fn pool_config(input: &Input) -> Result<PoolConfig, ApiError> {
    let mut config = PoolConfig::default();
    for (member, target) in [
        ("UsernameAttributes", &mut config.username_attributes),
        ("AliasAttributes", &mut config.alias_attributes),
    ] {
        let attributes = input.opt_strings(member)?.unwrap_or_default();
        if let Some(other) = attributes.iter().find(|attribute| *attribute != "email") {
            return Err(ApiError::invalid_parameter(format!(
                "{member} value {other} is not supported by this server; only email is"
            )));
        }
        *target = attributes;
    }
    if !config.username_attributes.is_empty() && !config.alias_attributes.is_empty() {
        return Err(ApiError::invalid_parameter("Only one of AliasAttributes or UsernameAttributes can be set"));
    }
    if let Some(policy) = input.object("Policies")?.and_then(|policies| policies.object("PasswordPolicy").transpose()) {
        let policy = policy?;
        let defaults = PasswordPolicy::default();
        config.password_policy = PasswordPolicy {
            minimum_length: policy.opt_i64("MinimumLength")?.map_or(defaults.minimum_length, |v| v.clamp(0, 1000) as u32),
            require_uppercase: policy.opt_bool("RequireUppercase")?.unwrap_or(false),
            require_lowercase: policy.opt_bool("RequireLowercase")?.unwrap_or(false),
            require_numbers: policy.opt_bool("RequireNumbers")?.unwrap_or(false),
            require_symbols: policy.opt_bool("RequireSymbols")?.unwrap_or(false),
            temporary_password_validity_days: policy
                .opt_i64("TemporaryPasswordValidityDays")?
                .map_or(defaults.temporary_password_validity_days, |v| v.clamp(0, 365) as u32),
        };
    }
    if let Some(attributes) = input.opt_strings("AutoVerifiedAttributes")? {
        config.auto_verified_attributes = attributes;
    }
    if let Some(mfa) = input.opt_string("MfaConfiguration")? && mfa != "OFF" {
        return Err(ApiError::invalid_parameter(
            "A pool is created with MfaConfiguration OFF: turn on software token MFA with SetUserPoolMfaConfig once it exists.",
        ));
    }
    if let Some(protection) = input.opt_string("DeletionProtection")? {
        config.deletion_protection = protection;
    }
    if let Some(admin) = input.object("AdminCreateUserConfig")? {
        config.allow_admin_create_user_only = admin.opt_bool("AllowAdminCreateUserOnly")?.unwrap_or(false);
        if let Some(template) = admin.object("InviteMessageTemplate")? {
            config.invite_subject = template.opt_string("EmailSubject")?;
            config.invite_message = template.opt_string("EmailMessage")?;
        }
    }
    config.tags = input.string_map("UserPoolTags")?;
    Ok(config)
}

fn client_config(input: &Input, defaults: ClientConfig) -> Result<ClientConfig, ApiError> {
    let units = input.object("TokenValidityUnits")?;
    let unit = |name: &str, default: TimeUnit| -> Result<TimeUnit, ApiError> {
        match units.as_ref().map(|units| units.opt_string(name)).transpose()?.flatten() {
            None => Ok(default),
            Some(text) => TimeUnit::parse(&text)
                .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid time unit {text} for {name}"))),
        }
    };
    let validity = |member: &str, unit_name: &str, default: Validity| -> Result<Validity, ApiError> {
        let unit = unit(unit_name, default.unit)?;
        Ok(match input.opt_i64(member)? {
            Some(amount) => Validity { amount, unit },
            None if unit == default.unit => default,
            None => Validity { amount: default.unit.seconds(default.amount) / unit.seconds(1), unit },
        })
    };
    Ok(ClientConfig {
        explicit_auth_flows: input.opt_strings("ExplicitAuthFlows")?.unwrap_or(defaults.explicit_auth_flows),
        access_token_validity: validity("AccessTokenValidity", "AccessToken", defaults.access_token_validity)?,
        id_token_validity: validity("IdTokenValidity", "IdToken", defaults.id_token_validity)?,
        refresh_token_validity: validity("RefreshTokenValidity", "RefreshToken", defaults.refresh_token_validity)?,
        prevent_user_existence_errors: input
            .opt_string("PreventUserExistenceErrors")?
            .unwrap_or(defaults.prevent_user_existence_errors),
        enable_token_revocation: input.opt_bool("EnableTokenRevocation")?.unwrap_or(true),
        auth_session_validity_minutes: input
            .opt_i64("AuthSessionValidity")?
            .unwrap_or(defaults.auth_session_validity_minutes),
        read_attributes: input.opt_strings("ReadAttributes")?.unwrap_or_default(),
        write_attributes: input.opt_strings("WriteAttributes")?.unwrap_or_default(),
    })
}

// ---- answers ----

fn with_next(mut answer: Value, member: &str, next: Option<String>) -> Value {
    if let Some(next) = next {
        answer[member] = json!(next);
    }
    answer
}

fn delivery_json(delivery: &CodeDelivery) -> Value {
    json!({"Destination": delivery.destination, "DeliveryMedium": delivery.medium, "AttributeName": delivery.attribute})
}

fn attributes_json(user: &UserView) -> Value {
    Value::Array(user.attributes.iter().map(|(name, value)| json!({"Name": name, "Value": value})).collect())
}

fn user_json(user: &UserView) -> Value {
    json!({
        "Username": user.username,
        "Attributes": attributes_json(user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    })
}

fn tokens_json(tokens: &Tokens) -> Value {
    let mut result = json!({
        "AccessToken": tokens.access_token,
        "ExpiresIn": tokens.expires_in,
        "TokenType": "Bearer",
        "IdToken": tokens.id_token,
    });
    if let Some(refresh) = &tokens.refresh_token {
        result["RefreshToken"] = json!(refresh);
    }
    result
}

fn outcome_json(outcome: AuthOutcome) -> Value {
    match outcome {
        AuthOutcome::Tokens(tokens) => json!({"ChallengeParameters": {}, "AuthenticationResult": tokens_json(&tokens)}),
        AuthOutcome::Challenge { name, session, parameters } => {
            let mut answer = json!({"ChallengeName": name.as_str(), "ChallengeParameters": parameters});
            if let Some(session) = session {
                answer["Session"] = json!(session);
            }
            answer
        }
    }
}

fn pool_json(pool: &PoolView) -> Value {
    let policy = &pool.config.password_policy;
    json!({
        "Id": pool.id,
        "Name": pool.name,
        "Arn": pool.arn,
        "Policies": {"PasswordPolicy": {
            "MinimumLength": policy.minimum_length,
            "RequireUppercase": policy.require_uppercase,
            "RequireLowercase": policy.require_lowercase,
            "RequireNumbers": policy.require_numbers,
            "RequireSymbols": policy.require_symbols,
            "TemporaryPasswordValidityDays": policy.temporary_password_validity_days,
        }},
        "DeletionProtection": pool.config.deletion_protection,
        "LambdaConfig": {},
        "LastModifiedDate": pool.updated_at,
        "CreationDate": pool.created_at,
        "AutoVerifiedAttributes": pool.config.auto_verified_attributes,
        "UsernameAttributes": pool.config.username_attributes,
        "AliasAttributes": pool.config.alias_attributes,
        "MfaConfiguration": pool.config.mfa_configuration.as_str(),
        "EstimatedNumberOfUsers": 0,
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": pool.config.allow_admin_create_user_only},
        "UserPoolTags": pool.config.tags,
    })
}

fn client_json(client: &ClientView) -> Value {
    let config = &client.config;
    let mut answer = json!({
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.client_id,
        "LastModifiedDate": client.updated_at,
        "CreationDate": client.created_at,
        "RefreshTokenValidity": config.refresh_token_validity.amount,
        "AccessTokenValidity": config.access_token_validity.amount,
        "IdTokenValidity": config.id_token_validity.amount,
        "TokenValidityUnits": {
            "AccessToken": config.access_token_validity.unit.as_str(),
            "IdToken": config.id_token_validity.unit.as_str(),
            "RefreshToken": config.refresh_token_validity.unit.as_str(),
        },
        "ExplicitAuthFlows": config.explicit_auth_flows,
        "PreventUserExistenceErrors": config.prevent_user_existence_errors,
        "EnableTokenRevocation": config.enable_token_revocation,
        "AuthSessionValidity": config.auth_session_validity_minutes,
        "AllowedOAuthFlowsUserPoolClient": false,
    });
    if let Some(secret) = &client.secret {
        answer["ClientSecret"] = json!(secret);
    }
    if !config.read_attributes.is_empty() {
        answer["ReadAttributes"] = json!(config.read_attributes);
    }
    if !config.write_attributes.is_empty() {
        answer["WriteAttributes"] = json!(config.write_attributes);
    }
    answer
}

fn group_json(group: &GroupView) -> Value {
    let mut answer = json!({
        "GroupName": group.name,
        "UserPoolId": group.pool_id,
        "LastModifiedDate": group.updated_at,
        "CreationDate": group.created_at,
    });
    if let Some(description) = &group.description {
        answer["Description"] = json!(description);
    }
    if let Some(role_arn) = &group.role_arn {
        answer["RoleArn"] = json!(role_arn);
    }
    if let Some(precedence) = group.precedence {
        answer["Precedence"] = json!(precedence);
    }
    answer
}
