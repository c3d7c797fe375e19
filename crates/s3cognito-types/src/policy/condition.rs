//! The Condition element: operators, their `IfExists` and `ForAnyValue:`/`ForAllValues:` forms, and how
//! each compares the request's values for a key with the values the policy lists.

use std::net::IpAddr;

use super::json::Json;
use super::pattern::Template;
use super::{PolicyError, RequestContext, date};

/// One key under one operator: `"StringEquals": {"aws:username": ["alice", "bob"]}` is one condition.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Condition {
    /// Lowercased, because condition keys are case-insensitive.
    key: String,
    check: Check,
}

#[derive(Debug, Clone, PartialEq)]
enum Check {
    /// `Null`: each listed value is whether the key must be absent.
    Null(Vec<bool>),
    Compare {
        test: Test,
        /// The `Not` operators: a request value passes when it matches none of the policy's values.
        negated: bool,
        qualifier: Qualifier,
        if_exists: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Comparison {
    /// Whether `request <comparison> policy`.
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Self::Equals => request == policy,
            Self::LessThan => request < policy,
            Self::LessThanEquals => request <= policy,
            Self::GreaterThan => request > policy,
            Self::GreaterThanEquals => request >= policy,
        }
    }
}

/// What an operator compares, before its values are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Binary,
    Arn,
    IpAddress,
    Null,
}

/// Every operator IAM defines, as (name, family, negated). ArnEquals and ArnLike are the same test in IAM.
const OPERATORS: &[(&str, Family, bool)] = &[
    ("StringEquals", Family::StringEquals, false),
    ("StringNotEquals", Family::StringEquals, true),
    ("StringEqualsIgnoreCase", Family::StringEqualsIgnoreCase, false),
    ("StringNotEqualsIgnoreCase", Family::StringEqualsIgnoreCase, true),
    ("StringLike", Family::StringLike, false),
    ("StringNotLike", Family::StringLike, true),
    ("NumericEquals", Family::Numeric(Comparison::Equals), false),
    ("NumericNotEquals", Family::Numeric(Comparison::Equals), true),
    ("NumericLessThan", Family::Numeric(Comparison::LessThan), false),
    ("NumericLessThanEquals", Family::Numeric(Comparison::LessThanEquals), false),
    ("NumericGreaterThan", Family::Numeric(Comparison::GreaterThan), false),
    ("NumericGreaterThanEquals", Family::Numeric(Comparison::GreaterThanEquals), false),
    ("DateEquals", Family::Date(Comparison::Equals), false),
    ("DateNotEquals", Family::Date(Comparison::Equals), true),
    ("DateLessThan", Family::Date(Comparison::LessThan), false),
    ("DateLessThanEquals", Family::Date(Comparison::LessThanEquals), false),
    ("DateGreaterThan", Family::Date(Comparison::GreaterThan), false),
    ("DateGreaterThanEquals", Family::Date(Comparison::GreaterThanEquals), false),
    ("Bool", Family::Bool, false),
    ("BinaryEquals", Family::Binary, false),
    ("ArnEquals", Family::Arn, false),
    ("ArnLike", Family::Arn, false),
    ("ArnNotEquals", Family::Arn, true),
    ("ArnNotLike", Family::Arn, true),
    ("IpAddress", Family::IpAddress, false),
    ("NotIpAddress", Family::IpAddress, true),
    ("Null", Family::Null, false),
];

/// A test with the policy's values parsed once, at policy parse time.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    StringEquals(Vec<Template>),
    StringEqualsIgnoreCase(Vec<Template>),
    StringLike(Vec<Template>),
    Numeric(Comparison, Vec<f64>),
    Date(Comparison, Vec<i64>),
    Bool(Vec<bool>),
    Binary(Vec<String>),
    Arn(Vec<Template>),
    IpAddress(Vec<Network>),
}

