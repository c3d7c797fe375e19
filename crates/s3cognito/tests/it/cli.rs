//! The client commands as the README shows them, but for the configuration file's place: config,
//! signup, confirm (with the code from the outbox), then an SRP sign-in.

use std::process::Command;

use crate::Server;

fn s3cognito(profile: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_s3cognito"))
        .args(args)
        .env("S3COGNITO_CLIENT_CONFIG", profile)
        .output()
        .expect("the binary runs")
}

fn succeeds(output: std::process::Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The 6-digit code in the newest outbox message to `address`.
fn code_for(server: &Server, address: &str) -> String {
    let mut messages: Vec<_> = std::fs::read_dir(server.data.join("outbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .collect();
    messages.sort();
    let text = messages
        .iter()
        .rev()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .find(|text| text.contains(&format!("To: {address}")))
        .expect("a message to that address");
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    body.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).expect("a code").to_owned()
}

#[tokio::test]
async fn config_signup_confirm_then_sign_in_with_srp() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = data.path().join("client.json");
    let exports = data.path().join("aws-exports.json");
    succeeds(s3cognito(&profile, &["config", "--set", exports.to_str().unwrap(), "--usr", "carol", "--pwd", "Carol-Pass-123"]));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&profile).unwrap().permissions().mode() & 0o777, 0o600);
    succeeds(s3cognito(&profile, &["signup", "--usr", "carol", "--pwd", "Carol-Pass-123", "--email", "carol@example.com"]));
    let refused = s3cognito(&profile, &["login"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("UserNotConfirmedException"));
    let code = code_for(&server, "carol@example.com");
    succeeds(s3cognito(&profile, &["confirm", "--usr", "carol", "--code", &code]));
    let id_token = succeeds(s3cognito(&profile, &["login"]));
    let claims = s3cognito_crypto::jwt::decode_unverified(id_token.trim()).unwrap();
    assert_eq!(claims["cognito:username"], "carol");
    assert_eq!(claims["token_use"], "id");
    let wrong = s3cognito(&profile, &["login", "--pwd", "Wrong-Pass-123"]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("NotAuthorizedException"));
    server.stop();
}

