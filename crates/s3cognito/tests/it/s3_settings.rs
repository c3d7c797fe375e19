//! What S3 users expect of a bucket beyond its objects, through aws-sdk-s3 on every engine: tags on buckets
//! and objects, ACLs disabled with the owner's FULL_CONTROL, Object Ownership, Block Public Access, bucket
//! policies that deny even the account's own keys, where a bucket lives, and S3's answers to a bucket left
//! with an unfinished upload and to a completion retried.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketCannedAcl, BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration, ObjectCannedAcl,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, Tag, Tagging, TaggingDirective,
};

use crate::s3::s3;
use crate::{Server, engines};

fn unique_bucket(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(|tag| (tag.key().to_owned(), tag.value().to_owned())).collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
}

#[tokio::test]
async fn unfinished_uploads_do_not_keep_a_bucket_and_a_retried_completion_succeeds_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let s3 = s3(&server);

        // A writer that crashed mid-upload leaves an upload with a part and nothing else: the bucket goes.
        let bucket = unique_bucket("crashed");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let created = s3.create_multipart_upload().bucket(&bucket).key("big.bin").send().await.unwrap();
        s3.upload_part()
            .bucket(&bucket)
            .key("big.bin")
            .upload_id(created.upload_id().unwrap())
            .part_number(1)
            .body(ByteStream::from(vec![7u8; 1024]))
            .send()
            .await
            .unwrap();
        s3.delete_bucket().bucket(&bucket).send().await.unwrap();
        let gone = s3.head_bucket().bucket(&bucket).send().await.unwrap_err();
        assert_eq!(gone.raw_response().map(|response| response.status().as_u16()), Some(404));
        // An object still keeps its bucket.
        let kept = unique_bucket("kept");
        s3.create_bucket().bucket(&kept).send().await.unwrap();
        s3.put_object().bucket(&kept).key("a").body(ByteStream::from_static(b"a")).send().await.unwrap();
        assert_eq!(s3.delete_bucket().bucket(&kept).send().await.unwrap_err().code(), Some("BucketNotEmpty"));

        // A completion retried after its answer was lost gets the same success.
        let parts = vec![vec![1u8; 5 << 20], vec![2u8; 10]];
        let created = s3.create_multipart_upload().bucket(&kept).key("joined").send().await.unwrap();
        let upload_id = created.upload_id().unwrap().to_owned();
        let mut completed = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            let number = index as i32 + 1;
            let uploaded = s3
                .upload_part()
                .bucket(&kept)
                .key("joined")
                .upload_id(&upload_id)
                .part_number(number)
                .body(ByteStream::from(part.clone()))
                .send()
                .await
                .unwrap();
            completed.push(CompletedPart::builder().part_number(number).e_tag(uploaded.e_tag().unwrap()).build());
        }
        let complete = || {
            s3.complete_multipart_upload()
                .bucket(&kept)
                .key("joined")
                .upload_id(&upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed.clone())).build())
                .send()
        };
        let first = complete().await.unwrap();
        let again = complete().await.unwrap();
        assert_eq!(first.e_tag(), again.e_tag());
        // Once the key holds something else, the upload's completion is history.
        s3.put_object().bucket(&kept).key("joined").body(ByteStream::from_static(b"newer")).send().await.unwrap();
        assert_eq!(complete().await.unwrap_err().code(), Some("NoSuchUpload"));
        server.stop();
    }
}