impl Test {
    /// Whether one request value matches any of the policy's values.
    fn matches(&self, value: &str, request: &RequestContext) -> bool {
        match self {
            Self::StringEquals(expected) => {
                expected.iter().any(|template| template.to_text(request).is_some_and(|text| text == value))
            }
            Self::StringEqualsIgnoreCase(expected) => {
                let value = value.to_lowercase();
                expected
                    .iter()
                    .any(|template| template.to_text(request).is_some_and(|text| text.to_lowercase() == value))
            }
            Self::StringLike(patterns) => {
                patterns.iter().any(|template| template.to_glob(request).is_some_and(|glob| glob.matches(value)))
            }
            Self::Numeric(comparison, expected) => parse_number(value)
                .is_some_and(|number| expected.iter().any(|&policy| comparison.holds(number, policy))),
            Self::Date(comparison, expected) => date::epoch_seconds(value)
                .is_some_and(|seconds| expected.iter().any(|&policy| comparison.holds(seconds, policy))),
            Self::Bool(expected) => parse_bool(value).is_some_and(|flag| expected.contains(&flag)),
            Self::Binary(expected) => expected.iter().any(|policy| policy == value),
            Self::Arn(patterns) => patterns.iter().any(|template| arn_matches(template, value, request)),
            Self::IpAddress(networks) => {
                value.parse::<IpAddr>().is_ok_and(|address| networks.iter().any(|network| network.contains(address)))
            }
        }
    }
}

/// ARNs compare field by field, so a `*` in the region cannot swallow the account; the resource is
/// everything after the fifth colon.
fn arn_matches(template: &Template, value: &str, request: &RequestContext) -> bool {
    let Some(pattern_parts) = template.to_glob(request).and_then(|glob| glob.split_arn()) else {
        return false;
    };
    let value_parts: Vec<&str> = value.splitn(6, ':').collect();
    value_parts.len() == 6 && pattern_parts.iter().zip(&value_parts).all(|(pattern, part)| pattern.matches(part))
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|number| number.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An IPv4 or IPv6 network in CIDR notation; a bare address is a network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix_length: u32,
}

impl Network {
    fn parse(text: &str) -> Option<Self> {
        let (address, prefix_length) = match text.split_once('/') {
            Some((address, length)) if !length.starts_with('+') => (address, Some(length.parse::<u32>().ok()?)),
            Some(_) => return None,
            None => (text, None),
        };
        let address: IpAddr = address.parse().ok()?;
        let maximum = if address.is_ipv4() { 32 } else { 128 };
        let prefix_length = prefix_length.unwrap_or(maximum);
        (prefix_length <= maximum).then_some(Self { address, prefix_length })
    }

    /// IPv4 and IPv4-mapped IPv6 addresses are the same address, whichever form either side is written in.
    fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                same_prefix(u128::from(u32::from(network)), u128::from(u32::from(address)), 32, self.prefix_length)
            }
            (IpAddr::V4(network), IpAddr::V6(address)) => address.to_ipv4_mapped().is_some_and(|address| {
                same_prefix(u128::from(u32::from(network)), u128::from(u32::from(address)), 32, self.prefix_length)
            }),
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                same_prefix(u128::from(network), u128::from(address), 128, self.prefix_length)
            }
            (IpAddr::V6(network), IpAddr::V4(address)) => {
                same_prefix(u128::from(network), u128::from(address.to_ipv6_mapped()), 128, self.prefix_length)
            }
        }
    }
}

/// Whether the first `prefix_length` of `width` bits agree; a shift by the full width (prefix 0) agrees always.
fn same_prefix(first: u128, second: u128, width: u32, prefix_length: u32) -> bool {
    let shift = width.saturating_sub(prefix_length);
    first.checked_shr(shift).unwrap_or(0) == second.checked_shr(shift).unwrap_or(0)
}

/// The condition keys whose fixed values S3 Block Public Access takes as limiting who a grant reaches.
const LIMITING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

