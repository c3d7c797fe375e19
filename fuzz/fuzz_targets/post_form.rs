//! The head of a browser form upload, read for its fields in chunks of the sizes the input names.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3cognito_http::fuzzing::post_form(data);
});
