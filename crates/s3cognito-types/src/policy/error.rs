//! The one error a policy document can be refused with; its messages reach IAM clients as the text
//! of `MalformedPolicyDocument`, so each names the element and the statement at fault.

/// Why a policy document was refused. `location` reads like `statement 2` or `statement 2 (Sid "Read")`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Syntax errors in policy: {0}")]
    Syntax(String),
    #[error("{element} must be a JSON object")]
    NotAnObject { element: String },
    #[error("Unknown field {field} in {location}")]
    UnknownField { field: String, location: String },
    #[error("Missing required field {field} in {location}")]
    MissingField { field: &'static str, location: String },
    #[error("{location} must not contain both {first} and {second}")]
    ConflictingFields { first: &'static str, second: &'static str, location: String },
    #[error("{field} in {location} must be {expected}")]
    WrongType { field: String, expected: &'static str, location: String },
    #[error("{field} in {location} must not be empty")]
    Empty { field: String, location: String },
    #[error("Policy version {0} is not supported: use \"2012-10-17\" (or the older \"2008-10-17\")")]
    UnsupportedVersion(String),
    #[error("Policy document must contain at least one statement")]
    NoStatements,
    #[error("Statement IDs (SID) in a single policy must be unique: {0:?} is used more than once")]
    DuplicateSid(String),
    #[error("Invalid effect {effect:?} in {location}: must be \"Allow\" or \"Deny\"")]
    InvalidEffect { effect: String, location: String },
    #[error(
        "Invalid action {action:?} in {location}: an action is \"*\" or prefixed by its service, as in \"s3:GetObject\""
    )]
    InvalidAction { action: String, location: String },
    #[error("Invalid resource {resource:?} in {location}: a resource is \"*\" or an ARN")]
    InvalidResource { resource: String, location: String },
    #[error("Invalid principal {principal:?} in {location}: {reason}")]
    InvalidPrincipal { principal: String, reason: &'static str, location: String },
    #[error("Invalid policy variable in {text:?} in {location}: {reason}")]
    InvalidVariable { text: String, reason: &'static str, location: String },
    #[error("Unknown condition operator {operator:?} in {location}")]
    UnknownConditionOperator { operator: String, location: String },
    #[error("Invalid condition operator {operator:?} in {location}: {reason}")]
    InvalidConditionOperator { operator: String, reason: &'static str, location: String },
    #[error("Invalid condition key {key:?} in {location}: a key is prefixed by its service, as in \"aws:SourceIp\"")]
    InvalidConditionKey { key: String, location: String },
    #[error("Invalid value {value:?} for {operator} on {key} in {location}: expected {expected}")]
    InvalidConditionValue { operator: String, key: String, value: String, expected: &'static str, location: String },
}