impl Condition {
    /// Whether the condition pins a limiting key (`LIMITING_KEYS`) to fixed values: the key must be present
    /// and equal one of them (no wildcard, no variable, no negation, no `IfExists`), and IP ranges may be
    /// no wider than /8 (IPv4) or /32 (IPv6). A statement granting to everyone with such a condition is
    /// not public; any other condition (a Referer, a date, a wildcard) leaves it public, as S3 judges it.
    pub(super) fn limits_who(&self) -> bool {
        let Check::Compare { test, negated: false, qualifier, if_exists: false } = &self.check else { return false };
        if *qualifier == Qualifier::ForAllValues || !LIMITING_KEYS.contains(&self.key.as_str()) {
            return false;
        }
        match test {
            Test::IpAddress(networks) => {
                networks.iter().all(|network| network.prefix_length >= if network.address.is_ipv4() { 8 } else { 32 })
            }
            Test::StringEquals(values) | Test::StringEqualsIgnoreCase(values) | Test::StringLike(values) | Test::Arn(values) => {
                values.iter().all(super::pattern::Template::is_fixed)
            }
            _ => false,
        }
    }

    /// Whether the condition holds for the request.
    pub(super) fn holds(&self, request: &RequestContext) -> bool {
        // A key present with no values is as absent as a missing one: there is nothing to compare.
        let values = request.values(&self.key).filter(|values| !values.is_empty());
        match &self.check {
            Check::Null(expect_absent) => expect_absent.iter().any(|&absent| absent == values.is_none()),
            Check::Compare { test, negated, qualifier, if_exists } => {
                let Some(values) = values else {
                    // Absent: IfExists makes any condition true; otherwise "all of nothing" holds, "any of nothing"
                    // does not, and a negated operator holds because nothing equals what the policy lists.
                    return *if_exists
                        || match qualifier {
                            Qualifier::ForAllValues => true,
                            Qualifier::ForAnyValue => false,
                            Qualifier::Single => *negated,
                        };
                };
                let passes = |value: &String| test.matches(value, request) != *negated;
                match qualifier {
                    Qualifier::ForAllValues => values.iter().all(passes),
                    Qualifier::ForAnyValue => values.iter().any(passes),
                    // Without a qualifier, a negated operator is the negation of the positive one: no request value
                    // may match. A positive one needs some request value to match.
                    Qualifier::Single if *negated => values.iter().all(passes),
                    Qualifier::Single => values.iter().any(passes),
                }
            }
        }
    }
}

/// Parses a statement's `Condition` object. With `variables`, string and ARN values may hold `${...}`.
pub(super) fn parse_block(block: &Json, location: &str, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let operators =
        block.as_object().ok_or_else(|| PolicyError::NotAnObject { element: format!("Condition in {location}") })?;
    let mut conditions = Vec::new();
    for (operator_name, keys) in operators {
        let operator = Operator::parse(operator_name, location)?;
        let keys = keys.as_object().ok_or_else(|| PolicyError::NotAnObject {
            element: format!("Condition operator {operator_name} in {location}"),
        })?;
        if keys.is_empty() {
            return Err(PolicyError::Empty {
                field: format!("Condition operator {operator_name}"),
                location: location.to_owned(),
            });
        }
        for (key, values) in keys {
            let has_vendor = key.split_once(':').is_some_and(|(vendor, name)| !vendor.is_empty() && !name.is_empty());
            if !has_vendor {
                return Err(PolicyError::InvalidConditionKey { key: key.clone(), location: location.to_owned() });
            }
            let values = value_strings(values, operator_name, key, location)?;
            let check = operator.check(&values, variables, |value, expected| PolicyError::InvalidConditionValue {
                operator: operator_name.clone(),
                key: key.clone(),
                value: value.to_owned(),
                expected,
                location: location.to_owned(),
            })?;
            conditions.push(Condition { key: key.to_lowercase(), check });
        }
    }
    Ok(conditions)
}

/// A condition's values as strings: numbers and booleans are written the way JSON writes them.
fn value_strings(values: &Json, operator: &str, key: &str, location: &str) -> Result<Vec<String>, PolicyError> {
    let wrong_type = || PolicyError::WrongType {
        field: format!("The value of {operator} on {key}"),
        expected: "a string, number or boolean, or an array of them",
        location: location.to_owned(),
    };
    let scalar = |value: &Json| match value {
        Json::String(text) => Ok(text.clone()),
        Json::Number(number) => Ok(number.to_string()),
        Json::Bool(flag) => Ok(flag.to_string()),
        _ => Err(wrong_type()),
    };
    match values {
        Json::Array(items) if items.is_empty() => Err(PolicyError::Empty {
            field: format!("The value of {operator} on {key}"),
            location: location.to_owned(),
        }),
        Json::Array(items) => items.iter().map(scalar).collect(),
        single => Ok(vec![scalar(single)?]),
    }
}

