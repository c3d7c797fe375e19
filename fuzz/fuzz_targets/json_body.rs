//! The JSON protocols' request bodies, read as the cognito-idp and cognito-identity handlers read them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s3cognito_http::fuzzing::json_body(data);
});