/// The four commands a user of the client runs, as they are written: config, signup, confirm (the code
/// from the outbox), then upload; the files land in the user's own namespace and their jobs are Done,
/// with the original file names.
#[tokio::test]
async fn the_four_commands_then_upload_store_the_files_and_record_their_jobs() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = data.path().join("client.json");
    let exports = data.path().join("aws-exports.json");
    succeeds(s3cognito(&profile, &["config", "--set", exports.to_str().unwrap(), "--usr", "dave", "--pwd", "Dave-Pass-123"]));
    succeeds(s3cognito(&profile, &["signup", "--usr", "dave", "--pwd", "Dave-Pass-123", "--email", "dave@example.com"]));
    let code = code_for(&server, "dave@example.com");
    succeeds(s3cognito(&profile, &["confirm", "--usr", "dave", "--code", &code]));

    // A small file goes in one PUT; a 13 MiB one in parts (two of 5 MiB and the rest).
    let small = data.path().join("notes.txt");
    std::fs::write(&small, b"a small file").unwrap();
    let large = data.path().join("video.bin");
    let bytes: Vec<u8> = (0..13u32 << 20).map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(&large, &bytes).unwrap();
    let printed = succeeds(s3cognito(&profile, &["upload", small.to_str().unwrap(), large.to_str().unwrap(), "--part-size-mib", "5"]));
    let keys: Vec<&str> = printed.lines().collect();
    assert_eq!(keys.len(), 2, "{printed}");
    // Signed in once, the session's refresh token is kept in the password's place.
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    assert_eq!(saved["password"], serde_json::Value::Null, "{saved}");
    assert!(saved["refreshToken"].as_str().is_some_and(|token| !token.is_empty()), "{saved}");
    assert!(keys[0].starts_with("private/us-east-1:") && keys[0].ends_with("/notes.txt"), "{printed}");
    assert_eq!(keys[1].rsplit_once('/').unwrap().0, keys[0].rsplit_once('/').unwrap().0, "one namespace");

    let s3 = crate::s3::s3(&server);
    let bucket = server.exports["aws_user_files_s3_bucket"].as_str().unwrap();
    let read = s3.get_object().bucket(bucket).key(keys[1]).send().await.unwrap();
    assert!(read.e_tag().unwrap().ends_with("-3\""), "a multipart object of three parts: {:?}", read.e_tag());
    assert_eq!(read.body.collect().await.unwrap().into_bytes().as_ref(), bytes.as_slice());

    // The jobs, as the database holds them: one per file, Done, with the file's own name.
    sqlx::any::install_default_drivers();
    let url = format!("sqlite:{}", data.path().join("meta.db").display());
    let database = sqlx::AnyPool::connect(&url).await.unwrap();
    let rows: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT username, obj_key, file_name, status FROM upload_jobs ORDER BY obj_key")
            .fetch_all(&database)
            .await
            .unwrap();
    database.close().await;
    let expected: Vec<(String, String, String, String)> = vec![
        ("dave".to_owned(), keys[0].to_owned(), "notes.txt".to_owned(), "Done".to_owned()),
        ("dave".to_owned(), keys[1].to_owned(), "video.bin".to_owned(), "Done".to_owned()),
    ];
    assert_eq!(rows, expected);

    // Beside upload: ls, download (streamed, checked), presign (a URL that works with nothing else), jobs, rm.
    let listed = succeeds(s3cognito(&profile, &["ls"]));
    let names: Vec<&str> = listed.lines().map(|line| line.rsplit("  ").next().unwrap()).collect();
    assert_eq!(names, ["notes.txt", "video.bin"], "{listed}");
    let copy = data.path().join("copy.bin");
    succeeds(s3cognito(&profile, &["download", "video.bin", copy.to_str().unwrap()]));
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    let url = succeeds(s3cognito(&profile, &["presign", "notes.txt", "--expires", "600"]));
    assert!(url.contains("X-Amz-Signature=") && url.contains("X-Amz-Security-Token="), "{url}");
    assert_eq!(http_get(url.trim()).await, (200, b"a small file".to_vec()));
    let shared: serde_json::Value = serde_json::from_str(&succeeds(s3cognito(&profile, &["presign", "notes.txt", "--json"]))).unwrap();
    assert!(shared["url"].as_str().is_some_and(|url| url.contains("X-Amz-Signature=")), "{shared}");
    let jobs: serde_json::Value = serde_json::from_str(&succeeds(s3cognito(&profile, &["jobs", "--json"]))).unwrap();
    let names: Vec<&str> = jobs.as_array().unwrap().iter().map(|job| job["fileName"].as_str().unwrap()).collect();
    assert_eq!(names, ["notes.txt", "video.bin"]);
    let again: serde_json::Value = serde_json::from_str(&succeeds(s3cognito(&profile, &["upload", small.to_str().unwrap(), "--json"]))).unwrap();
    assert_eq!((again["key"].as_str(), again["size"].as_u64(), again["parts"].as_u64()), (Some(keys[0]), Some(12), Some(1)), "{again}");
    let removed: serde_json::Value = serde_json::from_str(&succeeds(s3cognito(&profile, &["rm", "notes.txt", "--json"]))).unwrap();
    assert_eq!(removed["removed"], "notes.txt");
    let again = s3cognito(&profile, &["rm", "notes.txt"]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("notes.txt"));
    assert_eq!(again.status.code(), Some(4), "not found");
    let escape = s3cognito(&profile, &["download", "../other/x"]);
    assert!(!escape.status.success() && String::from_utf8_lossy(&escape.stderr).contains("not a name in your folder"));

    let missing = s3cognito(&profile, &["upload", data.path().join("absent.bin").to_str().unwrap()]);
    assert!(!missing.status.success());
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(said.contains("absent.bin"), "the error names the file: {said}");
    server.stop();
}

