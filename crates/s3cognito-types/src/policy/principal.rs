//! Who is asking (`Principal`) and who a statement names (`PrincipalPattern`): the `Principal` and
//! `NotPrincipal` elements of trust and resource policies.

/// The caller of a request, as trust and resource policies see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// An unauthenticated caller: only `"Principal": "*"` or `{"AWS": "*"}` names it.
    Anonymous,
    /// An account id or an IAM/STS ARN, as in `arn:aws:iam::123456789012:role/Admin`.
    Aws(String),
    /// An identity provider, as in `cognito-identity.amazonaws.com`.
    Federated(String),
    /// A service, as in `lambda.amazonaws.com`.
    Service(String),
    /// An S3 canonical user id.
    CanonicalUser(String),
}

/// One principal a statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PrincipalPattern {
    /// `"Principal": "*"`.
    Everyone,
    Aws(String),
    Federated(String),
    Service(String),
    CanonicalUser(String),
}

impl PrincipalPattern {
    /// Builds the pattern for one value under `kind` (`AWS`, `Federated`, ...); the error is why it is refused.
    pub(super) fn new(kind: &str, value: &str) -> Result<Self, &'static str> {
        if value.is_empty() {
            return Err("a principal must not be empty");
        }
        // IAM has no partial wildcards in principals: "*" alone is everyone, anything else is exact.
        if value != "*" && value.contains(['*', '?']) {
            return Err("wildcards are only allowed as the whole principal \"*\"");
        }
        match kind {
            "AWS" => {
                if value == "*" || is_account_id(value) || value.starts_with("arn:") {
                    Ok(Self::Aws(value.to_owned()))
                } else {
                    Err("an AWS principal is \"*\", a 12-digit account id or an ARN")
                }
            }
            "Federated" => Ok(Self::Federated(value.to_owned())),
            "Service" => Ok(Self::Service(value.to_owned())),
            "CanonicalUser" => Ok(Self::CanonicalUser(value.to_owned())),
            _ => Err("the principal type must be AWS, Federated, Service or CanonicalUser"),
        }
    }

    /// Whether the pattern names everyone (`"*"` or `{"AWS": "*"}`).
    pub(super) fn names_everyone(&self) -> bool {
        matches!(self, Self::Everyone) || matches!(self, Self::Aws(pattern) if pattern == "*")
    }

    /// Whether the pattern names a whole account (`"AWS": "<account>"` or `arn:aws:iam::<account>:root`)
    /// rather than one principal or everyone.
    pub(super) fn names_whole_account(&self) -> bool {
        matches!(self, Self::Aws(pattern) if whole_account(pattern).is_some())
    }

    /// Whether the caller is one this pattern names. A request without a caller is treated as anonymous, so
    /// that a `"Principal": "*"` Deny still applies to it.
    pub(super) fn matches(&self, caller: Option<&Principal>) -> bool {
        let caller = caller.unwrap_or(&Principal::Anonymous);
        match (self, caller) {
            (Self::Everyone, _) => true,
            // AWS documents {"AWS": "*"} as equivalent to "*".
            (Self::Aws(pattern), _) if pattern == "*" => true,
            (Self::Aws(pattern), Principal::Aws(arn)) => aws_principal_matches(pattern, arn),
            (Self::Federated(pattern), Principal::Federated(provider)) => {
                pattern == "*" || pattern.eq_ignore_ascii_case(provider)
            }
            (Self::Service(pattern), Principal::Service(service)) => {
                pattern == "*" || pattern.eq_ignore_ascii_case(service)
            }
            (Self::CanonicalUser(pattern), Principal::CanonicalUser(id)) => pattern == "*" || pattern == id,
            _ => false,
        }
    }
}

/// An exact ARN names itself; an account id or the account's `root` ARN names every principal of the account.
fn aws_principal_matches(pattern: &str, caller: &str) -> bool {
    if pattern == caller {
        return true;
    }
    match whole_account(pattern) {
        Some(account) => account_of(caller) == Some(account),
        None => false,
    }
}

/// The account a pattern names as a whole: `123456789012` or `arn:<partition>:iam::123456789012:root`.
fn whole_account(pattern: &str) -> Option<&str> {
    if is_account_id(pattern) {
        return Some(pattern);
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, "root"] if is_account_id(account) => Some(account),
        _ => None,
    }
}

/// The account of a caller given as an account id or as an ARN (its fifth field).
fn account_of(caller: &str) -> Option<&str> {
    if is_account_id(caller) {
        return Some(caller);
    }
    let parts: Vec<&str> = caller.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, _, _, account, _] if is_account_id(account) => Some(account),
        _ => None,
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}
