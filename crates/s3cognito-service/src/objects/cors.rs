//! A bucket's CORS rules: stored with the bucket, matched against a browser's request as S3 does.

use s3cognito_types::BucketName;

use super::{ObjectError, Objects, Result};

/// One rule, as S3's CORSRule has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

/// What to answer a browser whose request a rule allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsGrant {
    /// The request's origin, or `*` when the rule allows any.
    pub allow_origin: String,
    pub allow_methods: Vec<String>,
    /// The requested headers, all allowed.
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

/// A pattern with at most one `*`, matched case-insensitively when asked.
fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (pattern, value) =
        if ignore_case { (pattern.to_ascii_lowercase(), value.to_ascii_lowercase()) } else { (pattern.to_owned(), value.to_owned()) };
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => value.len() >= head.len() + tail.len() && value.starts_with(head) && value.ends_with(tail),
    }
}

/// Checks a configuration as S3 does when it is put.
pub fn check_rules(rules: &[CorsRule]) -> Result<()> {
    if rules.is_empty() || rules.len() > 100 {
        return Err(ObjectError::InvalidRequest("A CORS configuration holds between 1 and 100 rules".to_owned()));
    }
    for rule in rules {
        if let Some(method) = rule.allowed_methods.iter().find(|method| !METHODS.contains(&method.as_str())) {
            return Err(ObjectError::InvalidRequest(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {method}"
            )));
        }
        if rule.allowed_methods.is_empty() || rule.allowed_origins.is_empty() {
            return Err(ObjectError::InvalidRequest("Every CORS rule needs an AllowedOrigin and an AllowedMethod".to_owned()));
        }
        let too_many_wildcards = |values: &Vec<String>| values.iter().any(|value| value.matches('*').count() > 1);
        if too_many_wildcards(&rule.allowed_origins) || too_many_wildcards(&rule.allowed_headers) {
            return Err(ObjectError::InvalidRequest("A CORS origin or header may contain at most one wildcard".to_owned()));
        }
    }
    Ok(())
}

/// The first rule allowing `origin` to use `method` with `request_headers`, as S3 picks it.
pub fn grant(rules: &[CorsRule], origin: &str, method: &str, request_headers: &[String]) -> Option<CorsGrant> {
    rules.iter().find_map(|rule| {
        let origin_pattern = rule.allowed_origins.iter().find(|pattern| wildcard_match(pattern, origin, false))?;
        if !rule.allowed_methods.iter().any(|allowed| allowed.eq_ignore_ascii_case(method)) {
            return None;
        }
        let headers_allowed = request_headers
            .iter()
            .all(|header| rule.allowed_headers.iter().any(|pattern| wildcard_match(pattern, header, true)));
        if !headers_allowed {
            return None;
        }
        Some(CorsGrant {
            allow_origin: if origin_pattern == "*" { "*".to_owned() } else { origin.to_owned() },
            allow_methods: rule.allowed_methods.clone(),
            allow_headers: request_headers.to_vec(),
            expose_headers: rule.expose_headers.clone(),
            max_age_seconds: rule.max_age_seconds,
        })
    })
}

/// What the bootstrap bucket allows: a browser upload page on any origin, seeing ETags.
pub fn upload_page_rules() -> Vec<CorsRule> {
    vec![CorsRule {
        id: Some("s3cognito-upload-page".to_owned()),
        allowed_origins: vec!["*".to_owned()],
        allowed_methods: METHODS.iter().map(|method| method.to_string()).collect(),
        allowed_headers: vec!["*".to_owned()],
        expose_headers: ["ETag", "Location", "x-amz-request-id", "x-amz-version-id", "x-amz-checksum-crc32"].map(str::to_owned).to_vec(),
        max_age_seconds: Some(3000),
    }]
}

impl Objects {
    pub async fn put_bucket_cors(&self, bucket: &BucketName, rules: Vec<CorsRule>) -> Result<()> {
        check_rules(&rules)?;
        let text = super::stored::write_cors(&rules)?;
        if !self.store.set_bucket_cors(bucket, Some(&text)).await? {
            return Err(ObjectError::NoSuchBucket);
        }
        Ok(())
    }

    pub async fn delete_bucket_cors(&self, bucket: &BucketName) -> Result<()> {
        if !self.store.set_bucket_cors(bucket, None).await? {
            return Err(ObjectError::NoSuchBucket);
        }
        Ok(())
    }

    /// The bucket's rules; `None` when it has none.
    pub async fn bucket_cors(&self, bucket: &BucketName) -> Result<Option<Vec<CorsRule>>> {
        let record = self.store.bucket(bucket).await?.ok_or(ObjectError::NoSuchBucket)?;
        record.cors.as_deref().map(super::stored::read_cors).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        CorsRule {
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            allowed_methods: methods.iter().map(|m| m.to_string()).collect(),
            allowed_headers: headers.iter().map(|h| h.to_string()).collect(),
            ..CorsRule::default()
        }
    }

    #[test]
    fn rules_match_like_s3() {
        let rules = vec![rule(&["https://*.example.com"], &["PUT"], &["content-type", "x-amz-*"]), rule(&["*"], &["GET"], &[])];
        let grant_for = |origin: &str, method: &str, headers: &[&str]| {
            grant(&rules, origin, method, &headers.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        };
        let put = grant_for("https://app.example.com", "PUT", &["Content-Type", "x-amz-date"]).unwrap();
        assert_eq!(put.allow_origin, "https://app.example.com");
        assert!(grant_for("https://app.example.org", "PUT", &[]).is_none());
        assert!(grant_for("https://app.example.com", "PUT", &["authorization"]).is_none());
        assert!(grant_for("https://app.example.com", "DELETE", &[]).is_none());
        assert_eq!(grant_for("http://anything", "GET", &[]).unwrap().allow_origin, "*");
        assert!(grant_for("http://anything", "GET", &["x-custom"]).is_none());
    }

    #[test]
    fn bad_configurations_are_refused() {
        assert!(check_rules(&[]).is_err());
        assert!(check_rules(&[rule(&["*"], &["PATCH"], &[])]).is_err());
        assert!(check_rules(&[rule(&["https://*.*.com"], &["GET"], &[])]).is_err());
        assert!(check_rules(&upload_page_rules()).is_ok());
    }
}
