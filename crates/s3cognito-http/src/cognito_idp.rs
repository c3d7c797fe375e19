//! cognito-idp's operations: each parses its members, calls one service function, encodes the answer.

use axum::http::StatusCode;
use s3cognito_service::limits::AddressBudget;
use s3cognito_service::user_pool::config::{ClientConfig, PasswordPolicy, PoolConfig, TimeUnit, Validity};
use s3cognito_service::user_pool::{
    AuthOutcome, AuthRequest, ChallengeAnswer, ClientSettings, ClientView, CodeDelivery, GroupView, PoolSettings,
    PoolView, Tokens, UserView,
};
use s3cognito_types::{ClientId, GroupName, UserPoolId, Username};
use serde_json::{Value, json};

use crate::HttpState;
use crate::aws_json::RawRequest;
use crate::error::ApiError;
use crate::input::Input;

/// Operations any client may call without AWS credentials; everything else must be SigV4-signed.
const PUBLIC_OPERATIONS: &[&str] = &[
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "GetTokensFromRefreshToken",
    "GetUser",
    "UpdateUserAttributes",
    "VerifyUserAttribute",
    "ChangePassword",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "GlobalSignOut",
    "RevokeToken",
];

/// Operations only an administrator may call, SigV4-signed.
const ADMIN_OPERATIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "ListUserPools",
    "DeleteUserPool",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "ListUserPoolClients",
    "AdminCreateUser",
    "AdminGetUser",
    "ListUsers",
    "AdminDeleteUser",
    "AdminConfirmSignUp",
    "AdminSetUserPassword",
    "AdminResetUserPassword",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminUpdateUserAttributes",
    "AdminDeleteUserAttributes",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "AdminUserGlobalSignOut",
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
    "ListGroups",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "ListUsersInGroup",
];

fn unknown_operation(operation: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "UnknownOperationException", format!("Unknown operation {operation}"))
}

