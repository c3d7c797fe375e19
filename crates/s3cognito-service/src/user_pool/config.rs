//! The settings of pools and app clients as the use cases see them, with Cognito's defaults and its
//! password policy. How they are stored is `stored`'s concern, so these types change without a migration.

use crate::error::{InvalidMember, Result, ServiceError};

/// A pool's password rules, Cognito's defaults unless the pool says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

/// The characters Cognito counts as symbols.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

impl PoolConfig {
    /// Whether the email is the sign-in name (rather than a username).
    pub fn email_is_username(&self) -> bool {
        self.username_attributes.iter().any(|attribute| attribute == "email")
    }

    /// Whether a verified email also signs in.
    pub fn email_is_alias(&self) -> bool {
        self.alias_attributes.iter().any(|attribute| attribute == "email")
    }
}

impl PasswordPolicy {
    /// Checks a proposed password, answering with Cognito's own wording.
    pub fn check(&self, password: &str) -> Result<()> {
        let invalid = |reason: &str| {
            Err(ServiceError::InvalidPassword(format!("Password did not conform with policy: {reason}")))
        };
        if password.chars().count() > 256
            || password.starts_with(char::is_whitespace)
            || password.ends_with(char::is_whitespace)
            || password.is_empty()
        {
            return Err(InvalidMember::error(
                "password",
                None,
                "Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$",
            ));
        }
        if (password.chars().count() as u32) < self.minimum_length {
            return invalid("Password not long enough");
        }
        if self.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
            return invalid("Password must have lowercase characters");
        }
        if self.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
            return invalid("Password must have uppercase characters");
        }
        if self.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            return invalid("Password must have numeric characters");
        }
        if self.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
            return invalid("Password must have symbol characters");
        }
        Ok(())
    }

    /// A temporary password that satisfies the policy, for AdminCreateUser without one.
    pub fn generate_temporary(&self) -> String {
        let length = self.minimum_length.max(12) as usize;
        let mut password = s3cognito_crypto::random::random_alphanumeric(length - 3);
        password.push_str(&s3cognito_crypto::random::random_digits(1));
        password.insert(0, 'A');
        password.push('a');
        password.push('!');
        password
    }
}

/// A pool's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    pub password_policy: PasswordPolicy,
    /// Attributes verified by a mailed code at sign-up (Cognito's AutoVerifiedAttributes).
    pub auto_verified_attributes: Vec<String>,
    /// `["email"]`: users sign up and in with their email; the username is a generated id.
    pub username_attributes: Vec<String>,
    /// `["email"]`: users have a username and may also sign in with their verified email.
    pub alias_attributes: Vec<String>,
    pub mfa_configuration: MfaConfiguration,
    /// Whether users may set up a software token (SetUserPoolMfaConfig's `SoftwareTokenMfaConfiguration`).
    pub software_token_mfa: bool,
    pub allow_admin_create_user_only: bool,
    /// `ACTIVE` refuses DeleteUserPool. A string because any value has always been accepted and echoed:
    /// an enum would refuse, at CreateUserPool, values that are taken today.
    pub deletion_protection: String,
    pub email_subject: Option<String>,
    pub email_message: Option<String>,
    pub invite_subject: Option<String>,
    pub invite_message: Option<String>,
    pub tags: std::collections::BTreeMap<String, String>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            password_policy: PasswordPolicy::default(),
            auto_verified_attributes: Vec::new(),
            username_attributes: Vec::new(),
            alias_attributes: Vec::new(),
            mfa_configuration: MfaConfiguration::Off,
            software_token_mfa: false,
            allow_admin_create_user_only: false,
            deletion_protection: "INACTIVE".to_owned(),
            email_subject: None,
            email_message: None,
            invite_subject: None,
            invite_message: None,
            tags: Default::default(),
        }
    }
}

/// Whether sign-in asks for a second factor: never (`OFF`), of users who set one up (`OPTIONAL`), or of
/// every user, who sets one up at their next sign-in (`ON`). The only factor is a software token (TOTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaConfiguration {
    Off,
    On,
    Optional,
}

impl MfaConfiguration {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaConfiguration::Off => "OFF",
            MfaConfiguration::On => "ON",
            MfaConfiguration::Optional => "OPTIONAL",
        }
    }

    pub fn parse(value: &str) -> Option<MfaConfiguration> {
        [MfaConfiguration::Off, MfaConfiguration::On, MfaConfiguration::Optional].into_iter().find(|mfa| mfa.as_str() == value)
    }
}

