//! From JSON text to statements, refusing what IAM refuses before it stores a policy.

use std::collections::HashSet;

use super::json::Json;
use super::pattern::{Glob, Template};
use super::principal::PrincipalPattern;
use super::{Effect, Element, PolicyDocument, PolicyError, Statement, condition};

const DOCUMENT: &str = "the policy document";

pub(super) fn document(text: &str) -> Result<PolicyDocument, PolicyError> {
    let root = Json::parse(text)?;
    let members =
        root.as_object().ok_or_else(|| PolicyError::NotAnObject { element: "The policy document".to_owned() })?;
    let (mut version, mut id, mut statement) = (None, None, None);
    for (name, value) in members {
        match name.as_str() {
            "Version" => version = Some(value),
            "Id" => id = Some(value),
            "Statement" => statement = Some(value),
            _ => return Err(PolicyError::UnknownField { field: name.clone(), location: DOCUMENT.to_owned() }),
        }
    }
    // Variables arrived with 2012-10-17; under the older version (the default) `${...}` is plain text.
    let variables = match version {
        None => false,
        Some(Json::String(version)) if version == "2012-10-17" => true,
        Some(Json::String(version)) if version == "2008-10-17" => false,
        Some(Json::String(version)) => return Err(PolicyError::UnsupportedVersion(version.clone())),
        Some(_) => return Err(wrong_type("Version", "a string", DOCUMENT)),
    };
    let id = id.map(|id| string(id, "Id", DOCUMENT)).transpose()?;
    let statements: Vec<&Json> = match statement {
        None => return Err(PolicyError::MissingField { field: "Statement", location: DOCUMENT.to_owned() }),
        Some(Json::Array(items)) => items.iter().collect(),
        Some(object @ Json::Object(_)) => vec![object],
        Some(_) => return Err(wrong_type("Statement", "an object or an array of objects", DOCUMENT)),
    };
    if statements.is_empty() {
        return Err(PolicyError::NoStatements);
    }
    let mut sids = HashSet::new();
    let mut parsed = Vec::with_capacity(statements.len());
    for (index, value) in statements.into_iter().enumerate() {
        let statement = parse_statement(value, index + 1, variables)?;
        if let Some(sid) = &statement.sid
            && !sids.insert(sid.clone())
        {
            return Err(PolicyError::DuplicateSid(sid.clone()));
        }
        parsed.push(statement);
    }
    Ok(PolicyDocument { id, statements: parsed })
}

/// The elements of one statement, before they are checked.
#[derive(Default)]
struct Fields<'a> {
    sid: Option<&'a Json>,
    effect: Option<&'a Json>,
    action: Option<&'a Json>,
    not_action: Option<&'a Json>,
    resource: Option<&'a Json>,
    not_resource: Option<&'a Json>,
    principal: Option<&'a Json>,
    not_principal: Option<&'a Json>,
    condition: Option<&'a Json>,
}

fn parse_statement(value: &Json, number: usize, variables: bool) -> Result<Statement, PolicyError> {
    let members =
        value.as_object().ok_or_else(|| PolicyError::NotAnObject { element: format!("Statement {number}") })?;
    let mut fields = Fields::default();
    for (name, value) in members {
        let slot = match name.as_str() {
            "Sid" => &mut fields.sid,
            "Effect" => &mut fields.effect,
            "Action" => &mut fields.action,
            "NotAction" => &mut fields.not_action,
            "Resource" => &mut fields.resource,
            "NotResource" => &mut fields.not_resource,
            "Principal" => &mut fields.principal,
            "NotPrincipal" => &mut fields.not_principal,
            "Condition" => &mut fields.condition,
            _ => {
                return Err(PolicyError::UnknownField { field: name.clone(), location: format!("statement {number}") });
            }
        };
        *slot = Some(value);
    }
    let sid = fields.sid.map(|sid| string(sid, "Sid", &format!("statement {number}"))).transpose()?;
    // Naming the Sid too helps find the statement in a long policy.
    let location = match &sid {
        Some(sid) => format!("statement {number} (Sid {sid:?})"),
        None => format!("statement {number}"),
    };

    let effect = match fields.effect {
        None => return Err(PolicyError::MissingField { field: "Effect", location }),
        Some(Json::String(effect)) if effect == "Allow" => Effect::Allow,
        Some(Json::String(effect)) if effect == "Deny" => Effect::Deny,
        Some(Json::String(effect)) => return Err(PolicyError::InvalidEffect { effect: effect.clone(), location }),
        Some(_) => return Err(wrong_type("Effect", "a string", &location)),
    };

    let (action, negated) = one_of(fields.action, fields.not_action, "Action", "NotAction", &location)?
        .ok_or_else(|| PolicyError::MissingField { field: "Action", location: location.clone() })?;
    let actions = Element {
        patterns: strings(action, if negated { "NotAction" } else { "Action" }, &location)?
            .into_iter()
            .map(|action| parse_action(action, &location))
            .collect::<Result<_, _>>()?,
        negated,
    };

    let resources = one_of(fields.resource, fields.not_resource, "Resource", "NotResource", &location)?
        .map(|(resource, negated)| {
            let patterns = strings(resource, if negated { "NotResource" } else { "Resource" }, &location)?
                .into_iter()
                .map(|resource| parse_resource(resource, variables, &location))
                .collect::<Result<_, _>>()?;
            Ok::<_, PolicyError>(Element { patterns, negated })
        })
        .transpose()?;

    let principals = one_of(fields.principal, fields.not_principal, "Principal", "NotPrincipal", &location)?
        .map(|(principal, negated)| {
            let field = if negated { "NotPrincipal" } else { "Principal" };
            Ok::<_, PolicyError>(Element { patterns: parse_principals(principal, field, &location)?, negated })
        })
        .transpose()?;

    let conditions = match fields.condition {
        Some(block) => condition::parse_block(block, &location, variables)?,
        None => Vec::new(),
    };

    Ok(Statement { sid, effect, actions, resources, principals, conditions })
}