/// GETs `url` with nothing but the URL, as whoever it is shared with would.
async fn http_get(url: &str) -> (u16, Vec<u8>) {
    use http_body_util::{BodyExt, Empty};
    let client: hyper_util::client::legacy::Client<_, Empty<hyper::body::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// The account commands beside the four: a new code, whoami, a forgotten password reset by mail, and
/// logout, which signs out everywhere and forgets the saved password.
#[tokio::test]
async fn resend_code_whoami_reset_password_and_logout() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = data.path().join("client.json");
    let exports = data.path().join("aws-exports.json");
    succeeds(s3cognito(&profile, &["config", "--set", exports.to_str().unwrap(), "--usr", "erin", "--pwd", "Erin-Pass-123"]));
    succeeds(s3cognito(&profile, &["signup", "--usr", "erin", "--pwd", "Erin-Pass-123", "--email", "erin@example.com"]));
    let first = code_for(&server, "erin@example.com");
    let said = succeeds(s3cognito(&profile, &["resend-code"]));
    assert!(said.contains("s3cognito confirm --usr erin"), "{said}");
    let second = code_for(&server, "erin@example.com");
    let stale = s3cognito(&profile, &["confirm", "--usr", "erin", "--code", if first == second { "000000" } else { &first }]);
    assert!(!stale.status.success());
    assert_eq!(stale.status.code(), Some(3), "refused by the service");
    let said = String::from_utf8_lossy(&stale.stderr);
    assert!(said.starts_with("s3cognito: the code is wrong; get a new one with `s3cognito resend-code"), "{said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    succeeds(s3cognito(&profile, &["confirm", "--usr", "erin", "--code", &second]));

    let shown: serde_json::Value = serde_json::from_str(&succeeds(s3cognito(&profile, &["whoami", "--json"]))).unwrap();
    assert_eq!(shown["username"], "erin");
    assert_eq!(shown["attributes"]["email"], "erin@example.com");
    assert!(shown["identityId"].as_str().unwrap().starts_with("us-east-1:"));

    succeeds(s3cognito(&profile, &["forgot-password"]));
    let code = code_for(&server, "erin@example.com");
    succeeds(s3cognito(&profile, &["reset-password", "--code", &code, "--pwd", "Erin-New-Pass-456"]));
    // The saved password is the new one: commands that sign in still work.
    succeeds(s3cognito(&profile, &["whoami"]));
    let old = s3cognito(&profile, &["login", "--pwd", "Erin-Pass-123"]);
    assert!(!old.status.success(), "the old password is gone");

    succeeds(s3cognito(&profile, &["logout"]));
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    assert_eq!(saved["password"], serde_json::Value::Null, "the password is forgotten");
    let after = s3cognito(&profile, &["ls"]);
    assert!(!after.status.success() && String::from_utf8_lossy(&after.stderr).contains("no password saved"));
    server.stop();
}

/// A user signed up and confirmed with the commands, and the profile that holds them.
fn confirmed_user(server: &Server, data: &std::path::Path, name: &str) -> std::path::PathBuf {
    let profile = data.join(format!("{name}.json"));
    let exports = data.join("aws-exports.json");
    let password = "Resume-Pass-123";
    let email = format!("{name}@example.com");
    succeeds(s3cognito(&profile, &["config", "--set", exports.to_str().unwrap(), "--usr", name, "--pwd", password]));
    succeeds(s3cognito(&profile, &["signup", "--usr", name, "--pwd", password, "--email", &email]));
    let code = code_for(server, &email);
    succeeds(s3cognito(&profile, &["confirm", "--usr", name, "--code", &code]));
    profile
}

/// The parts the server holds of unfinished uploads: number and blob.
async fn stored_parts(database: &sqlx::AnyPool) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT part_number, blob_id FROM upload_parts ORDER BY part_number").fetch_all(database).await.unwrap()
}