/// The unit a token validity is expressed in, as Cognito's `TokenValidityUnits` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub fn parse(value: &str) -> Option<TimeUnit> {
        match value {
            "seconds" => Some(TimeUnit::Seconds),
            "minutes" => Some(TimeUnit::Minutes),
            "hours" => Some(TimeUnit::Hours),
            "days" => Some(TimeUnit::Days),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
        }
    }

    pub fn seconds(self, amount: i64) -> i64 {
        amount
            * match self {
                TimeUnit::Seconds => 1,
                TimeUnit::Minutes => 60,
                TimeUnit::Hours => 3600,
                TimeUnit::Days => 86_400,
            }
    }
}

/// A token lifetime as configured: an amount and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub amount: i64,
    pub unit: TimeUnit,
}

impl Validity {
    pub fn seconds(self) -> i64 {
        self.unit.seconds(self.amount)
    }

    /// Cognito's bounds: access and ID tokens 5 minutes to 1 day, refresh tokens 1 hour to 10 years.
    pub fn check(self, name: &str, min_seconds: i64, max_seconds: i64) -> Result<Self> {
        let seconds = self.seconds();
        if self.amount <= 0 || seconds < min_seconds || seconds > max_seconds {
            return Err(ServiceError::Invalid(format!(
                "Invalid range for token validity: {name} must be between {min_seconds} and {max_seconds} seconds."
            )));
        }
        Ok(self)
    }
}

/// The auth flows Cognito enables on a client created without `ExplicitAuthFlows`.
pub const DEFAULT_AUTH_FLOWS: &[&str] = &["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"];

/// Every flow a client may name.
pub const KNOWN_AUTH_FLOWS: &[&str] = &[
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];

/// An app client's settings.
///
/// The auth flows and `prevent_user_existence_errors` are closed sets kept as strings: the service
/// checks them after the pool is found and in a set order (flows, validities, then this), and parsing
/// them where requests come in would answer some invalid requests with a different error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub explicit_auth_flows: Vec<String>,
    pub access_token_validity: Validity,
    pub id_token_validity: Validity,
    pub refresh_token_validity: Validity,
    pub prevent_user_existence_errors: String,
    pub enable_token_revocation: bool,
    pub auth_session_validity_minutes: i64,
    pub read_attributes: Vec<String>,
    pub write_attributes: Vec<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            explicit_auth_flows: DEFAULT_AUTH_FLOWS.iter().map(|flow| flow.to_string()).collect(),
            access_token_validity: Validity { amount: 60, unit: TimeUnit::Minutes },
            id_token_validity: Validity { amount: 60, unit: TimeUnit::Minutes },
            refresh_token_validity: Validity { amount: 30, unit: TimeUnit::Days },
            prevent_user_existence_errors: "ENABLED".to_owned(),
            enable_token_revocation: true,
            auth_session_validity_minutes: 3,
            read_attributes: Vec::new(),
            write_attributes: Vec::new(),
        }
    }
}

/// A way of signing in a client's `ExplicitAuthFlows` may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFlow {
    /// USER_SRP_AUTH.
    UserSrp,
    /// USER_PASSWORD_AUTH.
    UserPassword,
    /// ADMIN_USER_PASSWORD_AUTH and its legacy name ADMIN_NO_SRP_AUTH, on AdminInitiateAuth.
    AdminUserPassword,
}

impl SignInFlow {
    /// The `ALLOW_` value that allows the flow.
    fn allow_value(self) -> &'static str {
        match self {
            SignInFlow::UserSrp => "ALLOW_USER_SRP_AUTH",
            SignInFlow::UserPassword => "ALLOW_USER_PASSWORD_AUTH",
            SignInFlow::AdminUserPassword => "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        }
    }

    /// What Cognito answers when a client does not allow the flow, word for word.
    pub fn refusal(self) -> &'static str {
        match self {
            SignInFlow::UserSrp => "USER_SRP_AUTH is not enabled for the client.",
            SignInFlow::UserPassword => "USER_PASSWORD_AUTH flow not enabled for this client",
            SignInFlow::AdminUserPassword => "Auth flow not enabled for this client",
        }
    }
}

/// The legacy `ExplicitAuthFlows` values, from before Cognito's `ALLOW_` values: each turned on one flow
/// beside SRP and refresh, which were always on.
const LEGACY_AUTH_FLOWS: &[&str] = &["ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"];

