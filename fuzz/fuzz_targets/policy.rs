//! IAM policy documents: parsing any JSON, then evaluating what parses against requests whose action,
//! resource and condition keys come from the same input. Evaluation must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3cognito_types::policy::{PolicyDocument, RequestContext, evaluate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (document, request) = text.split_once('\u{0}').unwrap_or((&text, "s3:GetObject\narn:aws:s3:::b/k"));
    let Ok(policy) = PolicyDocument::parse(document) else { return };
    let mut fields = request.split('\n');
    let action = fields.next().unwrap_or_default();
    let resource = fields.next().unwrap_or_default();
    let mut context = RequestContext::new(action, resource);
    for pair in fields {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        context = context.with_key(key, value);
    }
    let _ = evaluate([&policy], &context);
});
