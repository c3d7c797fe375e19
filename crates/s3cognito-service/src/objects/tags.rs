//! Tags of objects and buckets: S3's limits on them, and their form in rows (a JSON array of pairs, sorted
//! by key).

use super::{ObjectError, Result};

/// The most tags an object may carry, as in S3.
pub const MAX_OBJECT_TAGS: usize = 10;
/// The most tags a bucket may carry, as in S3.
pub const MAX_BUCKET_TAGS: usize = 50;
/// The longest tag key, in characters.
pub const MAX_KEY_CHARS: usize = 128;
/// The longest tag value, in characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// A set of tags, sorted by key (the order reads answer them in, whatever order they were given in); keys
/// are unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<(String, String)>);

/// What is tagged, which decides how many tags it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    Object,
    Bucket,
}

fn invalid(message: impl Into<String>) -> ObjectError {
    ObjectError::InvalidTag(message.into())
}

impl Tags {
    /// `pairs` as tags of `tagged`, checked against S3's rules: at most 10 on an object and 50 on a bucket,
    /// keys of 1 to 128 characters and values of at most 256, no key twice, none in the reserved `aws:`
    /// namespace.
    pub fn new(mut pairs: Vec<(String, String)>, tagged: Tagged) -> Result<Tags> {
        match tagged {
            Tagged::Object if pairs.len() > MAX_OBJECT_TAGS => return Err(invalid("Object tags cannot be greater than 10")),
            Tagged::Bucket if pairs.len() > MAX_BUCKET_TAGS => return Err(invalid("Bucket tag count cannot be greater than 50")),
            _ => {}
        }
        for (index, (key, value)) in pairs.iter().enumerate() {
            if key.is_empty() {
                return Err(invalid("The TagKey you have provided is invalid"));
            }
            if key.chars().count() > MAX_KEY_CHARS {
                return Err(invalid("The TagKey you have provided is too long, max 128"));
            }
            if value.chars().count() > MAX_VALUE_CHARS {
                return Err(invalid("The TagValue you have provided is too long, max 256"));
            }
            if key.to_ascii_lowercase().starts_with("aws:") {
                return Err(invalid("Your TagKey cannot be prefixed with aws:"));
            }
            if pairs[..index].iter().any(|(earlier, _)| earlier == key) {
                return Err(invalid("Cannot provide multiple Tags with the same key"));
            }
        }
        pairs.sort_by(|(one, _), (other, _)| one.cmp(other));
        Ok(Tags(pairs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The value of the tag `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    /// The row's form: `None` for no tags.
    pub(super) fn to_column(&self) -> Result<Option<String>> {
        if self.0.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::to_string(&self.0)?))
    }

    /// Tags from a row's column, as `to_column` wrote them.
    pub(super) fn from_column(column: Option<&str>) -> Result<Tags> {
        match column {
            None => Ok(Tags::default()),
            Some(text) => {
                // Rows written before tags were kept sorted hold them in the order given.
                let mut pairs: Vec<(String, String)> = serde_json::from_str(text)?;
                pairs.sort_by(|(one, _), (other, _)| one.cmp(other));
                Ok(Tags(pairs))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(count: usize) -> Vec<(String, String)> {
        (0..count).map(|index| (format!("key{index}"), format!("value{index}"))).collect()
    }

    #[test]
    fn an_object_takes_ten_tags_and_a_bucket_fifty() {
        assert!(Tags::new(pairs(10), Tagged::Object).is_ok());
        assert!(matches!(Tags::new(pairs(11), Tagged::Object), Err(ObjectError::InvalidTag(_))));
        assert!(Tags::new(pairs(50), Tagged::Bucket).is_ok());
        assert!(matches!(Tags::new(pairs(51), Tagged::Bucket), Err(ObjectError::InvalidTag(_))));
    }

    #[test]
    fn keys_and_values_have_their_lengths_and_keys_are_unique_and_not_reserved() {
        let long_key = "k".repeat(128);
        let long_value = "v".repeat(256);
        assert!(Tags::new(vec![(long_key.clone(), long_value.clone())], Tagged::Object).is_ok());
        for refused in [
            vec![(format!("{long_key}k"), String::new())],
            vec![("key".to_owned(), format!("{long_value}v"))],
            vec![(String::new(), "value".to_owned())],
            vec![("aws:cloudformation".to_owned(), "x".to_owned())],
            vec![("AWS:x".to_owned(), "x".to_owned())],
            vec![("same".to_owned(), "1".to_owned()), ("same".to_owned(), "2".to_owned())],
        ] {
            assert!(matches!(Tags::new(refused.clone(), Tagged::Object), Err(ObjectError::InvalidTag(_))), "{refused:?}");
        }
    }

    #[test]
    fn tags_are_sorted_by_key_rows_too_and_no_tags_is_no_column() {
        let pairs = vec![("b".to_owned(), "2".to_owned()), ("a".to_owned(), "one two".to_owned()), ("empty".to_owned(), String::new())];
        let tags = Tags::new(pairs.clone(), Tagged::Object).unwrap();
        let sorted = [("a".to_owned(), "one two".to_owned()), ("b".to_owned(), "2".to_owned()), ("empty".to_owned(), String::new())];
        assert_eq!(tags.pairs(), sorted.as_slice());
        assert_eq!(Tags::from_column(tags.to_column().unwrap().as_deref()).unwrap(), tags);
        // A row written in the order given, before tags were kept sorted, reads back sorted.
        let earlier = Tags::from_column(Some(r#"[["b","2"],["a","one two"]]"#)).unwrap();
        assert_eq!(earlier.pairs(), &sorted[..2]);
        assert_eq!(Tags::default().to_column().unwrap(), None);
    }
}