#[tokio::test]
async fn buckets_live_in_the_servers_region_and_listings_page_as_s3_does() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let s3 = s3(&server);

    let constrained = |constraint: &str| CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(constraint)).build();
    let refused = s3.create_bucket().bucket(unique_bucket("loc")).create_bucket_configuration(constrained("eu-west-1")).send().await.unwrap_err();
    assert_eq!(refused.code(), Some("IllegalLocationConstraintException"));
    let refused = s3.create_bucket().bucket(unique_bucket("loc")).create_bucket_configuration(constrained("us-east-1")).send().await.unwrap_err();
    assert_eq!(refused.code(), Some("InvalidLocationConstraint"));

    // us-east-1: no constraint, reported empty, and creating one's own bucket again succeeds.
    let mut names = Vec::new();
    for index in 0..3 {
        let name = format!("page{index}-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        s3.create_bucket().bucket(&name).send().await.unwrap();
        names.push(name);
    }
    s3.create_bucket().bucket(&names[0]).send().await.unwrap();
    let location = s3.get_bucket_location().bucket(&names[0]).send().await.unwrap();
    assert_eq!(location.location_constraint().map(|constraint| constraint.as_str()).unwrap_or(""), "");

    // ListBuckets a bucket at a time, by continuation token, under a prefix.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3.list_buckets().max_buckets(1).prefix("page").set_continuation_token(token.clone()).send().await.unwrap();
        assert!(page.buckets().len() <= 1);
        seen.extend(page.buckets().iter().filter_map(|bucket| bucket.name().map(str::to_owned)));
        assert_eq!(page.prefix(), Some("page"));
        match page.continuation_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(seen, expected);
    let owner = s3.list_buckets().send().await.unwrap().owner().and_then(|owner| owner.id().map(str::to_owned)).unwrap();
    assert_eq!(owner.len(), 64);

    // MaxKeys=0 is an empty page, not a truncated one; owners only when asked in version 2.
    s3.put_object().bucket(&names[1]).key("one").body(ByteStream::from_static(b"1")).send().await.unwrap();
    let empty = s3.list_objects_v2().bucket(&names[1]).max_keys(0).send().await.unwrap();
    assert!(empty.contents().is_empty());
    assert_eq!(empty.is_truncated(), Some(false));
    let plain = s3.list_objects_v2().bucket(&names[1]).send().await.unwrap();
    assert!(plain.contents()[0].owner().is_none());
    let with_owner = s3.list_objects_v2().bucket(&names[1]).fetch_owner(true).send().await.unwrap();
    assert_eq!(with_owner.contents()[0].owner().and_then(|owner| owner.id()), Some(owner.as_str()));
    let version_one = s3.list_objects().bucket(&names[1]).send().await.unwrap();
    assert_eq!(version_one.contents()[0].owner().and_then(|owner| owner.id()), Some(owner.as_str()));
    server.stop();
}

#[tokio::test]
async fn tags_on_buckets_and_objects_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let s3 = s3(&server);
        let bucket = unique_bucket("tags");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();

        // A bucket's tags: none is NoSuchTagSet; put, read back by key, removed.
        assert_eq!(s3.get_bucket_tagging().bucket(&bucket).send().await.unwrap_err().code(), Some("NoSuchTagSet"));
        let tagging = Tagging::builder().tag_set(tag("team", "storage")).tag_set(tag("cost-centre", "42")).build().unwrap();
        s3.put_bucket_tagging().bucket(&bucket).tagging(tagging).send().await.unwrap();
        let read = s3.get_bucket_tagging().bucket(&bucket).send().await.unwrap();
        assert_eq!(pairs(read.tag_set()), owned(&[("cost-centre", "42"), ("team", "storage")]));
        s3.delete_bucket_tagging().bucket(&bucket).send().await.unwrap();
        assert_eq!(s3.get_bucket_tagging().bucket(&bucket).send().await.unwrap_err().code(), Some("NoSuchTagSet"));

        // An object's tags from x-amz-tagging, counted on GET, replaced and removed.
        s3.put_object().bucket(&bucket).key("doc").tagging("kind=report&year=2026").body(ByteStream::from_static(b"d")).send().await.unwrap();
        let read = s3.get_object_tagging().bucket(&bucket).key("doc").send().await.unwrap();
        assert_eq!(pairs(read.tag_set()), owned(&[("kind", "report"), ("year", "2026")]));
        assert_eq!(s3.get_object().bucket(&bucket).key("doc").send().await.unwrap().tag_count(), Some(2));
        let eleven = (0..11).fold(Tagging::builder(), |builder, index| builder.tag_set(tag(&format!("k{index}"), "v"))).build().unwrap();
        let refused = s3.put_object_tagging().bucket(&bucket).key("doc").tagging(eleven).send().await.unwrap_err();
        assert_eq!(refused.code(), Some("InvalidTag"));
        let reserved = Tagging::builder().tag_set(tag("aws:owner", "me")).build().unwrap();
        assert_eq!(s3.put_object_tagging().bucket(&bucket).key("doc").tagging(reserved).send().await.unwrap_err().code(), Some("InvalidTag"));

        // Copies keep the source's tags unless told to replace them; a multipart upload's tags arrive on completion.
        s3.copy_object().bucket(&bucket).key("copy").copy_source(format!("{bucket}/doc")).send().await.unwrap();
        let copied = s3.get_object_tagging().bucket(&bucket).key("copy").send().await.unwrap();
        assert_eq!(pairs(copied.tag_set()), owned(&[("kind", "report"), ("year", "2026")]));
        s3.copy_object()
            .bucket(&bucket)
            .key("retagged")
            .copy_source(format!("{bucket}/doc"))
            .tagging_directive(TaggingDirective::Replace)
            .tagging("fresh=yes")
            .send()
            .await
            .unwrap();
        let retagged = s3.get_object_tagging().bucket(&bucket).key("retagged").send().await.unwrap();
        assert_eq!(pairs(retagged.tag_set()), owned(&[("fresh", "yes")]));
        let created = s3.create_multipart_upload().bucket(&bucket).key("parts").tagging("upload=multipart").send().await.unwrap();
        let uploaded = s3
            .upload_part()
            .bucket(&bucket)
            .key("parts")
            .upload_id(created.upload_id().unwrap())
            .part_number(1)
            .body(ByteStream::from_static(b"only part"))
            .send()
            .await
            .unwrap();
        s3.complete_multipart_upload()
            .bucket(&bucket)
            .key("parts")
            .upload_id(created.upload_id().unwrap())
            .multipart_upload(CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(uploaded.e_tag().unwrap()).build()).build())
            .send()
            .await
            .unwrap();
        let from_parts = s3.get_object_tagging().bucket(&bucket).key("parts").send().await.unwrap();
        assert_eq!(pairs(from_parts.tag_set()), owned(&[("upload", "multipart")]));

        s3.delete_object_tagging().bucket(&bucket).key("doc").send().await.unwrap();
        assert!(s3.get_object_tagging().bucket(&bucket).key("doc").send().await.unwrap().tag_set().is_empty());
        assert_eq!(s3.get_object().bucket(&bucket).key("doc").send().await.unwrap().tag_count(), None);
        let missing = s3.get_object_tagging().bucket(&bucket).key("missing").send().await.unwrap_err();
        assert_eq!(missing.code(), Some("NoSuchKey"));
        // Tags of a deleted object do not come back with a new one of the same key.
        s3.delete_object().bucket(&bucket).key("copy").send().await.unwrap();
        s3.put_object().bucket(&bucket).key("copy").body(ByteStream::from_static(b"again")).send().await.unwrap();
        assert!(s3.get_object_tagging().bucket(&bucket).key("copy").send().await.unwrap().tag_set().is_empty());
        server.stop();
    }
}

