//! The XML request bodies S3 accepts here (CompleteMultipartUpload, DeleteObjects, PutBucketCors,
//! CreateBucket's configuration), read by the S3 wire layer's deserializer as a request's would be.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3s::dto::{CORSConfiguration, CompletedMultipartUpload, CreateBucketConfiguration, Delete};
use s3s::xml::{Deserialize, Deserializer};

fn read<T: for<'xml> Deserialize<'xml>>(data: &[u8]) {
    let mut deserializer = Deserializer::new(data);
    if let Ok(value) = T::deserialize(&mut deserializer) {
        let _ = deserializer.expect_eof();
        drop(value);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    match selector % 4 {
        0 => read::<CompletedMultipartUpload>(body),
        1 => read::<Delete>(body),
        2 => read::<CORSConfiguration>(body),
        _ => read::<CreateBucketConfiguration>(body),
    }
});
