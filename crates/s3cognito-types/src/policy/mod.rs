//! IAM policy documents: parsed with the checks IAM makes before storing one, and evaluated against a
//! request the way IAM does (an explicit Deny wins, then any Allow, else the implicit deny).
//!
//! Pure: no IO and no clock. The caller puts the time, source address and identity into the request's keys.

mod condition;
mod date;
mod error;
mod json;
mod parse;
mod pattern;
mod principal;

use std::collections::HashMap;

pub use error::PolicyError;
pub use principal::Principal;

use condition::Condition;
use pattern::{Glob, Template};
use principal::PrincipalPattern;

/// A parsed identity, trust or resource policy.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    id: Option<String>,
    statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Parses an IAM JSON policy.
    ///
    /// `Version` is optional and must be `2012-10-17` or `2008-10-17`; as in IAM, policy variables (`${...}`)
    /// are only substituted under `2012-10-17` and are plain text otherwise. `Statement` is one object or a
    /// non-empty array. Unknown elements, duplicate JSON keys, unknown condition operators and malformed
    /// variables are errors whose messages are fit for an IAM client.
    pub fn parse(json: &str) -> Result<Self, PolicyError> {
        parse::document(json)
    }

    /// Whether any statement has `Principal` or `NotPrincipal`: trust and resource policies must, identity
    /// policies must not.
    pub fn has_principal(&self) -> bool {
        self.statements.iter().any(Statement::has_principal)
    }

    /// The document's `Id`, if it has one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Whether the policy grants to anyone at all, as S3 judges a bucket policy public: an Allow statement
    /// naming everyone (or everyone but some, with `NotPrincipal`) without a condition pinning the source
    /// or the caller's account, ARN, organization or network to fixed values (a Referer or a wildcard
    /// does not; see `Condition::limits_who`).
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|statement| {
            statement.effect == Effect::Allow
                && !statement.conditions.iter().any(condition::Condition::limits_who)
                && statement.principals.as_ref().is_some_and(|principals| {
                    principals.negated || principals.patterns.iter().any(PrincipalPattern::names_everyone)
                })
        })
    }
}

/// Whether a statement grants or refuses what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement of a policy document.
#[derive(Debug, Clone)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    /// Compiled from lowercased text: actions compare without regard to case.
    actions: Element<Glob>,
    /// `None`: no Resource element, as in trust policies; every resource matches.
    resources: Option<Element<Template>>,
    /// `None`: no Principal element, as in identity policies; every caller matches.
    principals: Option<Element<PrincipalPattern>>,
    conditions: Vec<Condition>,
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    pub fn has_principal(&self) -> bool {
        self.principals.is_some()
    }

    /// Whether action, resource, caller and every condition match; `action` is the request's, lowercased.
    fn applies_to(&self, request: &RequestContext, action: &str) -> bool {
        self.scope_for(request, action).is_some()
    }

    /// How the statement names the request's caller, when action, resource, caller and every condition
    /// match: the caller itself, or only its whole account (`"AWS": "<account>"` or `…:root`).
    fn scope_for(&self, request: &RequestContext, action: &str) -> Option<Scope> {
        let matches = self.actions.admits(|glob| glob.matches(action))
            && self.resources.as_ref().is_none_or(|resources| {
                resources
                    .admits(|template| template.to_glob(request).is_some_and(|glob| glob.matches(&request.resource)))
            })
            && self.conditions.iter().all(|condition| condition.holds(request));
        if !matches {
            return None;
        }
        let caller = request.principal.as_ref();
        match &self.principals {
            None => Some(Scope::Caller),
            Some(principals) if principals.negated => principals.admits(|pattern| pattern.matches(caller)).then_some(Scope::Caller),
            Some(principals) => {
                let named: Vec<&PrincipalPattern> = principals.patterns.iter().filter(|pattern| pattern.matches(caller)).collect();
                if named.is_empty() {
                    None
                } else if named.iter().all(|pattern| pattern.names_whole_account()) {
                    Some(Scope::Account)
                } else {
                    Some(Scope::Caller)
                }
            }
        }
    }
}