pub(crate) async fn handle(state: &HttpState, operation: &str, request: &RawRequest) -> Result<Value, ApiError> {
    // As AWS does, an operation that does not exist is named as such before any signature is checked.
    let public = PUBLIC_OPERATIONS.contains(&operation);
    if !public && !ADMIN_OPERATIONS.contains(&operation) {
        return Err(unknown_operation(operation));
    }
    if let Some(source) = request.source {
        let budget = match operation {
            "InitiateAuth" | "RespondToAuthChallenge" => Some(AddressBudget::SignIn),
            "SignUp" | "ConfirmSignUp" | "ResendConfirmationCode" | "ForgotPassword" | "ConfirmForgotPassword" => {
                Some(AddressBudget::Account)
            }
            _ => None,
        };
        if let Some(budget) = budget {
            state.app.limiter.address(budget, source).await?;
        }
    }
    let principal = if public {
        None
    } else {
        Some(state.app.access.authenticate(&request.signed(), "cognito-idp").await.map_err(|error| {
            ApiError::from(s3cognito_service::ServiceError::Authentication(error))
        })?)
    };
    let input = Input::parse(&request.body)?;
    if let Some(principal) = &principal {
        // Temporary credentials reach admin operations only as far as their role's policies allow.
        let resource = match input.opt_string("UserPoolId")? {
            Some(pool) => format!(
                "arn:aws:cognito-idp:{}:{}:userpool/{pool}",
                state.app.region,
                state.app.identity.settings().account_id
            ),
            None => "*".to_owned(),
        };
        state.app.identity.authorize(principal, &format!("cognito-idp:{operation}"), &resource, &[]).await?;
    }
    let pools = &state.app.user_pools;
    let empty = || Ok(json!({}));
    match operation {
        // ---- public ----
        "SignUp" => {
            let outcome = pools
                .sign_up(
                    &client_id(&input)?,
                    input.opt_string("SecretHash")?.as_deref(),
                    username(&input, "Username")?,
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
        "ConfirmSignUp" => {
            pools
                .confirm_sign_up(
                    &client_id(&input)?,
                    input.opt_string("SecretHash")?.as_deref(),
                    &username(&input, "Username")?,
                    &input.string("ConfirmationCode")?,
                )
                .await?;
            empty()
        }
        "ResendConfirmationCode" => {
            let delivery = pools
                .resend_confirmation_code(
                    &client_id(&input)?,
                    input.opt_string("SecretHash")?.as_deref(),
                    &username(&input, "Username")?,
                )
                .await?;
            Ok(json!({"CodeDeliveryDetails": delivery_json(&delivery)}))
        }
        "InitiateAuth" | "AdminInitiateAuth" => {
            let admin_pool = (operation == "AdminInitiateAuth").then(|| pool_id(&input)).transpose()?;
            let request = AuthRequest {
                client_id: client_id(&input)?,
                flow: input.string("AuthFlow")?,
                parameters: input.string_map("AuthParameters")?,
                admin_pool,
            };
            Ok(outcome_json(pools.initiate_auth(request).await?))
        }
        "RespondToAuthChallenge" | "AdminRespondToAuthChallenge" => {
            let admin_pool = (operation == "AdminRespondToAuthChallenge").then(|| pool_id(&input)).transpose()?;
            let answer = ChallengeAnswer {
                client_id: client_id(&input)?,
                challenge_name: input.string("ChallengeName")?,
                session: input.opt_string("Session")?,
                responses: input.string_map("ChallengeResponses")?,
                admin_pool,
            };
            Ok(outcome_json(pools.respond_to_auth_challenge(answer).await?))
        }
        "GetTokensFromRefreshToken" => {
            let tokens = pools
                .get_tokens_from_refresh_token(
                    &client_id(&input)?,
                    input.opt_string("ClientSecret")?.as_deref(),
                    &input.string("RefreshToken")?,
                )
                .await?;
            Ok(json!({"AuthenticationResult": tokens_json(&tokens)}))
        }
        "GetUser" => {
            let user = pools.get_user(&input.string("AccessToken")?).await?;
            Ok(json!({"Username": user.username, "UserAttributes": attributes_json(&user)}))
        }
        "UpdateUserAttributes" => {
            let deliveries =
                pools.update_user_attributes(&input.string("AccessToken")?, input.attributes("UserAttributes")?).await?;
            Ok(json!({"CodeDeliveryDetailsList": deliveries.iter().map(delivery_json).collect::<Vec<_>>()}))
        }
        "VerifyUserAttribute" => {
            pools
                .verify_user_attribute(&input.string("AccessToken")?, &input.string("AttributeName")?, &input.string("Code")?)
                .await?;
            empty()
        }
        "ChangePassword" => {
            pools
                .change_password(
                    &input.string("AccessToken")?,
                    &input.string("PreviousPassword")?,
                    &input.string("ProposedPassword")?,
                )
                .await?;
            empty()
        }
        "ForgotPassword" => {
            let delivery = pools
                .forgot_password(
                    &client_id(&input)?,
                    input.opt_string("SecretHash")?.as_deref(),
                    &username(&input, "Username")?,
                )
                .await?;
            Ok(json!({"CodeDeliveryDetails": delivery_json(&delivery)}))
        }
        "ConfirmForgotPassword" => {
            pools
                .confirm_forgot_password(
                    &client_id(&input)?,
                    input.opt_string("SecretHash")?.as_deref(),
                    &username(&input, "Username")?,
                    &input.string("ConfirmationCode")?,
                    &input.string("Password")?,
                )
                .await?;
            empty()
        }
        "GlobalSignOut" => {
            pools.global_sign_out(&input.string("AccessToken")?).await?;
            empty()
        }
        "RevokeToken" => {
            pools
                .revoke_token(&client_id(&input)?, input.opt_string("ClientSecret")?.as_deref(), &input.string("Token")?)
                .await?;
            empty()
        }

        // ---- pools and clients ----
        "CreateUserPool" => {
            let settings = PoolSettings { name: input.string("PoolName")?, config: pool_config(&input)? };
            let pool = pools.create_user_pool(&state.app.region, settings).await?;
            Ok(json!({"UserPool": pool_json(&pool)}))
        }
        "DescribeUserPool" => Ok(json!({"UserPool": pool_json(&pools.describe_user_pool(&pool_id(&input)?).await?)})),
        "ListUserPools" => {
            let max_results = input.opt_i64("MaxResults")?.ok_or_else(|| {
                ApiError::invalid_parameter(
                    "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
                )
            })?;
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
        "DeleteUserPool" => {
            pools.delete_user_pool(&pool_id(&input)?).await?;
            empty()
        }
        "CreateUserPoolClient" => {
            let settings = ClientSettings {
                name: input.string("ClientName")?,
                generate_secret: input.opt_bool("GenerateSecret")?.unwrap_or(false),
                config: client_config(&input, ClientConfig::default())?,
            };
            let client = pools.create_user_pool_client(&pool_id(&input)?, settings).await?;
            Ok(json!({"UserPoolClient": client_json(&client)}))
        }
        "DescribeUserPoolClient" => {
            let client = pools.describe_user_pool_client(&pool_id(&input)?, &client_id(&input)?).await?;
            Ok(json!({"UserPoolClient": client_json(&client)}))
        }
        "UpdateUserPoolClient" => {
            let (pool, client) = (pool_id(&input)?, client_id(&input)?);
            // Like Cognito, members left out of an update go back to their defaults.
            let config = client_config(&input, ClientConfig::default())?;
            let client = pools.update_user_pool_client(&pool, &client, input.opt_string("ClientName")?, config).await?;
            Ok(json!({"UserPoolClient": client_json(&client)}))
        }
        "DeleteUserPoolClient" => {
            pools.delete_user_pool_client(&pool_id(&input)?, &client_id(&input)?).await?;
            empty()
        }
        "ListUserPoolClients" => {
            let (list, next) = pools
                .list_user_pool_clients(&pool_id(&input)?, input.opt_i64("MaxResults")?, input.opt_string("NextToken")?.as_deref())
                .await?;
            let items: Vec<Value> = list
                .iter()
                .map(|client| json!({"ClientId": client.client_id, "UserPoolId": client.pool_id, "ClientName": client.name}))
                .collect();
            Ok(with_next(json!({"UserPoolClients": items}), "NextToken", next))
        }

        // ---- users ----
        "AdminCreateUser" => {
            let user = pools
                .admin_create_user(
                    &pool_id(&input)?,
                    username(&input, "Username")?,
                    input.attributes("UserAttributes")?,
                    input.opt_string("TemporaryPassword")?.as_deref(),
                    input.opt_string("MessageAction")?.as_deref(),
                )
                .await?;
            Ok(json!({"User": user_json(&user)}))
        }
        "AdminGetUser" => {
            let user = pools.admin_get_user(&pool_id(&input)?, &username(&input, "Username")?).await?;
            Ok(json!({
                "Username": user.username,
                "UserAttributes": attributes_json(&user),
                "UserCreateDate": user.created_at,
                "UserLastModifiedDate": user.updated_at,
                "Enabled": user.enabled,
                "UserStatus": user.status,
            }))
        }
        "ListUsers" => {
            let page = pools
                .list_users(
                    &pool_id(&input)?,
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
                                .filter(|attribute| {
                                    attribute["Name"].as_str().is_some_and(|name| wanted.iter().any(|w| w == name))
                                })
                                .cloned()
                                .collect(),
                        );
                    }
                    value
                })
                .collect();
            Ok(with_next(json!({"Users": users}), "PaginationToken", page.next))
        }
        "AdminDeleteUser" => {
            pools.admin_delete_user(&pool_id(&input)?, &username(&input, "Username")?).await?;
            empty()
        }
        "AdminConfirmSignUp" => {
            pools.admin_confirm_sign_up(&pool_id(&input)?, &username(&input, "Username")?).await?;
            empty()
        }
        "AdminSetUserPassword" => {
            pools
                .admin_set_user_password(
                    &pool_id(&input)?,
                    &username(&input, "Username")?,
                    &input.string("Password")?,
                    input.opt_bool("Permanent")?.unwrap_or(false),
                )
                .await?;
            empty()
        }
        "AdminResetUserPassword" => {
            pools.admin_reset_user_password(&pool_id(&input)?, &username(&input, "Username")?).await?;
            empty()
        }
        "AdminDisableUser" | "AdminEnableUser" => {
            let enabled = operation == "AdminEnableUser";
            pools.admin_set_enabled(&pool_id(&input)?, &username(&input, "Username")?, enabled).await?;
            empty()
        }
        "AdminUpdateUserAttributes" => {
            pools
                .admin_update_user_attributes(
                    &pool_id(&input)?,
                    &username(&input, "Username")?,
                    input.attributes("UserAttributes")?,
                )
                .await?;
            empty()
        }
        "AdminDeleteUserAttributes" => {
            pools
                .admin_delete_user_attributes(
                    &pool_id(&input)?,
                    &username(&input, "Username")?,
                    input.opt_strings("UserAttributeNames")?.unwrap_or_default(),
                )
                .await?;
            empty()
        }
        "AdminUserGlobalSignOut" => {
            pools.admin_user_global_sign_out(&pool_id(&input)?, &username(&input, "Username")?).await?;
            empty()
        }

        // ---- groups ----
        "CreateGroup" => {
            let group = pools
                .create_group(
                    &pool_id(&input)?,
                    group_name(&input)?,
                    input.opt_string("Description")?,
                    input.opt_string("RoleArn")?,
                    input.opt_i64("Precedence")?,
                )
                .await?;
            Ok(json!({"Group": group_json(&group)}))
        }
        "GetGroup" => Ok(json!({"Group": group_json(&pools.get_group(&pool_id(&input)?, &group_name(&input)?).await?)})),
        "UpdateGroup" => {
            let group = pools
                .update_group(
                    &pool_id(&input)?,
                    &group_name(&input)?,
                    input.opt_string("Description")?,
                    input.opt_string("RoleArn")?,
                    input.opt_i64("Precedence")?,
                )
                .await?;
            Ok(json!({"Group": group_json(&group)}))
        }
        "DeleteGroup" => {
            pools.delete_group(&pool_id(&input)?, &group_name(&input)?).await?;
            empty()
        }
        "ListGroups" => {
            let (groups, next) = pools
                .list_groups(&pool_id(&input)?, input.opt_i64("Limit")?, input.opt_string("NextToken")?.as_deref())
                .await?;
            Ok(with_next(json!({"Groups": groups.iter().map(group_json).collect::<Vec<_>>()}), "NextToken", next))
        }
        "AdminAddUserToGroup" => {
            pools.admin_add_user_to_group(&pool_id(&input)?, &username(&input, "Username")?, &group_name(&input)?).await?;
            empty()
        }
        "AdminRemoveUserFromGroup" => {
            pools
                .admin_remove_user_from_group(&pool_id(&input)?, &username(&input, "Username")?, &group_name(&input)?)
                .await?;
            empty()
        }
        "AdminListGroupsForUser" => {
            let groups = pools.admin_list_groups_for_user(&pool_id(&input)?, &username(&input, "Username")?).await?;
            Ok(json!({"Groups": groups.iter().map(group_json).collect::<Vec<_>>()}))
        }
        "ListUsersInGroup" => {
            let (users, next) = pools
                .list_users_in_group(
                    &pool_id(&input)?,
                    &group_name(&input)?,
                    input.opt_i64("Limit")?,
                    input.opt_string("NextToken")?.as_deref(),
                )
                .await?;
            Ok(with_next(json!({"Users": users.iter().map(user_json).collect::<Vec<_>>()}), "NextToken", next))
        }
        _ => Err(unknown_operation(operation)),
    }
}

// ---- members ----

fn invalid_member(member: &str, error: s3cognito_types::InvalidName) -> ApiError {
    ApiError::invalid_parameter(format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: {error}"
    ))
}

fn pool_id(input: &Input) -> Result<UserPoolId, ApiError> {
    UserPoolId::parse(input.string("UserPoolId")?).map_err(|error| invalid_member("userPoolId", error))
}

fn client_id(input: &Input) -> Result<ClientId, ApiError> {
    ClientId::parse(input.string("ClientId")?).map_err(|error| invalid_member("clientId", error))
}

fn username(input: &Input, member: &str) -> Result<Username, ApiError> {
    Username::parse(input.string(member)?).map_err(|error| invalid_member("username", error))
}

fn group_name(input: &Input) -> Result<GroupName, ApiError> {
    GroupName::parse(input.string("GroupName")?).map_err(|error| invalid_member("groupName", error))
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
        return Err(ApiError::invalid_parameter("MfaConfiguration must be OFF on this server"));
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
        "UserStatus": user.status,
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
            let mut answer = json!({"ChallengeName": name, "ChallengeParameters": parameters});
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
        "MfaConfiguration": pool.config.mfa_configuration,
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