/// A parsed operator name such as `ForAllValues:StringNotLikeIfExists`.
struct Operator {
    family: Family,
    negated: bool,
    qualifier: Qualifier,
    if_exists: bool,
}

impl Operator {
    /// Operator names are matched without regard to case, as IAM does.
    fn parse(name: &str, location: &str) -> Result<Self, PolicyError> {
        let (qualifier, rest) = if let Some(rest) = strip_prefix_ignoring_case(name, "ForAnyValue:") {
            (Qualifier::ForAnyValue, rest)
        } else if let Some(rest) = strip_prefix_ignoring_case(name, "ForAllValues:") {
            (Qualifier::ForAllValues, rest)
        } else {
            (Qualifier::Single, name)
        };
        let (base, if_exists) = match strip_suffix_ignoring_case(rest, "IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let &(_, family, negated) =
            OPERATORS.iter().find(|(known, _, _)| known.eq_ignore_ascii_case(base)).ok_or_else(|| {
                PolicyError::UnknownConditionOperator { operator: name.to_owned(), location: location.to_owned() }
            })?;
        if family == Family::Null && (if_exists || qualifier != Qualifier::Single) {
            return Err(PolicyError::InvalidConditionOperator {
                operator: name.to_owned(),
                reason: "Null takes neither IfExists nor ForAnyValue:/ForAllValues:",
                location: location.to_owned(),
            });
        }
        Ok(Self { family, negated, qualifier, if_exists })
    }

    /// Parses the values the way this operator reads them; `invalid` builds the error for one bad value.
    fn check(
        &self,
        values: &[String],
        variables: bool,
        invalid: impl Fn(&str, &'static str) -> PolicyError,
    ) -> Result<Check, PolicyError> {
        let templates = || {
            values
                .iter()
                .map(|value| {
                    if variables {
                        Template::with_variables(value).map_err(|reason| invalid(value, reason))
                    } else {
                        Ok(Template::plain(value))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let test = match self.family {
            Family::Null => return Ok(Check::Null(parse_each(values, parse_bool, "\"true\" or \"false\"", &invalid)?)),
            Family::StringEquals => Test::StringEquals(templates()?),
            Family::StringEqualsIgnoreCase => Test::StringEqualsIgnoreCase(templates()?),
            Family::StringLike => Test::StringLike(templates()?),
            Family::Arn => Test::Arn(templates()?),
            Family::Numeric(comparison) => {
                Test::Numeric(comparison, parse_each(values, parse_number, "a number", &invalid)?)
            }
            Family::Date(comparison) => Test::Date(
                comparison,
                parse_each(
                    values,
                    date::epoch_seconds,
                    "epoch seconds or an ISO 8601 date such as 2026-01-02T03:04:05Z",
                    &invalid,
                )?,
            ),
            Family::Bool => Test::Bool(parse_each(values, parse_bool, "\"true\" or \"false\"", &invalid)?),
            Family::Binary => Test::Binary(values.to_vec()),
            Family::IpAddress => Test::IpAddress(parse_each(
                values,
                Network::parse,
                "an IPv4 or IPv6 address or CIDR block such as 203.0.113.0/24",
                &invalid,
            )?),
        };
        Ok(Check::Compare { test, negated: self.negated, qualifier: self.qualifier, if_exists: self.if_exists })
    }
}

fn parse_each<T>(
    values: &[String],
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
    invalid: &impl Fn(&str, &'static str) -> PolicyError,
) -> Result<Vec<T>, PolicyError> {
    values.iter().map(|value| parse(value).ok_or_else(|| invalid(value, expected))).collect()
}

fn strip_prefix_ignoring_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| text.get(prefix.len()..)).flatten()
}

fn strip_suffix_ignoring_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    let tail = text.get(split..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| text.get(..split)).flatten()
}
