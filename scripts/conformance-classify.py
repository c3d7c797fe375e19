"""Classifies a conformance run (scripts/conformance): each test of the suite's module goes to the core or to
a feature this server deliberately does not have, by the test's pytest markers and by what it and the
module's helpers it calls do (calls, keyword arguments). Prints pass figures per class and the core's
failures with their first line of error.

    python conformance-classify.py SUITE/s3tests/functional/test_s3.py REPORT.xml
"""
import ast
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

# Markers whose tests exercise what this server does not offer, or only RGW's behaviour.
MARKERS = {
    "fails_on_aws": "RGW-only behaviour",
    "object_lock": "object lock",
    "bucket_logging": "bucket logging",
    "bucket_logging_cleanup": "bucket logging",
    "fails_without_logging_rollover": "bucket logging",
    "s3select": "S3 Select",
    "s3website": "website hosting",
    "s3website_routing_rules": "website hosting",
    "s3website_redirect_location": "website hosting",
    "sns": "notifications",
    "cloud_transition": "storage classes and transitions",
    "cloud_restore": "storage classes and transitions",
    "lifecycle_transition": "storage classes and transitions",
    "storage_class": "storage classes and transitions",
    "appendobject": "RGW-only behaviour",
}
# Calls whose presence puts a test outside the core.
CALLS = {
    "put_object_lock_configuration": "object lock",
    "put_object_retention": "object lock",
    "put_object_legal_hold": "object lock",
    "put_bucket_logging": "bucket logging",
    "put_bucket_website": "website hosting",
    "select_object_content": "S3 Select",
    "put_bucket_notification_configuration": "notifications",
    "restore_object": "storage classes and transitions",
    "get_object_lock_configuration": "object lock",
    "get_object_retention": "object lock",
    "get_object_legal_hold": "object lock",
    "get_object_torrent": "BitTorrent",
}
# Tests that expect an answer S3 itself does not give (the suite's own server's behaviour), with what S3
# answers instead, which is what this server answers.
S3_ANSWERS_OTHERWISE = {
    **dict.fromkeys(
        ["test_get_bucket_encryption_s3", "test_get_bucket_encryption_kms", "test_delete_bucket_encryption_s3", "test_delete_bucket_encryption_kms"],
        "S3 encrypts every bucket with SSE-S3 by default; GetBucketEncryption answers that configuration, not an error",
    ),
    **dict.fromkeys(
        ["test_get_bucket_policy_status", "test_get_publicpolicy_acl_bucket_policy_status", "test_get_nonpublicpolicy_acl_bucket_policy_status"],
        "S3 answers GetBucketPolicyStatus on a bucket without a policy with NoSuchBucketPolicy",
    ),
    "test_sse_kms_no_key": "S3 encrypts with the account's default KMS key when aws:kms names none",
    **dict.fromkeys(
        ["test_multipart_get_part", "test_multipart_single_get_part", "test_non_multipart_get_part"],
        "S3 answers a part number past the last part with 416 InvalidPartNumber",
    ),
    **dict.fromkeys(
        [
            "test_put_object_if_match", "test_put_current_object_if_match", "test_put_current_object_if_none_match",
            "test_put_object_current_if_match", "test_multipart_put_object_if_match",
            "test_multipart_put_current_object_if_match", "test_multipart_put_current_object_if_none_match",
        ],
        "S3 takes only '*' in If-None-Match on writes and answers an ETag there with 501 NotImplemented",
    ),
    "test_delete_marker_nonversioned": "S3 sends no x-amz-delete-marker on a 404 in a bucket that never versioned",
    "test_delete_marker_expiration": "expects lifecycle days shortened to seconds (the suite's server's debug interval)",
    "test_object_write_with_chunked_transfer_encoding": "S3 refuses a PUT with neither Content-Length nor aws-chunked encoding",
    "test_list_buckets_paginated": "expects an account without buckets; this server's account holds the bucket made at bootstrap",
    "test_multipart_copy_invalid_range": "S3 answers a copy range past the source's end with InvalidArgument (Range specified is not valid for source object of size: N)",
    "test_multipart_resend_first_finishes_last": "completes with part 1 listed twice; S3 refuses a parts list not strictly ascending with InvalidPartOrder",
    "test_object_raw_put_authenticated_expired": "presigns with a negative X-Amz-Expires, which S3 refuses as malformed (400 AuthorizationQueryParametersError: X-Amz-Expires must be non-negative)",
    "test_object_set_get_unicode_metadata": "S3 answers non-ASCII metadata values RFC 2047-encoded",
    "test_post_object_upload_checksum": "S3 refuses a form field its policy does not name (x-amz-checksum-sha256 here) with 403",
    **dict.fromkeys(
        ["test_bucket_policy_another_bucket", "test_bucketv2_policy_another_bucket"],
        "S3 refuses a bucket policy naming another bucket's resources (MalformedPolicy: Policy has invalid resource)",
    ),
}
# Public policies the failure message does not name as such: Allow with NotPrincipal grants to everyone else.
PUBLIC_POLICIES = {"test_bucket_policy_allow_notprincipal"}
# Clients of principals the suite means to be other accounts: this server has one account, whose IAM
# users they are here, so whatever the suite expects them to be refused across accounts they may do.
OTHER_ACCOUNTS = {"get_alt_client", "get_tenant_client", "get_v2_tenant_client", "get_alt_iam_client", "get_tenant_iam_client", "get_iam_alt_root_client"}
REFUSALS = {"assert_raises", "check_access_denied", "_check_access_denied"}
# Touching Block Public Access: a test that does means to test it, one that does not meets S3's default.
PUBLIC_ACCESS_BLOCK_CALLS = {"put_public_access_block", "delete_public_access_block"}
KEYWORDS = {
    "SSECustomerAlgorithm": "SSE-C",
    "CopySourceSSECustomerAlgorithm": "SSE-C",
    "ObjectLockEnabledForBucket": "object lock",
    "ObjectLockMode": "object lock",
    "ObjectLockLegalHoldStatus": "object lock",
    "AccessControlPolicy": "ACL grants and public ACLs",
    "GrantRead": "ACL grants and public ACLs",
    "GrantWrite": "ACL grants and public ACLs",
    "GrantReadACP": "ACL grants and public ACLs",
    "GrantWriteACP": "ACL grants and public ACLs",
    "GrantFullControl": "ACL grants and public ACLs",
}
PLAIN_ACLS = {"private", "bucket-owner-full-control"}


