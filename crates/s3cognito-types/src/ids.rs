//! Validated identifiers: user pools, app clients, usernames and groups.

use std::fmt;

/// A name or id that does not have the shape its kind requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct InvalidName {
    pub kind: &'static str,
    pub reason: &'static str,
}

/// Declares a string newtype whose constructor checks the shape once.
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, InvalidName> {
                let value = value.into();
                let check: fn(&str) -> Result<(), &'static str> = $check;
                check(&value).map_err(|reason| InvalidName { kind: $kind, reason })?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

const EMPTY: &str = "must not be empty";
const TOO_LONG: &str = "is too long";

/// Which rule a name broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    Empty,
    TooLong,
    /// Its characters or their arrangement.
    Shape,
}

impl InvalidName {
    pub fn violation(&self) -> Violation {
        match self.reason {
            EMPTY => Violation::Empty,
            TOO_LONG => Violation::TooLong,
            _ => Violation::Shape,
        }
    }
}

fn check_length(value: &str, max: usize) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err(EMPTY);
    }
    if value.chars().count() > max {
        return Err(TOO_LONG);
    }
    Ok(())
}

/// Cognito allows letters, marks, symbols, numbers and punctuation: anything printable but spaces.
fn check_printable(value: &str) -> Result<(), &'static str> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    Ok(())
}

name_type!(
    /// `<region>_<alphanumerics>`, as Cognito mints them (`us-east-1_AbC123xyz`).
    UserPoolId,
    "user pool id",
    |value| {
        check_length(value, 55)?;
        let (region, suffix) = value.split_once('_').ok_or("must be <region>_<id>")?;
        let region_ok = !region.is_empty()
            && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let suffix_ok = !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_alphanumeric());
        if region_ok && suffix_ok { Ok(()) } else { Err("must be <region>_<alphanumerics>") }
    }
);

impl UserPoolId {
    /// The region the pool lives in: the part before `_`.
    pub fn region(&self) -> &str {
        self.0.split_once('_').map(|(region, _)| region).unwrap_or_default()
    }

    /// The part after `_`; SRP's `x` is computed over it.
    pub fn suffix(&self) -> &str {
        self.0.split_once('_').map(|(_, suffix)| suffix).unwrap_or_default()
    }
}

name_type!(
    /// An app client id: word characters and `+`, up to 128.
    ClientId,
    "client id",
    |value| {
        check_length(value, 128)?;
        if value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+') {
            Ok(())
        } else {
            Err("must contain only letters, digits, '_' and '+'")
        }
    }
);

name_type!(
    /// A user's name as given at sign-up or admin creation (case-sensitive, as in a default Cognito pool).
    Username,
    "username",
    |value| {
        check_length(value, 128)?;
        check_printable(value)
    }
);

