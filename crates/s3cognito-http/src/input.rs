//! Reading AWS JSON 1.1 request members, with AWS's own validation wording.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A request body: a JSON object whose members are read by name.
#[derive(Debug)]
pub(crate) struct Input(Map<String, Value>);

/// AWS names members in camelCase in validation messages (`clientId` for `ClientId`).
pub(crate) fn camel(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn wrong_type(name: &str, expected: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "SerializationException",
        format!("Member {name} must be {expected}"),
    )
}

impl Input {
    pub fn parse(body: &[u8]) -> Result<Input, ApiError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(members)) => Ok(Input(members)),
            _ => Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "SerializationException",
                "The request body is not a valid JSON object.",
            )),
        }
    }

    fn member(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value.clone())),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub fn string(&self, name: &str) -> Result<String, ApiError> {
        self.opt_string(name)?.ok_or_else(|| ApiError::member_missing(&camel(name)))
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.member(name) {
            None => Ok(None),
            Some(value) => value.as_i64().map(Some).ok_or_else(|| wrong_type(name, "an integer")),
        }
    }

    pub fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| wrong_type(name, "a list of strings")))
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a list of strings")),
        }
    }

    /// A string-to-string map such as `AuthParameters`.
    pub fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
        match self.member(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(members)) => members
                .iter()
                .map(|(key, value)| {
                    value.as_str().map(|value| (key.clone(), value.to_owned())).ok_or_else(|| wrong_type(name, "a map of strings"))
                })
                .collect(),
            Some(_) => Err(wrong_type(name, "a map of strings")),
        }
    }

    /// A list of `{"Name": …, "Value": …}` attributes.
    pub fn attributes(&self, name: &str) -> Result<Vec<(String, String)>, ApiError> {
        match self.member(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let attribute_name = item.get("Name").and_then(Value::as_str);
                    let value = item.get("Value").and_then(Value::as_str).unwrap_or_default();
                    attribute_name
                        .map(|attribute_name| (attribute_name.to_owned(), value.to_owned()))
                        .ok_or_else(|| wrong_type(name, "a list of attributes with a Name"))
                })
                .collect(),
            Some(_) => Err(wrong_type(name, "a list of attributes")),
        }
    }

    /// The whole request as a typed structure, for operations whose members map onto one.
    pub fn structure<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_value(Value::Object(self.0.clone())).map_err(|error| {
            ApiError::new(axum::http::StatusCode::BAD_REQUEST, "SerializationException", error.to_string())
        })
    }

    /// A member as a typed value, if present.
    pub fn typed<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.member(name)
            .map(|value| serde_json::from_value(value.clone()).map_err(|_| wrong_type(name, "of the documented shape")))
            .transpose()
    }

    /// A nested structure, as its own `Input`.
    pub fn object(&self, name: &str) -> Result<Option<Input>, ApiError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::Object(members)) => Ok(Some(Input(members.clone()))),
            Some(_) => Err(wrong_type(name, "a structure")),
        }
    }
}
