//! Listing: keys under a prefix, rolled up into common prefixes at a delimiter, a page at a time.

use s3cognito_meta::prefix_successor;
use s3cognito_types::BucketName;

use super::{ObjectInfo, Objects, Result};

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix on the page; the next page starts after it.
    pub last: Option<String>,
}

/// How many rows to read from the store at a time while filling a page.
pub(super) const BATCH: i64 = 1000;

/// The common prefix `key` (which starts with `prefix`) rolls up into at `delimiter`: up to and including the
/// first delimiter past the prefix; `None` when it has none there (or there is no delimiter).
pub(super) fn common_prefix(key: &str, prefix: &str, delimiter: Option<&str>) -> Option<String> {
    let delimiter = delimiter.filter(|delimiter| !delimiter.is_empty())?;
    key[prefix.len()..].find(delimiter).map(|position| key[..prefix.len() + position + delimiter.len()].to_owned())
}

/// Where a listing resuming after `marker` starts when the marker is a common prefix (a page ended on it):
/// past every key under it. `None` when it is not one.
pub(super) fn past_common_prefix(marker: &str, prefix: &str, delimiter: Option<&str>) -> Option<String> {
    let delimiter = delimiter.filter(|delimiter| !delimiter.is_empty())?;
    let rolled_up = marker.starts_with(prefix) && marker.ends_with(delimiter) && marker[prefix.len()..].contains(delimiter);
    if rolled_up { prefix_successor(marker) } else { None }
}

impl Objects {
    /// Keys starting with `prefix` after `after`, at most `max_keys` entries (objects and common
    /// prefixes together), with keys that contain `delimiter` past the prefix rolled up.
    pub async fn list(
        &self,
        bucket: &BucketName,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max_keys: usize,
    ) -> Result<ListPage> {
        self.bucket(bucket).await?;
        let mut page = ListPage::default();
        // S3 answers a listing of no keys with an empty page that is not truncated.
        if max_keys == 0 {
            return Ok(page);
        }
        // Keys still to consider: after `after_key` (exclusive) and from `from` (inclusive).
        let mut after_key = after.unwrap_or_default().to_owned();
        let mut from = after.and_then(|after| past_common_prefix(after, prefix, delimiter)).unwrap_or_default();
        loop {
            let batch = self.store.list_objects(bucket, prefix, &after_key, &from, BATCH).await?;
            let exhausted = (batch.len() as i64) < BATCH;
            let mut skipped_to = None;
            for record in &batch {
                let rolled_up = common_prefix(&record.key, prefix, delimiter);
                if page.objects.len() + page.common_prefixes.len() == max_keys {
                    page.truncated = true;
                    return Ok(page);
                }
                match rolled_up {
                    Some(common) => {
                        page.last = Some(common.clone());
                        page.common_prefixes.push(common.clone());
                        match prefix_successor(&common) {
                            Some(next) => {
                                skipped_to = Some(next);
                                break;
                            }
                            None => return Ok(page),
                        }
                    }
                    None => {
                        page.last = Some(record.key.clone());
                        page.objects.push(ObjectInfo::from_record(record)?);
                    }
                }
            }
            match skipped_to {
                Some(next) => from = next,
                None if exhausted => return Ok(page),
                None => after_key = batch.last().map(|record| record.key.clone()).unwrap_or_default(),
            }
        }
    }
}