name_type!(
    /// A user pool group's name.
    GroupName,
    "group name",
    |value| {
        check_length(value, 128)?;
        check_printable(value)
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_pool_ids() {
        for (value, ok) in [
            ("us-east-1_AbC123xyz", true),
            ("eu-west-3_x", true),
            ("us-east-1", false),
            ("us-east-1_", false),
            ("_abc", false),
            ("us-east-1_ab-c", false),
            ("US-east-1_abc", false),
            ("", false),
        ] {
            assert_eq!(UserPoolId::parse(value).is_ok(), ok, "{value}");
        }
        let id = UserPoolId::parse("us-east-1_AbC123xyz").unwrap();
        assert_eq!((id.region(), id.suffix()), ("us-east-1", "AbC123xyz"));
    }

    #[test]
    fn usernames_and_groups() {
        for (value, ok) in [
            ("demo", true),
            ("demo@example.com", true),
            ("名前", true),
            ("two words", false),
            ("tab\tname", false),
            ("", false),
        ] {
            assert_eq!(Username::parse(value).is_ok(), ok, "{value}");
            assert_eq!(GroupName::parse(value).is_ok(), ok, "{value}");
        }
        assert!(Username::parse("a".repeat(128)).is_ok());
        assert!(Username::parse("a".repeat(129)).is_err());
    }

    #[test]
    fn client_ids() {
        assert!(ClientId::parse("1example23456789abcdefghij").is_ok());
        assert!(ClientId::parse("bad-id").is_err());
        assert!(ClientId::parse("").is_err());
    }
}

name_type!(
    /// An S3 bucket name by AWS's rules: 3 to 63 lowercase letters, digits, `.` and `-`, starting and
    /// ending with a letter or digit, no `..`, not an IP address, none of the reserved prefixes and
    /// suffixes.
    BucketName,
    "bucket name",
    |value| {
        const RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
        const RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", "--x-s3", "--table-s3"];
        let alphanumeric = |byte: Option<&u8>| byte.is_some_and(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit());
        if !(3..64).contains(&value.len()) {
            return Err("must be 3 to 63 characters long");
        }
        if !value.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'.' || byte == b'-') {
            return Err("may contain only lowercase letters, digits, '.' and '-'");
        }
        if !alphanumeric(value.as_bytes().first()) || !alphanumeric(value.as_bytes().last()) {
            return Err("must start and end with a letter or digit");
        }
        if value.contains("..") || value.parse::<std::net::IpAddr>().is_ok() {
            return Err("must not contain '..' or be an IP address");
        }
        if RESERVED_PREFIXES.iter().any(|prefix| value.starts_with(prefix))
            || RESERVED_SUFFIXES.iter().any(|suffix| value.ends_with(suffix))
        {
            return Err("uses a reserved prefix or suffix");
        }
        Ok(())
    }
);

/// A bucket name is read as text wherever it is stored or shown; only making one needs `parse`.
impl std::ops::Deref for BucketName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

name_type!(
    /// An S3 object key: 1 to 1,024 bytes of UTF-8, any characters (S3 stores `..`, control characters and
    /// leading slashes as given; a namespace with stricter rules checks them itself).
    ObjectKey,
    "object key",
    |value| {
        if value.is_empty() {
            return Err(EMPTY);
        }
        if value.len() > 1024 {
            return Err(TOO_LONG);
        }
        Ok(())
    }
);

/// A key is read as text wherever it is stored, listed or signed; only making one needs `parse`.
impl std::ops::Deref for ObjectKey {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

name_type!(
    /// A file name as a user gives it to the upload routes: a relative path of `/`-separated segments
    /// placed under the user's own namespace. Nothing that could escape it or mean something else there
    /// is taken, and nothing is normalised: no empty, `.` or `..` segment (so no leading, trailing or
    /// doubled `/`), no control character, at most 1,024 bytes.
    FileName,
    "file name",
    |value| {
        if value.is_empty() {
            return Err(EMPTY);
        }
        if value.len() > 1024 {
            return Err(TOO_LONG);
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters");
        }
        if value.starts_with('/') {
            return Err("must be a relative path");
        }
        if value.split('/').any(|segment| segment.is_empty() || segment == "." || segment == "..") {
            return Err("must not contain empty, `.` or `..` path segments");
        }
        Ok(())
    }
);

impl std::ops::Deref for FileName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl FileName {
    /// The last segment: what the file is called without its folders.
    pub fn base_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

#[cfg(test)]
mod file_name_tests {
    use super::*;

    #[test]
    fn file_names_stay_inside_their_namespace() {
        for (value, ok) in [
            ("image.jpg", true),
            ("photos/2026/summer.png", true),
            ("名前 with spaces & symbols!.txt", true),
            ("..hidden", true),
            ("a..b", true),
            ("", false),
            ("/etc/passwd", false),
            ("../other/x", false),
            ("a/../../b", false),
            ("a/./b", false),
            (".", false),
            ("a//b", false),
            ("folder/", false),
            ("line\nbreak", false),
            ("nul\0", false),
            ("del\u{7f}", false),
        ] {
            assert_eq!(FileName::parse(value).is_ok(), ok, "{value:?}");
        }
        assert!(FileName::parse("x".repeat(1024)).is_ok());
        assert!(FileName::parse("x".repeat(1025)).is_err());
        assert_eq!(FileName::parse("a/b/c.txt").unwrap().base_name(), "c.txt");
    }
}