/// At most one of an element and its `Not` form; the flag says which was given.
fn one_of<'a>(
    plain: Option<&'a Json>,
    negated: Option<&'a Json>,
    plain_name: &'static str,
    negated_name: &'static str,
    location: &str,
) -> Result<Option<(&'a Json, bool)>, PolicyError> {
    match (plain, negated) {
        (Some(_), Some(_)) => Err(PolicyError::ConflictingFields {
            first: plain_name,
            second: negated_name,
            location: location.to_owned(),
        }),
        (Some(value), None) => Ok(Some((value, false))),
        (None, Some(value)) => Ok(Some((value, true))),
        (None, None) => Ok(None),
    }
}

/// `*`, or `service:pattern` as IAM requires ("Actions must be prefaced by a vendor").
fn parse_action(action: String, location: &str) -> Result<Glob, PolicyError> {
    let has_service = action.split_once(':').is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
    if action == "*" || has_service {
        Ok(Glob::new(&action.to_lowercase()))
    } else {
        Err(PolicyError::InvalidAction { action, location: location.to_owned() })
    }
}

fn parse_resource(resource: String, variables: bool, location: &str) -> Result<Template, PolicyError> {
    if resource != "*" && !resource.starts_with("arn:") {
        return Err(PolicyError::InvalidResource { resource, location: location.to_owned() });
    }
    if !variables {
        return Ok(Template::plain(&resource));
    }
    Template::with_variables(&resource).map_err(|reason| PolicyError::InvalidVariable {
        text: resource.clone(),
        reason,
        location: location.to_owned(),
    })
}

/// `"*"`, or an object from principal type (`AWS`, `Federated`, `Service`, `CanonicalUser`) to one or more values.
fn parse_principals(value: &Json, field: &str, location: &str) -> Result<Vec<PrincipalPattern>, PolicyError> {
    let invalid = |principal: &str, reason| PolicyError::InvalidPrincipal {
        principal: principal.to_owned(),
        reason,
        location: location.to_owned(),
    };
    match value {
        Json::String(text) if text == "*" => Ok(vec![PrincipalPattern::Everyone]),
        Json::String(text) => {
            Err(invalid(text, "a principal is \"*\" or an object such as {\"AWS\": \"123456789012\"}"))
        }
        Json::Object(kinds) if kinds.is_empty() => {
            Err(PolicyError::Empty { field: field.to_owned(), location: location.to_owned() })
        }
        Json::Object(kinds) => {
            let mut patterns = Vec::new();
            for (kind, values) in kinds {
                for principal in strings(values, &format!("{field} {kind}"), location)? {
                    patterns
                        .push(PrincipalPattern::new(kind, &principal).map_err(|reason| invalid(&principal, reason))?);
                }
            }
            Ok(patterns)
        }
        _ => Err(wrong_type(field, "\"*\" or an object", location)),
    }
}

fn string(value: &Json, field: &str, location: &str) -> Result<String, PolicyError> {
    match value {
        Json::String(text) => Ok(text.clone()),
        _ => Err(wrong_type(field, "a string", location)),
    }
}

/// A string, or a non-empty array of strings.
fn strings(value: &Json, field: &str, location: &str) -> Result<Vec<String>, PolicyError> {
    const EXPECTED: &str = "a string or an array of strings";
    match value {
        Json::String(text) => Ok(vec![text.clone()]),
        Json::Array(items) if items.is_empty() => {
            Err(PolicyError::Empty { field: field.to_owned(), location: location.to_owned() })
        }
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(text) => Ok(text.clone()),
                _ => Err(wrong_type(field, EXPECTED, location)),
            })
            .collect(),
        _ => Err(wrong_type(field, EXPECTED, location)),
    }
}

fn wrong_type(field: &str, expected: &'static str, location: &str) -> PolicyError {
    PolicyError::WrongType { field: field.to_owned(), expected, location: location.to_owned() }
}