/// The values of Action, Resource or Principal, or of their `Not` forms: the plain form admits what matches
/// one of the patterns, the `Not` form what matches none.
#[derive(Debug, Clone)]
struct Element<T> {
    patterns: Vec<T>,
    negated: bool,
}

impl<T> Element<T> {
    fn admits(&self, matches: impl Fn(&T) -> bool) -> bool {
        self.patterns.iter().any(matches) != self.negated
    }
}

/// What is being asked: an action such as `s3:GetObject`, the resource's ARN, the caller (for trust and
/// resource policies) and the condition keys, which also feed policy variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub action: String,
    pub resource: String,
    pub principal: Option<Principal>,
    /// Lowercased key to its values; a key may be present with no values (an empty set).
    keys: HashMap<String, Vec<String>>,
}

impl RequestContext {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self { action: action.into(), resource: resource.into(), principal: None, keys: HashMap::new() }
    }

    #[must_use]
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Adds one value to a condition key (keys are case-insensitive); adding twice makes the key multi-valued.
    #[must_use]
    pub fn with_key(mut self, key: &str, value: impl Into<String>) -> Self {
        self.keys.entry(key.to_lowercase()).or_default().push(value.into());
        self
    }

    /// Adds values to a multi-valued key such as `cognito-identity.amazonaws.com:amr`; with no values the
    /// key is still created, as an empty set.
    #[must_use]
    pub fn with_key_values(mut self, key: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.keys.entry(key.to_lowercase()).or_default().extend(values.into_iter().map(Into::into));
        self
    }

    /// The values of a key, looked up without regard to case.
    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_lowercase()).map(Vec::as_slice)
    }
}

/// The outcome of evaluating policies for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    /// A matching Deny statement: no other policy can override it.
    ExplicitDeny,
    /// Nothing matched: denied, but another policy (say, a bucket policy) could still allow.
    ImplicitDeny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }
}

/// How a statement that applies names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Caller,
    Account,
}

/// What a resource policy that names its principals (a KMS key policy) says of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceDecision {
    /// A matching Deny statement: nothing else can allow.
    ExplicitDeny,
    /// An Allow statement names the caller (its ARN, or everyone): allowed whatever its own policies say.
    AllowCaller,
    /// The only Allow statements name the caller's whole account: the account's identity policies decide.
    AllowAccount,
    ImplicitDeny,
}

/// Evaluates a resource policy for the request's caller: any matching Deny gives `ExplicitDeny`; an Allow
/// naming the caller `AllowCaller`; one naming only its account `AllowAccount`; else `ImplicitDeny`.
pub fn evaluate_resource(policy: &PolicyDocument, request: &RequestContext) -> ResourceDecision {
    let action = request.action.to_lowercase();
    let mut decision = ResourceDecision::ImplicitDeny;
    for statement in &policy.statements {
        match (statement.scope_for(request, &action), statement.effect) {
            (None, _) => {}
            (Some(_), Effect::Deny) => return ResourceDecision::ExplicitDeny,
            (Some(Scope::Caller), Effect::Allow) => decision = ResourceDecision::AllowCaller,
            (Some(Scope::Account), Effect::Allow) => {
                if decision == ResourceDecision::ImplicitDeny {
                    decision = ResourceDecision::AllowAccount;
                }
            }
        }
    }
    decision
}

/// Evaluates every statement of every policy: any matching Deny gives `ExplicitDeny`; otherwise any matching
/// Allow gives `Allow`; otherwise `ImplicitDeny`.
pub fn evaluate<'a>(policies: impl IntoIterator<Item = &'a PolicyDocument>, request: &RequestContext) -> Decision {
    let action = request.action.to_lowercase();
    let mut allowed = false;
    for policy in policies {
        for statement in &policy.statements {
            if statement.applies_to(request, &action) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
    }
    if allowed { Decision::Allow } else { Decision::ImplicitDeny }
}