#[tokio::test]
async fn acls_are_disabled_and_a_bucket_policy_binds_even_the_accounts_own_keys_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let s3 = s3(&server);
        let bucket = unique_bucket("acl");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        s3.put_object().bucket(&bucket).key("open/a").body(ByteStream::from_static(b"a")).send().await.unwrap();
        s3.put_object().bucket(&bucket).key("secret/b").body(ByteStream::from_static(b"b")).send().await.unwrap();

        // The owner's FULL_CONTROL is the whole ACL; writes granting more are refused.
        let acl = s3.get_bucket_acl().bucket(&bucket).send().await.unwrap();
        let owner = acl.owner().and_then(|owner| owner.id()).unwrap().to_owned();
        assert_eq!(acl.grants().len(), 1);
        assert_eq!(acl.grants()[0].grantee().and_then(|grantee| grantee.id()), Some(owner.as_str()));
        assert_eq!(acl.grants()[0].permission().map(|permission| permission.as_str()), Some("FULL_CONTROL"));
        s3.put_bucket_acl().bucket(&bucket).acl(BucketCannedAcl::Private).send().await.unwrap();
        let refused = s3.put_bucket_acl().bucket(&bucket).acl(BucketCannedAcl::PublicRead).send().await.unwrap_err();
        assert_eq!(refused.code(), Some("AccessControlListNotSupported"));
        s3.put_object().bucket(&bucket).key("owned").acl(ObjectCannedAcl::BucketOwnerFullControl).body(ByteStream::from_static(b"o")).send().await.unwrap();
        let refused = s3.put_object().bucket(&bucket).key("public").acl(ObjectCannedAcl::PublicRead).body(ByteStream::from_static(b"p")).send().await.unwrap_err();
        assert_eq!(refused.code(), Some("AccessControlListNotSupported"));
        assert!(s3.head_object().bucket(&bucket).key("public").send().await.is_err());
        let object_acl = s3.get_object_acl().bucket(&bucket).key("owned").send().await.unwrap();
        assert_eq!(object_acl.owner().and_then(|owner| owner.id()), Some(owner.as_str()));

        // Object Ownership and Block Public Access start as S3 starts them.
        let ownership = s3.get_bucket_ownership_controls().bucket(&bucket).send().await.unwrap();
        let rules = ownership.ownership_controls().unwrap().rules();
        assert_eq!(rules[0].object_ownership(), &ObjectOwnership::BucketOwnerEnforced);
        let writer = OwnershipControls::builder().rules(OwnershipControlsRule::builder().object_ownership(ObjectOwnership::ObjectWriter).build().unwrap()).build().unwrap();
        s3.put_bucket_ownership_controls().bucket(&bucket).ownership_controls(writer).send().await.unwrap();
        let ownership = s3.get_bucket_ownership_controls().bucket(&bucket).send().await.unwrap();
        assert_eq!(ownership.ownership_controls().unwrap().rules()[0].object_ownership(), &ObjectOwnership::ObjectWriter);
        s3.delete_bucket_ownership_controls().bucket(&bucket).send().await.unwrap();
        let gone = s3.get_bucket_ownership_controls().bucket(&bucket).send().await.unwrap_err();
        assert_eq!(gone.code(), Some("OwnershipControlsNotFoundError"));
        let block = s3.get_public_access_block().bucket(&bucket).send().await.unwrap();
        let block = block.public_access_block_configuration().unwrap();
        assert_eq!(
            (block.block_public_acls(), block.ignore_public_acls(), block.block_public_policy(), block.restrict_public_buckets()),
            (Some(true), Some(true), Some(true), Some(true))
        );

        // A public policy is refused while public policies are blocked.
        let public = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
        );
        assert_eq!(s3.put_bucket_policy().bucket(&bucket).policy(&public).send().await.unwrap_err().code(), Some("AccessDenied"));
        assert_eq!(s3.get_bucket_policy().bucket(&bucket).send().await.unwrap_err().code(), Some("NoSuchBucketPolicy"));
        let elsewhere = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::another-bucket/*"}]}"#;
        assert_eq!(s3.put_bucket_policy().bucket(&bucket).policy(elsewhere).send().await.unwrap_err().code(), Some("MalformedPolicy"));

        // A Deny binds the account's own keys too, but never locks them out of the policy itself.
        let deny = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::{bucket}/secret/*"}}]}}"#
        );
        s3.put_bucket_policy().bucket(&bucket).policy(&deny).send().await.unwrap();
        assert_eq!(s3.get_object().bucket(&bucket).key("secret/b").send().await.unwrap_err().code(), Some("AccessDenied"));
        let refused = s3.put_object().bucket(&bucket).key("secret/c").body(ByteStream::from_static(b"c")).send().await.unwrap_err();
        assert_eq!(refused.code(), Some("AccessDenied"));
        s3.get_object().bucket(&bucket).key("open/a").send().await.unwrap();
        let status = s3.get_bucket_policy_status().bucket(&bucket).send().await.unwrap();
        assert_eq!(status.policy_status().and_then(|status| status.is_public()), Some(false));
        assert!(s3.get_bucket_policy().bucket(&bucket).send().await.unwrap().policy().unwrap().contains("secret/*"));
        s3.delete_bucket_policy().bucket(&bucket).send().await.unwrap();
        s3.get_object().bucket(&bucket).key("secret/b").send().await.unwrap();

        // With public policies allowed, one is kept and said to be public.
        let open = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(false)
            .restrict_public_buckets(true)
            .build();
        s3.put_public_access_block().bucket(&bucket).public_access_block_configuration(open).send().await.unwrap();
        s3.put_bucket_policy().bucket(&bucket).policy(&public).send().await.unwrap();
        let status = s3.get_bucket_policy_status().bucket(&bucket).send().await.unwrap();
        assert_eq!(status.policy_status().and_then(|status| status.is_public()), Some(true));
        s3.delete_public_access_block().bucket(&bucket).send().await.unwrap();
        let gone = s3.get_public_access_block().bucket(&bucket).send().await.unwrap_err();
        assert_eq!(gone.code(), Some("NoSuchPublicAccessBlockConfiguration"));

        // Deleting the bucket takes its settings: a new bucket of the name starts afresh.
        for key in ["open/a", "secret/b", "owned"] {
            s3.delete_object().bucket(&bucket).key(key).send().await.unwrap();
        }
        s3.delete_bucket().bucket(&bucket).send().await.unwrap();
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        assert_eq!(s3.get_bucket_policy().bucket(&bucket).send().await.unwrap_err().code(), Some("NoSuchBucketPolicy"));
        assert!(s3.get_public_access_block().bucket(&bucket).send().await.is_ok());
        server.stop();
    }
}

#[tokio::test]
async fn lifecycle_rules_are_kept_as_given_and_checked() {
    use aws_sdk_s3::types::{AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter};
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let s3 = s3(&server);
    let bucket = unique_bucket("lifecycle");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let missing = s3.get_bucket_lifecycle_configuration().bucket(&bucket).send().await.unwrap_err();
    assert_eq!(missing.code(), Some("NoSuchLifecycleConfiguration"));

    let logs = LifecycleRule::builder()
        .id("logs")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .expiration(LifecycleExpiration::builder().days(30).build())
        .build()
        .unwrap();
    let uploads = LifecycleRule::builder()
        .id("uploads")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(7).build())
        .build()
        .unwrap();
    let configuration = BucketLifecycleConfiguration::builder().rules(logs).rules(uploads).build().unwrap();
    s3.put_bucket_lifecycle_configuration().bucket(&bucket).lifecycle_configuration(configuration).send().await.unwrap();
    let read = s3.get_bucket_lifecycle_configuration().bucket(&bucket).send().await.unwrap();
    let rules = read.rules();
    assert_eq!(rules.iter().map(|rule| rule.id().unwrap_or("")).collect::<Vec<_>>(), ["logs", "uploads"]);
    assert_eq!(rules[0].filter().and_then(|filter| filter.prefix()), Some("logs/"));
    assert_eq!(rules[0].expiration().and_then(|expiration| expiration.days()), Some(30));
    assert_eq!(rules[1].abort_incomplete_multipart_upload().and_then(|abort| abort.days_after_initiation()), Some(7));

    // An object a rule will expire says when and by which rule, on PUT, HEAD and GET: the first midnight
    // UTC after its age passes the rule's days.
    let put = s3.put_object().bucket(&bucket).key("logs/today").body(b"x".to_vec().into()).send().await.unwrap();
    let day = 86_400;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let expected = |at: i64| httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(at as u64));
    let (earliest, latest) = ((now - 5 + 30 * day) / day * day + day, (now + 5 + 30 * day) / day * day + day);
    let said = put.expiration().expect("PUT answers x-amz-expiration");
    assert!(
        [earliest, latest].iter().any(|at| said == format!("expiry-date=\"{}\", rule-id=\"logs\"", expected(*at))),
        "{said}"
    );
    let head = s3.head_object().bucket(&bucket).key("logs/today").send().await.unwrap();
    assert_eq!(head.expiration(), Some(said));
    let get = s3.get_object().bucket(&bucket).key("logs/today").send().await.unwrap();
    assert_eq!(get.expiration(), Some(said));
    s3.put_object().bucket(&bucket).key("kept").body(b"x".to_vec().into()).send().await.unwrap();
    assert_eq!(s3.head_object().bucket(&bucket).key("kept").send().await.unwrap().expiration(), None);

    let never = LifecycleRule::builder()
        .id("never")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .expiration(LifecycleExpiration::builder().days(0).build())
        .build()
        .unwrap();
    let refused = s3
        .put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().rules(never).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("InvalidArgument"));
    s3.delete_bucket_lifecycle().bucket(&bucket).send().await.unwrap();
    assert!(s3.get_bucket_lifecycle_configuration().bucket(&bucket).send().await.is_err());
    let head = s3.head_object().bucket(&bucket).key("logs/today").send().await.unwrap();
    assert_eq!(head.expiration(), None, "the rules' removal is seen at once by the replica that removed them");
    server.stop();
}

#[tokio::test]
async fn conditional_writes_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let s3 = s3(&server);
        let bucket = unique_bucket("conditional");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let first = s3.put_object().bucket(&bucket).key("k").if_none_match("*").body(ByteStream::from_static(b"one")).send().await.unwrap();
        let taken = s3.put_object().bucket(&bucket).key("k").if_none_match("*").body(ByteStream::from_static(b"two")).send().await.unwrap_err();
        assert_eq!(taken.code(), Some("PreconditionFailed"));
        let stale = s3.put_object().bucket(&bucket).key("k").if_match("\"00000000000000000000000000000000\"").body(ByteStream::from_static(b"two")).send().await.unwrap_err();
        assert_eq!(stale.code(), Some("PreconditionFailed"));
        s3.put_object().bucket(&bucket).key("k").if_match(first.e_tag().unwrap()).body(ByteStream::from_static(b"two")).send().await.unwrap();
        let read = s3.get_object().bucket(&bucket).key("k").send().await.unwrap();
        assert_eq!(read.body.collect().await.unwrap().into_bytes().as_ref(), b"two");
        let missing = s3.put_object().bucket(&bucket).key("none").if_match(first.e_tag().unwrap()).body(ByteStream::from_static(b"x")).send().await.unwrap_err();
        assert_eq!(missing.code(), Some("NoSuchKey"));
        server.stop();
    }
}