impl ClientConfig {
    /// Whether the client allows `flow`, as Cognito reads `ExplicitAuthFlows`: a list of `ALLOW_` values
    /// allows exactly what it names; a list of legacy values (or none at all) leaves SRP and refresh
    /// allowed, and each legacy value adds its own flow (`ADMIN_NO_SRP_AUTH` the admin password flow,
    /// `USER_PASSWORD_AUTH` the user password flow). Refresh is not gated: a client that signs in must be
    /// able to stay signed in.
    pub fn allows(&self, flow: SignInFlow) -> bool {
        let flows = &self.explicit_auth_flows;
        let named = |value: &str| flows.iter().any(|given| given == value);
        if flows.iter().any(|given| given.starts_with("ALLOW_")) {
            // A mixed list can only be one an earlier release stored, which read legacy values as their
            // ALLOW_ twins; it keeps that meaning.
            let legacy_twin = match flow {
                SignInFlow::UserPassword => "USER_PASSWORD_AUTH",
                SignInFlow::AdminUserPassword => "ADMIN_NO_SRP_AUTH",
                SignInFlow::UserSrp => "ALLOW_USER_SRP_AUTH",
            };
            return named(flow.allow_value()) || named(legacy_twin);
        }
        match flow {
            SignInFlow::UserSrp => true,
            SignInFlow::UserPassword => named("USER_PASSWORD_AUTH"),
            SignInFlow::AdminUserPassword => named("ADMIN_NO_SRP_AUTH"),
        }
    }

    /// Whether the list mixes legacy values with `ALLOW_` values, which Cognito refuses.
    pub fn mixes_legacy_and_allow_flows(&self) -> bool {
        let flows = &self.explicit_auth_flows;
        flows.iter().any(|flow| flow.starts_with("ALLOW_")) && flows.iter().any(|flow| LEGACY_AUTH_FLOWS.contains(&flow.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(flows: &[&str]) -> ClientConfig {
        ClientConfig { explicit_auth_flows: flows.iter().map(|flow| flow.to_string()).collect(), ..ClientConfig::default() }
    }

    #[test]
    fn auth_flows_are_read_as_cognito_reads_legacy_and_allow_values() {
        use SignInFlow::*;
        // (flows, [SRP, user password, admin password])
        let cases: &[(&[&str], [bool; 3])] = &[
            (DEFAULT_AUTH_FLOWS, [true, false, false]),
            (&[], [true, false, false]),
            (&["ADMIN_NO_SRP_AUTH"], [true, false, true]),
            (&["USER_PASSWORD_AUTH"], [true, true, false]),
            (&["CUSTOM_AUTH_FLOW_ONLY"], [true, false, false]),
            (&["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"], [true, true, true]),
            (&["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], [false, true, false]),
            (&["ALLOW_ADMIN_USER_PASSWORD_AUTH"], [false, false, true]),
            (&["ALLOW_USER_SRP_AUTH"], [true, false, false]),
            // Mixed, as only an earlier release could have stored it: legacy values read as their ALLOW_ twins.
            (&["ALLOW_USER_SRP_AUTH", "USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], [true, true, false]),
        ];
        for (flows, [srp, password, admin]) in cases {
            let config = client(flows);
            assert_eq!(config.allows(UserSrp), *srp, "{flows:?} SRP");
            assert_eq!(config.allows(UserPassword), *password, "{flows:?} USER_PASSWORD_AUTH");
            assert_eq!(config.allows(AdminUserPassword), *admin, "{flows:?} ADMIN_USER_PASSWORD_AUTH");
        }
        assert!(client(&["ALLOW_USER_SRP_AUTH", "USER_PASSWORD_AUTH"]).mixes_legacy_and_allow_flows());
        assert!(!client(&["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"]).mixes_legacy_and_allow_flows());
        assert!(!client(&["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"]).mixes_legacy_and_allow_flows());
    }

    #[test]
    fn default_password_policy_matches_cognito() {
        let policy = PasswordPolicy::default();
        for (password, expected) in [
            ("MySecretPassword123!", None),
            ("Short1!", Some("Password not long enough")),
            ("nouppercase123!", Some("Password must have uppercase characters")),
            ("NOLOWERCASE123!", Some("Password must have lowercase characters")),
            ("NoNumbersHere!", Some("Password must have numeric characters")),
            ("NoSymbols1234", Some("Password must have symbol characters")),
            ("With Space1", None),
        ] {
            match (policy.check(password), expected) {
                (Ok(()), None) => {}
                (Err(ServiceError::InvalidPassword(message)), Some(reason)) => {
                    assert!(message.ends_with(reason), "{password}: {message}")
                }
                (outcome, expected) => panic!("{password}: {outcome:?}, expected {expected:?}"),
            }
        }
        assert!(matches!(policy.check(" Leading1!"), Err(ServiceError::InvalidMember(_))));
    }

    #[test]
    fn generated_temporary_passwords_satisfy_the_policy() {
        let policy = PasswordPolicy::default();
        for _ in 0..50 {
            policy.check(&policy.generate_temporary()).unwrap();
        }
    }
}