/// Starts uploading `file` in eight parts of 5 MiB, one at a time at 10 MiB a second, and stops it dead
/// once two are stored; the parts the server then holds.
async fn killed_upload(profile: &std::path::Path, file: &std::path::Path, database: &sqlx::AnyPool) -> Vec<(i64, String)> {
    killed_upload_with(profile, file, database, &[]).await
}

async fn killed_upload_with(profile: &std::path::Path, file: &std::path::Path, database: &sqlx::AnyPool, extra: &[&str]) -> Vec<(i64, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3cognito"))
        .args(["upload", file.to_str().unwrap(), "--part-size-mib", "5", "--parallel", "1", "--max-rate-mib", "10"])
        .args(extra)
        .env("S3COGNITO_CLIENT_CONFIG", profile)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while stored_parts(database).await.len() < 2 {
        assert!(child.try_wait().unwrap().is_none(), "the upload ended before it could be stopped");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // A part whose bytes had all arrived is still stored.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stored_parts(database).await
}

/// An upload killed part-way, run again, continues: the parts stored before are not sent again (the
/// object is made of the very blobs the server stored for them) and the object is the file, byte for byte.
#[tokio::test]
async fn an_interrupted_upload_run_again_sends_only_the_parts_not_yet_stored() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = confirmed_user(&server, data.path(), "frank");
    let file = data.path().join("backup.bin");
    let bytes: Vec<u8> = (0..40u32 << 20).map(|index| (index.wrapping_mul(2_246_822_519) >> 24) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();

    sqlx::any::install_default_drivers();
    let database = sqlx::AnyPool::connect(&format!("sqlite:{}", data.path().join("meta.db").display())).await.unwrap();
    let before = killed_upload(&profile, &file, &database).await;
    assert!((2..8).contains(&before.len()), "{before:?}");

    let again = s3cognito(&profile, &["upload", file.to_str().unwrap(), "--part-size-mib", "5"]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    let key = succeeds(again).trim().to_owned();
    assert!(said.contains(&format!("{} of 8 parts were already stored", before.len())), "{said}");
    let (segments,): (String,) =
        sqlx::query_as("SELECT segments FROM objects WHERE object_key = $1").bind(&key).fetch_one(&database).await.unwrap();
    let segments: Vec<serde_json::Value> = serde_json::from_str(&segments).unwrap();
    assert_eq!(segments.len(), 8);
    for (number, blob) in &before {
        assert_eq!(segments[*number as usize - 1]["blob"].as_str(), Some(blob.as_str()), "part {number} was not sent again");
    }
    assert!(stored_parts(&database).await.is_empty(), "the upload is complete");
    database.close().await;
    let s3 = crate::s3::s3(&server);
    let bucket = server.exports["aws_user_files_s3_bucket"].as_str().unwrap();
    let read = s3.get_object().bucket(bucket).key(&key).send().await.unwrap();
    assert_eq!(read.body.collect().await.unwrap().into_bytes().as_ref(), bytes.as_slice());
    let unfinished = data.path().join("unfinished-uploads");
    assert_eq!(std::fs::read_dir(&unfinished).unwrap().count(), 0, "nothing is left to continue");

    // A file changed since the interruption is sent again where it changed, and stored as it is now.
    let database = sqlx::AnyPool::connect(&format!("sqlite:{}", data.path().join("meta.db").display())).await.unwrap();
    let before = killed_upload(&profile, &file, &database).await;
    let mut changed = bytes.clone();
    changed[1] ^= 0xff;
    std::fs::write(&file, &changed).unwrap();
    let again = s3cognito(&profile, &["upload", file.to_str().unwrap(), "--part-size-mib", "5"]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    succeeds(again);
    assert!(said.contains(&format!("{} of 8 parts were already stored", before.len() - 1)), "all but the changed one: {said}");
    let (segments,): (String,) =
        sqlx::query_as("SELECT segments FROM objects WHERE object_key = $1").bind(&key).fetch_one(&database).await.unwrap();
    database.close().await;
    let segments: Vec<serde_json::Value> = serde_json::from_str(&segments).unwrap();
    assert_ne!(segments[0]["blob"].as_str(), Some(before[0].1.as_str()), "the changed part was sent again");
    assert_eq!(segments[1]["blob"].as_str(), Some(before[1].1.as_str()));
    let read = s3.get_object().bucket(bucket).key(&key).send().await.unwrap();
    assert_eq!(read.body.collect().await.unwrap().into_bytes().as_ref(), changed.as_slice());
    server.stop();
}

/// An encrypted upload killed part-way, run again, continues under the same message header (the data key
/// unwrapped by KMS again, never written down), so the stored parts are the same bytes and are not sent
/// again; a file changed since is encrypted afresh under a new data key, never with the old one over other
/// bytes.
#[tokio::test]
async fn an_interrupted_encrypted_upload_continues_under_its_header_and_a_changed_file_starts_afresh() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = confirmed_user(&server, data.path(), "heidi");
    let file = data.path().join("ledger.bin");
    let bytes: Vec<u8> = (0..40u32 << 20).map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let upload = |extra: &[&str]| {
        let mut args = vec!["upload", file.to_str().unwrap(), "--part-size-mib", "5", "--encrypt"];
        args.extend_from_slice(extra);
        s3cognito(&profile, &args)
    };
    let unfinished = data.path().join("unfinished-uploads");

    sqlx::any::install_default_drivers();
    let database = sqlx::AnyPool::connect(&format!("sqlite:{}", data.path().join("meta.db").display())).await.unwrap();
    let before = killed_upload_with(&profile, &file, &database, &["--encrypt"]).await;
    assert!((2..9).contains(&before.len()), "{before:?}");
    let record = std::fs::read_dir(&unfinished).unwrap().next().unwrap().unwrap().path();
    let remembered: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    assert!(remembered["sealed"]["header"].is_string(), "{remembered}");

    let again = upload(&[]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    let key = succeeds(again).trim().to_owned();
    assert!(said.contains(&format!("{} of 9 parts were already stored", before.len())), "{said}");
    let (segments,): (String,) =
        sqlx::query_as("SELECT segments FROM objects WHERE object_key = $1").bind(&key).fetch_one(&database).await.unwrap();
    let segments: Vec<serde_json::Value> = serde_json::from_str(&segments).unwrap();
    for (number, blob) in &before {
        assert_eq!(segments[*number as usize - 1]["blob"].as_str(), Some(blob.as_str()), "part {number} was not sent again");
    }
    let s3 = crate::s3::s3(&server);
    let bucket = server.exports["aws_user_files_s3_bucket"].as_str().unwrap();
    let stored = s3.get_object().bucket(bucket).key(&key).send().await.unwrap().body.collect().await.unwrap().into_bytes();
    assert!(!stored.windows(64).any(|window| window == &bytes[1 << 20..(1 << 20) + 64]), "the server holds ciphertext only");
    let name = key.rsplit('/').next().unwrap();
    let back = data.path().join("back.bin");
    succeeds(s3cognito(&profile, &["download", name, back.to_str().unwrap()]));
    assert!(std::fs::read(&back).unwrap() == bytes, "the download decrypts to the file");

    // Changed since (its time of change says so): encrypted afresh, the interrupted upload dropped.
    let before = killed_upload_with(&profile, &file, &database, &["--encrypt"]).await;
    assert!(!before.is_empty());
    let mut changed = bytes.clone();
    changed[7] ^= 0xff;
    std::fs::write(&file, &changed).unwrap();
    let again = upload(&[]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    succeeds(again);
    assert!(!said.contains("already stored"), "{said}");
    assert!(stored_parts(&database).await.is_empty(), "the interrupted upload was dropped");
    succeeds(s3cognito(&profile, &["download", name, back.to_str().unwrap()]));
    assert!(std::fs::read(&back).unwrap() == changed);

    // Changed in place with its time of change put back: found by its stored parts before any part is sent.
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    killed_upload_with(&profile, &file, &database, &["--encrypt"]).await;
    changed[7] ^= 0xff;
    std::fs::write(&file, &changed).unwrap();
    std::fs::File::options().write(true).open(&file).unwrap().set_modified(modified).unwrap();
    let refused = upload(&[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("changed since its encrypted upload was interrupted"), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(stored_parts(&database).await.is_empty(), "the interrupted upload was dropped");
    succeeds(upload(&[]));
    succeeds(s3cognito(&profile, &["download", name, back.to_str().unwrap()]));
    assert!(std::fs::read(&back).unwrap() == changed);
    database.close().await;
    server.stop();
}

/// On a terminal, an upload shows its progress: a bar with the bytes sent, the rate and the time left.
#[tokio::test]
async fn an_upload_on_a_terminal_shows_a_progress_bar_with_rate_and_time_left() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = confirmed_user(&server, data.path(), "grace");
    let file = data.path().join("film.bin");
    std::fs::write(&file, vec![7u8; 30 << 20]).unwrap();
    let socket = format!("s3cognito-progress-{}", std::process::id());
    let tmux = |args: &[&str]| Command::new("tmux").arg("-L").arg(&socket).args(args).output().expect("tmux runs");
    let upload = format!(
        "{} upload {} --part-size-mib 5 --parallel 1 --max-rate-mib 5; sleep 30",
        env!("CARGO_BIN_EXE_s3cognito"),
        file.display()
    );
    let profile_env = format!("S3COGNITO_CLIENT_CONFIG={}", profile.display());
    let started = tmux(&["new-session", "-d", "-s", "upload", "-x", "160", "-y", "10", "-e", &profile_env, &upload]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let mut seen = String::new();
    for _ in 0..200 {
        seen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "upload"]).stdout).into_owned();
        if seen.contains("film.bin [") && seen.contains("MiB/s") && seen.contains("eta") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tmux(&["kill-server"]);
    assert!(seen.contains("film.bin [") && seen.contains("MiB/s") && seen.contains("eta"), "the terminal showed:\n{seen}");
    assert!(seen.contains("/30.00 MiB"), "the bar counts toward the file's size:\n{seen}");

    // Not on a terminal, nothing but the key is printed.
    let other = data.path().join("other.bin");
    std::fs::write(&other, vec![8u8; 6 << 20]).unwrap();
    let piped = s3cognito(&profile, &["upload", other.to_str().unwrap(), "--part-size-mib", "5"]);
    assert!(piped.status.success());
    assert!(piped.stderr.is_empty(), "{}", String::from_utf8_lossy(&piped.stderr));
    server.stop();
}

/// Credentials for a session whose ID token no longer counts (expired, as in a long upload) are fetched
/// with a new ID token from the refresh token; without one the refusal is said.
#[tokio::test]
async fn storage_renews_an_expired_id_token_with_the_refresh_token() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    confirmed_user(&server, data.path(), "heidi");
    let exports = s3cognito_client::AwsExports::parse(&server.exports.to_string()).unwrap();
    let pool = s3cognito_client::UserPoolClient::new(exports.clone());
    let signed_in = pool.sign_in("heidi", "Resume-Pass-123").await.unwrap();
    let mut stale = signed_in.clone();
    let (head, signature) = stale.id_token.rsplit_once('.').unwrap();
    stale.id_token = format!("{head}.{}", signature.chars().rev().collect::<String>());
    let storage = s3cognito_client::UserStorage::open(&exports, &stale).await.expect("renewed with the refresh token");
    assert_eq!(storage.list(&storage.key_of("")).await.unwrap(), Vec::new());

    stale.refresh_token = None;
    let refused = s3cognito_client::UserStorage::open(&exports, &stale).await.unwrap_err();
    assert!(matches!(&refused, s3cognito_client::ClientError::Service { code, .. } if code == "NotAuthorizedException"), "{refused}");
    server.stop();
}

/// The file named `.<dest's name>.<ETag>.<ending>` a download leaves beside `dest` until it is whole.
fn left_beside(dest: &std::path::Path, ending: &str) -> Option<std::path::PathBuf> {
    let name = dest.file_name()?.to_str()?.to_owned();
    std::fs::read_dir(dest.parent()?)
        .ok()?
        .map(|entry| entry.unwrap().path())
        .find(|path| path.file_name().and_then(|file| file.to_str()).is_some_and(|file| file.starts_with(&format!(".{name}.")) && file.ends_with(ending)))
}

/// The partial file a download leaves beside `dest` until it is whole.
fn partial_of(dest: &std::path::Path) -> Option<std::path::PathBuf> {
    left_beside(dest, ".s3cognito-partial")
}

/// The parts a download in parts has finished in its partial file, as it lists them beside it.
fn finished_parts(dest: &std::path::Path) -> Vec<u64> {
    let listed = left_beside(dest, ".s3cognito-parts").and_then(|list| std::fs::read_to_string(list).ok()).unwrap_or_default();
    listed.lines().map(|line| line.parse().unwrap()).collect()
}

/// The bytes a download in one stream (of a simple object) has written in its partial file.
fn streamed(dest: &std::path::Path) -> u64 {
    partial_of(dest).and_then(|partial| std::fs::metadata(partial).ok()).map_or(0, |metadata| metadata.len())
}

/// Starts `download` held to 10 MiB a second and kills it once `enough` says so of `dest`.
async fn killed_download(profile: &std::path::Path, name: &str, dest: &std::path::Path, enough: impl Fn(&std::path::Path) -> bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3cognito"))
        .args(["download", name, dest.to_str().unwrap(), "--max-rate-mib", "10"])
        .env("S3COGNITO_CLIENT_CONFIG", profile)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    loop {
        assert!(child.try_wait().unwrap().is_none(), "the download ended before it could be stopped");
        if enough(dest) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(partial_of(dest).is_some(), "the partial file is kept");
}

/// A download of a part-stored object killed once a part is finished; the parts it finished.
async fn killed_part_download(profile: &std::path::Path, name: &str, dest: &std::path::Path) -> Vec<u64> {
    killed_download(profile, name, dest, |dest| !finished_parts(dest).is_empty()).await;
    finished_parts(dest)
}

/// A download of a file encrypted before it was uploaded is decrypted as it arrives, in ranges of whole
/// frames, into a file only its owner may read; killed part-way and run again, it fetches only the ranges
/// it had not finished (and those whose bytes on disk no longer match what it wrote), and the file it
/// renames into place is the one uploaded.
#[tokio::test]
async fn an_interrupted_decrypting_download_continues_with_the_ranges_not_yet_finished() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = confirmed_user(&server, data.path(), "ivan");
    let file = data.path().join("archive.bin");
    let bytes: Vec<u8> = (0..40u32 << 20).map(|index| (index.wrapping_mul(2_246_822_519) >> 23) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    succeeds(s3cognito(&profile, &["upload", file.to_str().unwrap(), "--encrypt"]));

    let dest = data.path().join("restored.bin");
    let finished = || left_beside(&dest, ".s3cognito-ranges").and_then(|list| std::fs::read_to_string(list).ok()).map_or(0, |list| list.lines().count());
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3cognito"))
        .args(["download", "archive.bin", dest.to_str().unwrap(), "--max-rate-mib", "10", "--parallel", "1"])
        .env("S3COGNITO_CLIENT_CONFIG", &profile)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while finished() < 2 {
        assert!(child.try_wait().unwrap().is_none(), "the download ended before it could be stopped");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!dest.exists(), "nothing is at the destination until the whole file decrypted");
    let plain = left_beside(&dest, ".s3cognito-plain").expect("the plaintext so far is kept beside it");
    assert_eq!(std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777, 0o600);
    let before = finished();
    assert!(before < 5, "{before} of 5 ranges");
    // A byte of a finished range spoiled on disk meanwhile: that range is fetched again, not kept.
    let mut kept = std::fs::read(&plain).unwrap();
    kept[10] ^= 0x01;
    std::fs::write(&plain, &kept).unwrap();

    let again = s3cognito(&profile, &["download", "archive.bin", dest.to_str().unwrap(), "--json"]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    let answer: serde_json::Value = serde_json::from_str(&succeeds(again)).unwrap();
    assert!(said.contains("continued an interrupted download"), "{said}");
    assert_eq!((answer["decrypted"].as_bool(), answer["size"].as_u64()), (Some(true), Some(40 << 20)));
    assert!(std::fs::read(&dest).unwrap() == bytes, "the download decrypts to the file uploaded");
    assert!(left_beside(&dest, "").is_none(), "nothing is left beside it");
    server.stop();
}

/// A download killed part-way, run again, continues from where it stopped and checks the whole against
/// the multipart ETag: the result is the object byte for byte, and bytes spoiled on disk meanwhile are
/// caught rather than kept.
#[tokio::test]
async fn an_interrupted_download_run_again_continues_and_is_checked_whole() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = confirmed_user(&server, data.path(), "ivan");
    let file = data.path().join("archive.bin");
    let bytes: Vec<u8> = (0..30u32 << 20).map(|index| (index.wrapping_mul(2_654_435_761) >> 20) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    succeeds(s3cognito(&profile, &["upload", file.to_str().unwrap(), "--part-size-mib", "5"]));

    let dest = data.path().join("copy.bin");
    let kept = killed_part_download(&profile, "archive.bin", &dest).await.len() as u64 * (5 << 20);
    assert!(!dest.exists(), "nothing at the destination until it is whole");
    let again = s3cognito(&profile, &["download", "archive.bin", dest.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    succeeds(again);
    let resumed: u64 = said.split("; ").nth(1).and_then(|rest| rest.split(' ').next()).and_then(|number| number.parse().ok()).expect(&said);
    assert!(resumed >= kept, "continued from the {kept} bytes kept, not from the start: {said}");
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert_eq!((partial_of(&dest), left_beside(&dest, ".s3cognito-parts")), (None, None));

    // Bytes spoiled in a finished part are found by the ETag check: nothing is written, the files go.
    std::fs::remove_file(&dest).unwrap();
    let finished = killed_part_download(&profile, "archive.bin", &dest).await;
    let partial = partial_of(&dest).unwrap();
    let mut spoiled = std::fs::read(&partial).unwrap();
    spoiled[(finished[0] as usize) * (5 << 20) + 100] ^= 0xff;
    std::fs::write(&partial, &spoiled).unwrap();
    let refused = s3cognito(&profile, &["download", "archive.bin", dest.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("did not match their ETag"), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(!dest.exists() && partial_of(&dest).is_none() && left_beside(&dest, ".s3cognito-parts").is_none());
    succeeds(s3cognito(&profile, &["download", "archive.bin", dest.to_str().unwrap(), "--parallel", "1"]));
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    server.stop();
}

/// An object stored in one PUT is downloaded in one stream; killed part-way and run again, it continues
/// with a range from the last byte written and is checked whole against its MD5.
#[tokio::test]
async fn an_interrupted_download_of_a_simple_object_continues_from_its_last_byte() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = confirmed_user(&server, data.path(), "judy");
    let file = data.path().join("scan.bin");
    let bytes: Vec<u8> = (0..24u32 << 20).map(|index| (index.wrapping_mul(40_503) >> 9) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    succeeds(s3cognito(&profile, &["upload", file.to_str().unwrap(), "--part-size-mib", "64"]));

    let dest = data.path().join("copy.bin");
    killed_download(&profile, "scan.bin", &dest, |dest| streamed(dest) >= 5 << 20).await;
    let kept = streamed(&dest);
    assert_eq!(left_beside(&dest, ".s3cognito-parts"), None, "a simple object is one stream");
    let again = s3cognito(&profile, &["download", "scan.bin", dest.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    succeeds(again);
    assert!(said.contains(&format!("{kept} of {} bytes were already here", bytes.len())), "{said}");
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert_eq!(partial_of(&dest), None);
    server.stop();
}
