//! The server under abuse: floods of unauthenticated sign-ins keep its memory bounded, are refused
//! quickly once the password workers are busy, and leave room for other callers' sign-ins.

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;

use crate::Server;

const PASSWORD: &str = "Legit-Pass-123";

/// The server's peak resident memory so far, in MiB.
fn peak_rss_mib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("VmHWM in /proc status");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

fn start(data: &std::path::Path, extra: &[&str]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3cognito"));
    command.args(["serve", "--listen", "127.0.0.1:0", "--data"]).arg(data).args(extra);
    Server::spawn(command, data, None)
}

async fn create_user(server: &Server, username: &str) {
    let admin = server.admin();
    admin.admin_create_user().user_pool_id(server.pool_id()).username(username).send().await.unwrap();
    admin
        .admin_set_user_password()
        .user_pool_id(server.pool_id())
        .username(username)
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .unwrap();
}

/// An SDK client that does not retry, so every refusal is seen and nothing slows the flood down.
fn attacker(server: &Server) -> aws_sdk_cognitoidentityprovider::Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(Credentials::new("unused", "unused", None, None, "none"))
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(config)
}

#[derive(Debug, Default)]
struct Tally {
    incorrect: u64,
    too_many: u64,
    other: Vec<String>,
}

/// `tasks` loops of failing USER_PASSWORD_AUTH sign-ins (a fresh unknown name each time, so every
/// attempt would cost a password check) for `length`.
async fn flood(server: &Server, tasks: usize, length: Duration) -> Tally {
    let client = attacker(server);
    let pool_client = server.client_id();
    let until = Instant::now() + length;
    let loops = (0..tasks).map(|task| {
        let (client, pool_client) = (client.clone(), pool_client.clone());
        tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut attempt = 0u64;
            while Instant::now() < until {
                attempt += 1;
                let outcome = client
                    .initiate_auth()
                    .client_id(&pool_client)
                    .auth_flow(AuthFlowType::UserPasswordAuth)
                    .auth_parameters("USERNAME", format!("nobody-{task}-{attempt}"))
                    .auth_parameters("PASSWORD", "Wrong-Pass-123")
                    .send()
                    .await;
                let error = outcome.expect_err("no such user can sign in");
                match error.as_service_error().and_then(|error| error.meta().code()) {
                    Some("NotAuthorizedException") => tally.incorrect += 1,
                    Some("TooManyRequestsException") => tally.too_many += 1,
                    _ => tally.other.push(format!("{error:?}")),
                }
            }
            tally
        })
    });
    let mut total = Tally::default();
    for tally in join_all(loops).await {
        total.incorrect += tally.incorrect;
        total.too_many += tally.too_many;
        total.other.extend(tally.other);
    }
    total
}

async fn join_all<T: Send + 'static>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut outputs = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

/// One USER_PASSWORD_AUTH sign-in over plain HTTP from `source` (any 127.x address reaches a server on
/// 127.0.0.1), so that it counts against another source address than the flood's.
async fn sign_in_from(source: IpAddr, server: &Server, username: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": server.client_id(),
        "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
    })
    .to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        address_of(server),
        body.len()
    );
    let (status, body) = http_from(source, server, &request).await;
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

fn address_of(server: &Server) -> std::net::SocketAddr {
    server.endpoint.trim_start_matches("http://").parse().unwrap()
}

async fn connect_from(source: IpAddr, server: &Server) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind((source, 0).into())?;
    socket.connect(address_of(server)).await
}

/// Sends `request` on a fresh connection from `source` and reads the answer to its end.
async fn http_from(source: IpAddr, server: &Server, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = connect_from(source, server).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let status = text.split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default().to_owned();
    (status, body)
}

async fn health_from(source: IpAddr, server: &Server) -> u16 {
    let request = format!("GET /_s3cognito/health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", address_of(server));
    http_from(source, server, &request).await.0
}