def features(node):
    """What one function does itself: the outside-core features and the names of the functions it calls."""
    found, calls = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", None)
            if name:
                calls.add(name)
                if name in CALLS:
                    found.add(CALLS[name])
            for argument in sub.args:
                # A function handed over to be called (assert_raises(..., client.op), Thread(target=f)).
                referenced = argument.attr if isinstance(argument, ast.Attribute) else getattr(argument, "id", None)
                if referenced:
                    calls.add(referenced)
                    if referenced in CALLS:
                        found.add(CALLS[referenced])
            for kw in sub.keywords:
                if kw.arg == "target" and isinstance(kw.value, ast.Name):
                    calls.add(kw.value.id)
                if kw.arg in KEYWORDS:
                    found.add(KEYWORDS[kw.arg])
                if kw.arg == "ACL" and not (isinstance(kw.value, ast.Constant) and kw.value.value in PLAIN_ACLS):
                    found.add("ACL grants and public ACLs")
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            if sub.value.startswith(("x-amz-server-side-encryption-customer", "x-amz-copy-source-server-side-encryption-customer", "SSECustomer")):
                found.add("SSE-C")
            if sub.value in ("x-amz-acl", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-full-control"):
                found.add("ACL grants and public ACLs")
    return found, calls


def main(module, report):
    tree = ast.parse(open(module).read())
    own, calls, marks = {}, {}, {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            own[node.name], calls[node.name] = features(node)
            marks[node.name] = {
                d.attr for d in node.decorator_list if isinstance(d, ast.Attribute)
            }

    def gather(table, name, seen):
        """`table`'s sets over `name` and every module function it reaches."""
        if name in seen or name not in own:
            return set()
        seen.add(name)
        out = set(table[name])
        for callee in calls[name]:
            out |= gather(table, callee, seen)
        return out

    def classify(name, message=""):
        if name in S3_ANSWERS_OTHERWISE:
            return "expects what S3 does not answer"
        for mark in sorted(marks.get(name, ())):
            if mark in MARKERS:
                return MARKERS[mark]
        found = gather(own, name, set())
        if found:
            return sorted(found)[0]
        called = gather(calls, name, set())
        if called & OTHER_ACCOUNTS and called & REFUSALS:
            return "other accounts refused (one account here)"
        if ("public policies are blocked" in message or name in PUBLIC_POLICIES) and not called & PUBLIC_ACCESS_BLOCK_CALLS:
            return "public policies, refused by default Block Public Access"
        return "core"

    results = {}
    for case in ET.parse(report).iter("testcase"):
        name = case.get("name").split("[")[0]
        if case.find("skipped") is not None:
            outcome, message = "skipped", ""
        elif case.find("failure") is not None or case.find("error") is not None:
            bad = case.find("failure") if case.find("failure") is not None else case.find("error")
            outcome, message = "failed", (bad.get("message") or "").splitlines()[0][:160] if bad.get("message") else ""
        else:
            outcome, message = "passed", ""
        results[name] = (outcome, message)

    tally = defaultdict(Counter)
    for name, (outcome, message) in results.items():
        tally[classify(name, message)][outcome] += 1
    for cls in sorted(tally, key=lambda c: (c != "core", c)):
        t = tally[cls]
        ran = t["passed"] + t["failed"]
        share = f"{100 * t['passed'] / ran:.1f}%" if ran else "-"
        print(f"{cls:36} passed {t['passed']:4} / {ran:4} ran ({share}), skipped {t['skipped']}")
    print("\ncore failures:")
    for name, (outcome, message) in sorted(results.items()):
        if outcome == "failed" and classify(name, message) == "core":
            print(f"  {name}: {message}")
    print("\nexpecting what S3 does not answer:")
    for name, (outcome, _) in sorted(results.items()):
        if name in S3_ANSWERS_OTHERWISE:
            print(f"  {name} ({outcome}): {S3_ANSWERS_OTHERWISE[name]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