/// Whether the server has closed `stream` (a read ends, or fails) within `wait`.
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut byte = [0u8; 1];
    matches!(tokio::time::timeout(wait, stream.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
}

/// Connections that never send a request used to be kept for ever, and a few hundred of them took
/// every descriptor, health checks included. Now one address holds at most its share of connections
/// (the rest are closed at once), other addresses are still served, and a silent connection is
/// closed once the header-read timeout has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_bounded_and_closed() {
    let data = tempfile::tempdir().unwrap();
    let limits = ["--header-read-timeout-seconds", "2", "--max-connections", "64", "--max-connections-per-address", "24"];
    let server = start(data.path(), &limits);
    let flooder: IpAddr = "127.0.0.1".parse().unwrap();
    let mut silent = Vec::new();
    for _ in 0..40 {
        silent.push(connect_from(flooder, &server).await.unwrap());
    }
    // Give the server a moment to accept them all (and to refuse those over the share).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut refused = 0;
    for stream in silent.iter_mut() {
        if closed_within(stream, Duration::from_millis(20)).await {
            refused += 1;
        }
    }
    assert_eq!(refused, 40 - 24, "connections past one address's share are closed at once");
    assert_eq!(health_from("127.0.0.2".parse().unwrap(), &server).await, 200, "another address is served");
    for stream in silent.iter_mut() {
        assert!(closed_within(stream, Duration::from_secs(5)).await, "a silent connection outlived the timeout");
    }
    assert_eq!(health_from(flooder, &server).await, 200, "once they are closed, the address is served again");
    server.stop();
}

/// 128 callers failing to sign in as fast as they can: without a bound every attempt ran its own
/// 19 MiB Argon2 at once and the server grew by gigabytes. Now at most one check per core runs, each
/// reusing its memory, the rest are refused quickly with TooManyRequestsException, and the server's
/// peak memory stays within 256 MiB. Address limits are lifted here: the bound must hold for a flood
/// from many addresses too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_failing_sign_ins_keeps_memory_bounded() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), &["--address-sign-ins-per-minute", "100000000"]);
    create_user(&server, "legit").await;
    let tally = flood(&server, 128, Duration::from_secs(6)).await;
    let peak = peak_rss_mib(&server);
    eprintln!("128 failing sign-ins for 6 s: peak RSS {peak} MiB, {} checked, {} refused", tally.incorrect, tally.too_many);
    assert!(tally.other.is_empty(), "only the two expected refusals: {:?}", &tally.other[..tally.other.len().min(3)]);
    assert!(tally.incorrect > 0, "some attempts were checked: {tally:?}");
    assert!(tally.too_many > 0, "a full queue refuses: {tally:?}");
    assert!(peak <= 256, "peak RSS {peak} MiB under 128 failing sign-ins");
    // Once the flood ends the server answers a real sign-in at once.
    let (status, answer) = sign_in_from("127.0.0.1".parse().unwrap(), &server, "legit").await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["AuthenticationResult"]["IdToken"].is_string(), "{answer}");
    server.stop();
}

/// The same flood from one address, with the default limits: that address is soon refused with
/// TooManyRequestsException before any password is checked, and a user signing in from another
/// address during the flood gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_leaves_room_for_other_addresses() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), &[]);
    create_user(&server, "legit").await;
    let flooding = flood(&server, 128, Duration::from_secs(6));
    let legit = async {
        // Let the flood spend the address's budget first.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut tries = 0;
        loop {
            tries += 1;
            let (status, answer) = sign_in_from("127.0.0.2".parse().unwrap(), &server, "legit").await;
            if status == 200 {
                return (tries, answer);
            }
            assert_eq!(answer["__type"], "TooManyRequestsException", "{answer}");
            assert!(tries < 20, "a sign-in from another address got through within 20 tries");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let (tally, (tries, answer)) = tokio::join!(flooding, legit);
    assert!(answer["AuthenticationResult"]["AccessToken"].is_string(), "{answer}");
    assert!(tries < 20);
    assert!(tally.too_many > tally.incorrect, "most of one address's flood is refused: {tally:?}");
    assert!(tally.other.is_empty(), "{:?}", &tally.other[..tally.other.len().min(3)]);
    server.stop();
}
