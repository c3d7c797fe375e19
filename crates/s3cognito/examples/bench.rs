//! The S3 benchmark (a documented command, not a test): run it with `scripts/bench`, which
//! builds the server and this example with `--release`.
//!
//! It starts the server binary named by `--server` on a fresh data dir and, in the same run, measures:
//! 1. the raw baseline: the large object's bytes written to a file in the data dir (fsync at the end),
//!    then read back after its pages are evicted from the page cache (`posix_fadvise(DONTNEED)`), so the
//!    read is the disk's; the blobs are evicted the same way before the download, so both read the disk.
//!    Raw writes and uploads take turns, then raw reads and downloads, `--repeat` times (3) each, and the
//!    median of each counts: one run lasts a few seconds here, and the disk of a shared machine is not as
//!    fast from one minute to the next (`--only-large` measures these and stops);
//! 2. one large object through the AWS SDK for Rust: a multipart upload with 8 parts in flight (payloads
//!    signed: in-memory bodies are hashed into `x-amz-content-sha256`), then a download with 8 ranged GETs
//!    in flight, each range's bytes counted and CRC32'd as they arrive (the client keeps none of them,
//!    as a downloader writing to its own disk would not) and checked against the source's after the
//!    clock stops;
//!    Then the same object under SSE-KMS (the default KMS key) beside SSE-S3, each uploaded then downloaded
//!    from the disk, in turn, `--repeat` times: what data keys from KMS cost beside the master key's;
//! 3. an object of the same size PUT whole through the upload gateway as a user pool user (made with
//!    AdminCreateUser, signed in with ADMIN_USER_PASSWORD_AUTH): through the JWT upload edge
//!    (`s3cognito_upload_endpoint`, the access token in `authorization`), and through a presigned URL
//!    from the presign API (asked for before the clock starts; the PUT sends the headers it names and
//!    the signed Content-Length). The two take turns, edge first, `--repeat` times, each run under a name
//!    of its own, and the median of each counts. Bodies stream from one random 1 MiB buffer repeated (the
//!    client holds no object), and each ETag is checked against the MD5 of the bytes after the clock
//!    stops; the server's VmRSS is read before these PUTs and sampled every 100 ms during them: bodies
//!    stream, so it should stay flat;
//! 4. many small objects with 32 requests in flight: PUT ops/s, then GET ops/s (bodies compared), then
//!    200 of them GET one at a time: the latency of a single request;
//! 5. the server's peak RSS: VmRSS sampled every 100 ms, and VmHWM at the end;
//! 6. what monitoring costs: the same small PUTs and GETs against two more servers, one as it runs by
//!    default (metrics, audit log, an access-log line a request) and one without any of them
//!    (`S3COGNITO_METRICS=false`, `S3COGNITO_AUDIT=false`, log at `warn`), each on a data dir of its own,
//!    taking turns (which goes first alternates), `--repeat` times, medians compared.
//!
//! It prints a table with its targets (large upload and download at least 80% of the raw rates, the
//! upload edge's PUT at least 90% of the presigned PUT's rate, SSE-KMS at least 90% of SSE-S3, small PUTs
//! and GETs with metrics and audit at least 95% of those without, server peak RSS at most 150 MiB, over the
//! run and during the large PUTs) marked PASS or FAIL, and exits 0 unless
//! something errored.
//! MB are 10^6 bytes.

use std::convert::Infallible;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, MessageActionType};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::primitives::{ByteStream, SdkBody};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Frame, SizeHint};
use hyper::{Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use md5::{Digest, Md5};
use s3cognito_crypto::random::random_bytes;

const MIB: usize = 1024 * 1024;
const LARGE_IN_FLIGHT: usize = 8;
const SMALL_IN_FLIGHT: usize = 32;
/// How many small objects are read back one request at a time, for the latency of one GET.
const SERIAL_GETS: usize = 200;
const TARGET_RATIO: f64 = 0.80;
/// The upload edge's large PUT against the presigned URL's.
const TARGET_EDGE_RATIO: f64 = 0.90;
const TARGET_RSS_MIB: f64 = 150.0;
/// SSE-KMS (data keys from KMS) beside SSE-S3 (data keys under the master key), uploads and downloads.
const TARGET_SSE_KMS_RATIO: f64 = 0.90;
/// Metrics and the audit log cost small PUTs and GETs at most 5%.
const TARGET_MONITORING_RATIO: f64 = 0.95;
/// The key the SSE-KMS rows write under: the deployment's default.
const SSE_KMS_KEY: &str = "alias/s3cognito-default";
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// How long a VM of this kind takes to hand freed memory back to its host (the kernel's free page
/// reporting waits 2 s), and some.
const FREED_PAGES_REPORTED: Duration = Duration::from_secs(4);
/// The sampler's bound: 24 hours of samples.
const RSS_MAX_SAMPLES: usize = 24 * 3600 * 10;
/// How long the server may take to exit after SIGTERM, in 100 ms steps.
const STOP_STEPS: usize = 300;
/// The large PUTs through the upload gateway repeat one random buffer of this size.
const PUT_CHUNK: usize = MIB;
/// The user pool user the large PUTs through the upload gateway are made as.
const BENCH_USER: &str = "bench";
const BENCH_PASSWORD: &str = "Bench-Pass-123!";
const PUT_CONTENT_TYPE: &str = "application/octet-stream";

#[derive(Parser)]
#[command(about = "Benchmarks s3cognito's S3 API against the raw disk")]
struct Args {
    /// The s3cognito binary to benchmark.
    #[arg(long)]
    server: PathBuf,
    /// Size of the large object, in MiB.
    #[arg(long, default_value_t = 1024)]
    large_mib: usize,
    /// Multipart part size (and ranged GET size), in MiB.
    #[arg(long, default_value_t = 16)]
    part_mib: usize,
    /// Number of small objects.
    #[arg(long, default_value_t = 2000)]
    small_count: usize,
    /// Size of each small object, in KiB.
    #[arg(long, default_value_t = 4)]
    small_kib: usize,
    /// How many times the raw read and the download run (each from the disk), and the large PUTs through
    /// the upload edge and a presigned URL; the median counts.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Keep the data dir (its path is printed) instead of deleting it.
    #[arg(long)]
    keep: bool,
    /// An nginx binary: the same bytes served by it as a static file over the same loopback, fetched with
    /// the same 8 ranged GETs, are the baseline of the download (cold: from the disk; hot: from the page
    /// cache), in turn with ours.
    #[arg(long)]
    nginx: Option<PathBuf>,
    /// Measure only what monitoring costs (section 6), with --repeat rounds: quicker when that is the
    /// question.
    #[arg(long)]
    only_monitoring: bool,
    /// Measure only the large upload and download beside the raw disk (sections 1 and 2, without SSE-KMS),
    /// with --repeat rounds: quicker when that is the question.
    #[arg(long)]
    only_large: bool,
    /// Another build of the server (an earlier commit's, say): measure only the small PUTs and GETs of
    /// `--server` beside it, with --repeat rounds, both on their defaults.
    #[arg(long)]
    against: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.large_mib > 0 && args.part_mib > 0, "--large-mib and --part-mib must be positive");
    ensure!(args.small_count > 0 && args.small_kib > 0, "--small-count and --small-kib must be positive");
    ensure!(args.repeat > 0, "--repeat must be positive");
    // Tempfile honours TMPDIR, so `TMPDIR=/mnt/disk scripts/bench` benchmarks another disk.
    let dir = tempfile::Builder::new().prefix("s3cognito-bench-").tempdir().context("creating the data dir")?;
    let data = dir.path().to_owned();
    let result = run(&args, &data);
    if args.keep {
        let kept = dir.keep();
        println!("data dir kept: {}", kept.display());
    }
    result
}

fn run(args: &Args, data: &Path) -> Result<()> {
    let large_len = args.large_mib * MIB;
    let part_len = args.part_mib * MIB;
    let small_len = args.small_kib * 1024;

    // The source bytes, generated before any clock starts. SdkBody clones share the buffer.
    let parts: Vec<SdkBody> = (0..large_len.div_ceil(part_len))
        .map(|i| SdkBody::from(random_bytes(part_len.min(large_len - i * part_len))))
        .collect();
    let part_digests: Vec<u32> = parts.iter().map(|p| crc32fast::hash(p.bytes().expect("in-memory body"))).collect();
    let smalls: Vec<SdkBody> = (0..args.small_count).map(|_| SdkBody::from(random_bytes(small_len))).collect();
    if args.only_monitoring {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let monitoring = runtime.block_on(monitoring_cost(&args.server, data, &smalls, args.repeat))?;
        for (name, monitored, quiet) in [("PUT", monitoring.puts, monitoring.quiet_puts), ("GET", monitoring.gets, monitoring.quiet_gets)] {
            let (rate, quiet_rate) = (args.small_count as f64 / monitored.as_secs_f64(), args.small_count as f64 / quiet.as_secs_f64());
            println!("small {name}: {rate:.0} ops/s with metrics + audit, {quiet_rate:.0} without: {:.1}%", rate / quiet_rate * 100.0);
        }
        return Ok(());
    }
    if let Some(against) = &args.against {
        // Which server process starts first sways small GETs by up to a fifth on these machines, so each
        // pair of servers runs twice, started in both orders, and the medians are over both.
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        println!("small objects: {} against {}, in turn, {} times, servers started in both orders ...", args.server.display(), against.display(), args.repeat);
        let environment = [("S3COGNITO_LOG", "warn")];
        let this = || Contender { name: "this", binary: &args.server, environment: &environment };
        let other = || Contender { name: "other", binary: against, environment: &environment };
        let mut times: [Vec<Duration>; 4] = Default::default();
        for (round, contenders) in [[this(), other()], [other(), this()]].into_iter().enumerate() {
            let swapped = round == 1;
            let round_data = data.join(format!("order-{round}"));
            let [first_puts, first_gets, second_puts, second_gets] = runtime.block_on(side_by_side_all(&round_data, &smalls, args.repeat, contenders))?;
            let (this_times, other_times) = if swapped { ([second_puts, second_gets], [first_puts, first_gets]) } else { ([first_puts, first_gets], [second_puts, second_gets]) };
            let [this_puts, this_gets] = this_times;
            let [other_puts, other_gets] = other_times;
            times[0].extend(this_puts);
            times[1].extend(this_gets);
            times[2].extend(other_puts);
            times[3].extend(other_gets);
        }
        let [puts, gets, other_puts, other_gets] = times.map(median);
        for (name, this, other) in [("PUT", puts, other_puts), ("GET", gets, other_gets)] {
            let (rate, other_rate) = (args.small_count as f64 / this.as_secs_f64(), args.small_count as f64 / other.as_secs_f64());
            println!("small {name}: {rate:.0} ops/s, the other binary {other_rate:.0}: {:.1}%", rate / other_rate * 100.0);
        }
        return Ok(());
    }
    let mut server = Server::start(&args.server, data)?;
    let sampler = RssSampler::start(server.pid());
    println!(
        "s3cognito benchmark: server {} (pid {}), data dir {}, {} CPUs",
        args.server.display(),
        server.pid(),
        data.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    // 1 and 2. The raw baseline (same bytes, same directory) and the large object through the S3 API, in turn.
    let raw_path = data.join("raw-baseline.bin");
    let key = "bench/large.bin";
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.only_large {
        let large = runtime.block_on(async {
            let (s3, bucket) = (client(&server.endpoint, data)?, bootstrap_bucket(data)?);
            let [raw_write, upload] = write_and_upload(&s3, &bucket, key, &raw_path, &parts, args, server.pid()).await?;
            let [raw_read, download] = read_and_download(&s3, &bucket, key, data, &raw_path, &parts, &part_digests, args).await?;
            anyhow::Ok([raw_write, upload, raw_read, download])
        });
        let exit = server.stop();
        let [raw_write, upload, raw_read, download] = large?;
        println!();
        line("measure", "figure", "time", "vs raw", "target", "result");
        println!("{}", "-".repeat(RULE));
        large_rows(large_len as f64, [raw_write, upload, raw_read, download]);
        let exit = exit?;
        ensure!(exit.success(), "the server exited with {exit} after SIGTERM");
        return Ok(());
    }

    // 3 and the rest. The upload gateway's PUTs: one random buffer repeated to the large size, and the ETag
    // it must get.
    let put_body = Repeated::new(Bytes::from(random_bytes(PUT_CHUNK.min(large_len))), large_len as u64);
    let put_etag = put_body.etag();
    let s3_result = runtime.block_on(async {
        let s3 = client(&server.endpoint, data)?;
        let bucket = bootstrap_bucket(data)?;
        let [raw_write, upload] = write_and_upload(&s3, &bucket, key, &raw_path, &parts, args, server.pid()).await?;
        let [raw_read, download] = read_and_download(&s3, &bucket, key, data, &raw_path, &parts, &part_digests, args).await?;
        let static_files = match &args.nginx {
            Some(nginx) => {
                let baseline = StaticBaseline::start(nginx, data, &raw_path)?;
                println!("download beside nginx serving the same bytes, cold then hot, in turn, {} times ...", args.repeat);
                let url = baseline.url();
                let mut times = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
                for _ in 0..args.repeat {
                    evict_from_page_cache(&baseline.file)?;
                    times[0].push(download_static(&url, large_len, part_len, &part_digests).await.context("cold download from nginx")?);
                    evict_tree(&data.join("blobs"))?;
                    times[1].push(download_large(&s3, &bucket, key, large_len, part_len, &part_digests).await.context("cold download")?);
                    times[2].push(download_static(&url, large_len, part_len, &part_digests).await.context("hot download from nginx")?);
                    times[3].push(download_large(&s3, &bucket, key, large_len, part_len, &part_digests).await.context("hot download")?);
                }
                println!(
                    "cold: nginx {} s, ours {} s; hot: nginx {} s, ours {} s",
                    seconds(&times[0]),
                    seconds(&times[1]),
                    seconds(&times[2]),
                    seconds(&times[3])
                );
                let [nginx_cold, cold, nginx_hot, hot] = times.map(median);
                Some(StaticTimes { nginx_cold, cold, nginx_hot, hot })
            }
            None => None,
        };
        std::fs::remove_file(&raw_path).or_else(|_| std::fs::remove_file(data.join("static").join("raw-baseline.bin")))?;
        println!("SSE-KMS beside SSE-S3: upload, then download (from the disk), of each in turn, {} times ...", args.repeat);
        let mut sse = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..args.repeat {
            for (column, kms) in [(0, None), (1, Some(SSE_KMS_KEY))] {
                let key = if kms.is_some() { "bench/sse-kms.bin" } else { "bench/sse-s3.bin" };
                sse[column].push(upload_large(&s3, &bucket, key, &parts, kms).await.context("large upload")?);
                evict_tree(&data.join("blobs"))?;
                sse[column + 2].push(download_large(&s3, &bucket, key, large_len, part_len, &part_digests).await.context("large download")?);
            }
        }
        println!(
            "uploads: SSE-S3 {} s, SSE-KMS {} s; downloads: SSE-S3 {} s, SSE-KMS {} s",
            seconds(&sse[0]),
            seconds(&sse[1]),
            seconds(&sse[2]),
            seconds(&sse[3])
        );
        let [s3_up, kms_up, s3_down, kms_down] = sse.map(median);
        let sse = SseTimes { s3_up, kms_up, s3_down, kms_down };
        println!(
            "large PUTs of {} MiB through the upload gateway: JWT upload edge and presigned URL, in turn, {} times ...",
            args.large_mib, args.repeat
        );
        let gateway = Gateway::start(&server.endpoint, data).await.context("the upload gateway's user")?;
        let puts_large =
            gateway_puts(&gateway, server.pid(), &sampler, &put_body, &put_etag, args.repeat).await.context("large PUTs")?;
        println!("small objects: {} x {} KiB, {SMALL_IN_FLIGHT} in flight ...", args.small_count, args.small_kib);
        let (puts, gets) = small_objects(&s3, &bucket, &smalls).await.context("small objects")?;
        let serial_count = smalls.len().min(SERIAL_GETS);
        println!("small objects: {serial_count} GETs one at a time ...");
        let serial = serial_gets(&s3, &bucket, &smalls[..serial_count]).await.context("small GETs one at a time")?;
        let monitoring = monitoring_cost(&args.server, data, &smalls, args.repeat).await.context("monitoring's cost")?;
        anyhow::Ok(([raw_write, upload, raw_read, download], puts_large, puts, gets, serial_count, serial, static_files, sse, monitoring))
    });

    let hwm_kib = proc_status_kib(server.pid(), "VmHWM:");
    let sampled_kib = sampler.stop();
    let exit = server.stop();
    drop(runtime);
    let (large_times, puts_large, puts, gets, serial_count, serial, static_files, sse, monitoring) = s3_result?;
    let raw_write = large_times[0];
    let exit = exit?;

    let large = large_len as f64;
    let small_ops = args.small_count as f64;
    let rates = Rates {
        raw_write: mb_per_s(large, raw_write),
        edge: mb_per_s(large, puts_large.edge),
        presigned: mb_per_s(large, puts_large.presigned),
    };
    println!();
    line("measure", "figure", "time", "vs raw", "target", "result");
    println!("{}", "-".repeat(RULE));
    large_rows(large, large_times);
    if let Some(times) = &static_files {
        let nginx_cold = mb_per_s(large, times.nginx_cold);
        let nginx_hot = mb_per_s(large, times.nginx_hot);
        row("nginx static file, cold (8 ranges)", nginx_cold, "MB/s", times.nginx_cold, None, None);
        let cold = mb_per_s(large, times.cold);
        line(
            "large download, cold, vs nginx",
            &format!("{cold:.1} MB/s"),
            &format!("{:.2} s", times.cold.as_secs_f64()),
            &format!("{:.1}%", cold / nginx_cold * 100.0),
            "≥ 80% nginx",
            verdict(cold >= TARGET_RATIO * nginx_cold),
        );
        row("nginx static file, hot (8 ranges)", nginx_hot, "MB/s", times.nginx_hot, None, None);
        let hot = mb_per_s(large, times.hot);
        line(
            "large download, hot, vs nginx",
            &format!("{hot:.1} MB/s"),
            &format!("{:.2} s", times.hot.as_secs_f64()),
            &format!("{:.1}%", hot / nginx_hot * 100.0),
            "≥ 80% nginx",
            verdict(hot >= TARGET_RATIO * nginx_hot),
        );
    }
    for (name, kms, plain) in [("upload", sse.kms_up, sse.s3_up), ("download", sse.kms_down, sse.s3_down)] {
        let (kms_rate, plain_rate) = (mb_per_s(large, kms), mb_per_s(large, plain));
        row(&format!("large {name}, SSE-S3 (same run)"), plain_rate, "MB/s", plain, None, None);
        line(
            &format!("large {name}, SSE-KMS, vs SSE-S3"),
            &format!("{kms_rate:.1} MB/s"),
            &format!("{:.2} s", kms.as_secs_f64()),
            &format!("{:.1}%", kms_rate / plain_rate * 100.0),
            "≥ 90% SSE-S3",
            verdict(kms_rate >= TARGET_SSE_KMS_RATIO * plain_rate),
        );
    }
    row(
        "large PUT, JWT upload edge",
        rates.edge,
        "MB/s",
        puts_large.edge,
        Some(rates.edge / rates.raw_write),
        Some(("≥ 90% presigned", rates.edge >= TARGET_EDGE_RATIO * rates.presigned)),
    );
    row("large PUT, presigned URL", rates.presigned, "MB/s", puts_large.presigned, Some(rates.presigned / rates.raw_write), None);
    row(&format!("small PUT ({} KiB, {SMALL_IN_FLIGHT} in flight)", args.small_kib), small_ops / puts.as_secs_f64(), "ops/s", puts, None, None);
    row(&format!("small GET ({} KiB, {SMALL_IN_FLIGHT} in flight)", args.small_kib), small_ops / gets.as_secs_f64(), "ops/s", gets, None, None);
    let serial_ms = serial.as_secs_f64() * 1e3 / serial_count as f64;
    line("small GET, one at a time (latency)", &format!("{serial_ms:.2} ms"), &format!("{:.2} s", serial.as_secs_f64()), "", "", "");
    for (name, monitored, quiet) in [("PUT", monitoring.puts, monitoring.quiet_puts), ("GET", monitoring.gets, monitoring.quiet_gets)] {
        let (rate, quiet_rate) = (small_ops / monitored.as_secs_f64(), small_ops / quiet.as_secs_f64());
        row(&format!("small {name}, no metrics or audit (same run)"), quiet_rate, "ops/s", quiet, None, None);
        line(
            &format!("small {name}, metrics + audit, vs without"),
            &format!("{rate:.0} ops/s"),
            &format!("{:.2} s", monitored.as_secs_f64()),
            &format!("{:.1}%", rate / quiet_rate * 100.0),
            "≥ 95% without",
            verdict(rate >= TARGET_MONITORING_RATIO * quiet_rate),
        );
    }
    let rss_row = |name: &str, kib: Option<u64>| match kib {
        Some(kib) => {
            let mib = kib as f64 / 1024.0;
            line(name, &format!("{mib:.1} MiB"), "", "", "≤ 150 MiB", verdict(mib <= TARGET_RSS_MIB));
        }
        None => line(name, "n/a", "", "", "", ""),
    };
    rss_row("server peak RSS (VmHWM)", hwm_kib);
    rss_row("server peak RSS (VmRSS / 100 ms)", sampled_kib);
    rss_row("server peak RSS, large PUTs (VmRSS)", puts_large.rss_during);
    println!("{}", "-".repeat(RULE));
    println!(
        "large object {} MiB ({} parts of {} MiB), verified by length and CRC32 per range; small objects {} x {} KiB, verified by comparison",
        args.large_mib,
        parts.len(),
        args.part_mib,
        args.small_count,
        args.small_kib
    );
    println!(
        "large PUTs {} MiB, {} per route in turn, ETags checked; edge at {:.1}% of presigned; server VmRSS {} before, at most {} during",
        args.large_mib,
        args.repeat,
        rates.edge / rates.presigned * 100.0,
        mib(puts_large.rss_before),
        mib(puts_large.rss_during),
    );
    println!("server stopped with SIGTERM: {exit}");
    ensure!(exit.success(), "the server exited with {exit} after SIGTERM");
    Ok(())
}

struct Rates {
    raw_write: f64,
    edge: f64,
    presigned: f64,
}

/// The raw write + fsync and the large upload of the same bytes, in turn, `--repeat` times (each right
/// after the other, so both see the disk as it is at that moment): their medians. Also prints the CPU time
/// the server and this client spent on each upload: when the disk is faster than two cores can checksum,
/// encrypt and copy, that is what an upload waits for.
#[allow(clippy::too_many_arguments)]
async fn write_and_upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    raw_path: &Path,
    parts: &[SdkBody],
    args: &Args,
    server_pid: u32,
) -> Result<[Duration; 2]> {
    println!(
        "raw write + fsync and multipart upload of {} MiB ({} MiB parts, {LARGE_IN_FLIGHT} in flight), in turn, {} times ...",
        args.large_mib, args.part_mib, args.repeat
    );
    let (mut writes, mut uploads) = (Vec::with_capacity(args.repeat), Vec::with_capacity(args.repeat));
    let (mut server_cpu, mut client_cpu) = (Vec::with_capacity(args.repeat), Vec::with_capacity(args.repeat));
    for _ in 0..args.repeat {
        // Page-cache writes that reuse memory freed a moment ago cost a tenth of those that take memory the
        // machine has handed back to its host (these VMs report free pages after about 2 s: 0.19 s against
        // 2-2.5 s of system time per GiB written). The server's new blobs take such memory (the blobs they
        // replace are reclaimed a minute later); the raw write, truncating its last file just before, would
        // reuse that file's. So its file goes first and the write waits until those pages are handed back.
        let _ = std::fs::remove_file(raw_path);
        std::thread::sleep(FREED_PAGES_REPORTED);
        writes.push(raw_write(raw_path, parts)?);
        let before = [cpu_time(server_pid)?, cpu_time(std::process::id())?];
        uploads.push(upload_large(s3, bucket, key, parts, None).await.context("large upload")?);
        server_cpu.push(cpu_time(server_pid)?.saturating_sub(before[0]));
        client_cpu.push(cpu_time(std::process::id())?.saturating_sub(before[1]));
    }
    println!("raw writes took {} s, uploads {} s", seconds(&writes), seconds(&uploads));
    println!("CPU time of each upload: server {} s, client {} s", seconds(&server_cpu), seconds(&client_cpu));
    Ok([median(writes), median(uploads)])
}

/// The CPU time (user and system) process `pid` has used so far, from `/proc/<pid>/stat`.
fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command name (which may hold spaces, hence the last ')'): state is the 3rd
    // field of the line, utime and stime the 14th and 15th, in clock ticks.
    let fields: Vec<&str> = stat.rsplit_once(')').context("a /proc stat line")?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11..13).context("utime and stime")?.iter().map(|field| field.parse::<u64>()).sum::<Result<u64, _>>()?;
    Ok(Duration::from_secs_f64(ticks as f64 / rustix::param::clock_ticks_per_second() as f64))
}

/// The raw read and the ranged download of the same bytes, each from the disk, in turn, `--repeat` times:
/// their medians.
#[allow(clippy::too_many_arguments)]
async fn read_and_download(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    data: &Path,
    raw_path: &Path,
    parts: &[SdkBody],
    part_digests: &[u32],
    args: &Args,
) -> Result<[Duration; 2]> {
    let (large_len, part_len) = (args.large_mib * MIB, args.part_mib * MIB);
    let mut raw_buffer = vec![0u8; part_len + 1];
    println!("raw read and ranged download ({LARGE_IN_FLIGHT} in flight), in turn, {} times ...", args.repeat);
    let (mut raw_reads, mut downloads) = (Vec::with_capacity(args.repeat), Vec::with_capacity(args.repeat));
    for _ in 0..args.repeat {
        raw_reads.push(raw_read(raw_path, parts, &mut raw_buffer)?);
        evict_tree(&data.join("blobs")).context("evicting the blobs from the page cache")?;
        downloads.push(download_large(s3, bucket, key, large_len, part_len, part_digests).await.context("large download")?);
    }
    println!("raw reads took {} s, downloads {} s", seconds(&raw_reads), seconds(&downloads));
    Ok([median(raw_reads), median(downloads)])
}

/// The table's rows of the raw disk and the large upload and download beside it.
fn large_rows(large: f64, [raw_write, upload, raw_read, download]: [Duration; 4]) {
    let (raw_write_rate, raw_read_rate) = (mb_per_s(large, raw_write), mb_per_s(large, raw_read));
    let (upload_rate, download_rate) = (mb_per_s(large, upload), mb_per_s(large, download));
    row("raw write + fsync", raw_write_rate, "MB/s", raw_write, None, None);
    row("raw read", raw_read_rate, "MB/s", raw_read, None, None);
    row(
        &format!("large upload ({LARGE_IN_FLIGHT} parts in flight)"),
        upload_rate,
        "MB/s",
        upload,
        Some(upload_rate / raw_write_rate),
        Some(("≥ 80% raw", upload_rate >= TARGET_RATIO * raw_write_rate)),
    );
    row(
        &format!("large download ({LARGE_IN_FLIGHT} ranges in flight)"),
        download_rate,
        "MB/s",
        download,
        Some(download_rate / raw_read_rate),
        Some(("≥ 80% raw", download_rate >= TARGET_RATIO * raw_read_rate)),
    );
}

fn mb_per_s(bytes: f64, elapsed: Duration) -> f64 {
    bytes / 1e6 / elapsed.as_secs_f64()
}

/// KiB of RSS as MiB, for the record.
fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".to_owned(), |kib| format!("{:.1} MiB", kib as f64 / 1024.0))
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

fn row(name: &str, figure: f64, unit: &str, time: Duration, ratio: Option<f64>, target: Option<(&str, bool)>) {
    let ratio = ratio.map_or(String::new(), |r| format!("{:.1}%", r * 100.0));
    let (target, result) = target.map_or(("", ""), |(t, pass)| (t, verdict(pass)));
    let time = format!("{:.2} s", time.as_secs_f64());
    line(name, &format!("{figure:.1} {unit}"), &time, &ratio, target, result);
}

const RULE: usize = 96;

fn line(name: &str, figure: &str, time: &str, ratio: &str, target: &str, result: &str) {
    let text = format!("{name:<38} {figure:>14} {time:>9} {ratio:>8}   {target:<15} {result}");
    println!("{}", text.trim_end());
}

/// Writes `parts` to `path` and fsyncs; returns how long that took.
fn raw_write(path: &Path, parts: &[SdkBody]) -> Result<Duration> {
    let start = Instant::now();
    let mut file = File::create(path)?;
    for part in parts {
        file.write_all(part.bytes().expect("in-memory body"))?;
    }
    file.sync_all()?;
    Ok(start.elapsed())
}

/// Reads the file `raw_write` wrote back from the disk, into `buffer`; returns how long that took.
fn raw_read(path: &Path, parts: &[SdkBody], buffer: &mut [u8]) -> Result<Duration> {
    // Read from the disk, not from the page cache the write (or the last read) filled: the download
    // reads blobs whose cache is evicted the same way, so both sides of the comparison read the disk.
    evict_from_page_cache(path)?;
    let start = Instant::now();
    let mut file = File::open(path)?;
    let mut heads_match = true;
    for part in parts {
        let source = part.bytes().expect("in-memory body");
        file.read_exact(&mut buffer[..source.len()])?;
        // A cheap sanity check inside the clock; the S3 download is verified in full.
        heads_match &= buffer[..source.len().min(64)] == source[..source.len().min(64)];
    }
    let elapsed = start.elapsed();
    ensure!(file.read(&mut buffer[..1])? == 0, "the raw file is longer than written");
    ensure!(heads_match, "the raw file reads back different bytes");
    Ok(elapsed)
}

/// The middle one of `times` (not empty).
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// `times` in seconds, for the record: "0.54 0.61 0.55".
fn seconds(times: &[Duration]) -> String {
    times.iter().map(|time| format!("{:.2}", time.as_secs_f64())).collect::<Vec<_>>().join(" ")
}

/// Drops a written (and fsynced, hence clean) file's pages from the page cache.
fn evict_from_page_cache(path: &Path) -> Result<()> {
    let file = File::open(path)?;
    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed)
        .with_context(|| format!("posix_fadvise on {}", path.display()))?;
    Ok(())
}

/// Every file under `directory`, evicted from the page cache.
fn evict_tree(directory: &Path) -> Result<()> {
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        if path.is_dir() {
            evict_tree(&path)?;
        } else {
            evict_from_page_cache(&path)?;
        }
    }
    Ok(())
}

/// Uploads `parts` as one multipart object, `LARGE_IN_FLIGHT` parts at a time; under the KMS key `kms`
/// (SSE-KMS) when given, else the bucket's default (SSE-S3).
async fn upload_large(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, parts: &[SdkBody], kms: Option<&str>) -> Result<Duration> {
    let start = Instant::now();
    let mut create = s3.create_multipart_upload().bucket(bucket).key(key);
    if let Some(kms) = kms {
        create = create.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id(kms);
    }
    let created = create.send().await?;
    let upload_id = created.upload_id().context("CreateMultipartUpload returned no upload id")?.to_owned();
    let bodies: Arc<Vec<SdkBody>> =
        Arc::new(parts.iter().map(|p| p.try_clone().expect("in-memory bodies clone")).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::with_capacity(LARGE_IN_FLIGHT);
    for _ in 0..LARGE_IN_FLIGHT {
        let (s3, bucket, key, upload_id) = (s3.clone(), bucket.to_owned(), key.to_owned(), upload_id.clone());
        let (bodies, next) = (bodies.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut completed = Vec::new();
            for _ in 0..bodies.len() {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(index) else { break };
                let number = i32::try_from(index + 1)?;
                let body = body.try_clone().expect("in-memory bodies clone");
                let uploaded = s3
                    .upload_part()
                    .bucket(&bucket)
                    .key(&key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(ByteStream::new(body))
                    .send()
                    .await
                    .with_context(|| format!("UploadPart {number}"))?;
                let etag = uploaded.e_tag().with_context(|| format!("UploadPart {number} returned no ETag"))?;
                completed.push(CompletedPart::builder().part_number(number).e_tag(etag).build());
            }
            anyhow::Ok(completed)
        }));
    }
    let mut completed = Vec::with_capacity(parts.len());
    for worker in workers {
        completed.extend(worker.await??);
    }
    completed.sort_by_key(|p| p.part_number());
    ensure!(completed.len() == parts.len(), "{} of {} parts uploaded", completed.len(), parts.len());
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await?;
    Ok(start.elapsed())
}

/// Downloads `key` in `part_len` ranges, `LARGE_IN_FLIGHT` at a time; after the clock stops, checks the
/// length and CRC32 of each range against the source part's.
async fn download_large(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    len: usize,
    part_len: usize,
    digests: &[u32],
) -> Result<Duration> {
    let ranges = digests.len();
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::with_capacity(LARGE_IN_FLIGHT);
    for _ in 0..LARGE_IN_FLIGHT {
        let (s3, bucket, key, next) = (s3.clone(), bucket.to_owned(), key.to_owned(), next.clone());
        workers.push(tokio::spawn(async move {
            // (range, bytes received, their CRC32)
            let mut got: Vec<(usize, usize, u32)> = Vec::new();
            for _ in 0..ranges {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= ranges {
                    break;
                }
                let first = index * part_len;
                let last = (first + part_len).min(len) - 1;
                let response = s3
                    .get_object()
                    .bucket(&bucket)
                    .key(&key)
                    .range(format!("bytes={first}-{last}"))
                    .send()
                    .await
                    .with_context(|| format!("GET bytes={first}-{last}"))?;
                let mut body = response.body;
                let (mut length, mut crc) = (0, crc32fast::Hasher::new());
                while let Some(chunk) = body.next().await {
                    let chunk = chunk.with_context(|| format!("reading bytes={first}-{last}"))?;
                    length += chunk.len();
                    crc.update(&chunk);
                }
                got.push((index, length, crc.finalize()));
            }
            anyhow::Ok(got)
        }));
    }
    finish_ranges(workers, start, digests, len).await
}

/// A range a worker fetched: its index, the bytes received and their CRC32.
type FetchedRange = (usize, usize, u32);

/// Waits for the range workers, stops the clock, then checks every range they fetched (each once, its
/// CRC32 the source's, all of them the source's length); the time the ranges took.
async fn finish_ranges(
    workers: Vec<tokio::task::JoinHandle<Result<Vec<FetchedRange>>>>,
    start: Instant,
    digests: &[u32],
    len: usize,
) -> Result<Duration> {
    let mut got = Vec::with_capacity(digests.len());
    for worker in workers {
        got.extend(worker.await??);
    }
    let elapsed = start.elapsed();
    ensure!(got.len() == digests.len(), "{} of {} ranges downloaded", got.len(), digests.len());
    got.sort_by_key(|(index, _, _)| *index);
    let mut total = 0;
    for (index, length, crc) in got {
        total += length;
        if crc != digests[index] {
            bail!("range {index} ({length} bytes) differs from the source (CRC32)");
        }
    }
    ensure!(total == len, "downloaded {total} bytes, uploaded {len}");
    Ok(elapsed)
}

/// Median times of the same object under SSE-S3 and SSE-KMS, each uploaded then downloaded from the disk.
struct SseTimes {
    s3_up: Duration,
    kms_up: Duration,
    s3_down: Duration,
    kms_down: Duration,
}

/// Median download times beside nginx: each cold (from the disk) and hot (from the page cache).
struct StaticTimes {
    nginx_cold: Duration,
    cold: Duration,
    nginx_hot: Duration,
    hot: Duration,
}

/// nginx serving the raw baseline's bytes as a static file from the data dir, on a loopback port of its
/// own; stopped when dropped.
struct StaticBaseline {
    child: Child,
    port: u16,
    file: PathBuf,
}

impl StaticBaseline {
    fn start(nginx: &Path, data: &Path, raw: &Path) -> Result<StaticBaseline> {
        let root = data.join("static");
        std::fs::create_dir_all(&root)?;
        let file = root.join("raw-baseline.bin");
        std::fs::rename(raw, &file)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let prefix = data.join("nginx");
        std::fs::create_dir_all(&prefix)?;
        let config = prefix.join("nginx.conf");
        std::fs::write(
            &config,
            format!(
                "daemon off;\nworker_processes 2;\nerror_log stderr warn;\npid {pid};\nevents {{ worker_connections 256; }}\n\
                 http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  client_body_temp_path {tmp};\n  proxy_temp_path {tmp};\n\
                 fastcgi_temp_path {tmp};\n  uwsgi_temp_path {tmp};\n  scgi_temp_path {tmp};\n\
                 server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
                pid = prefix.join("nginx.pid").display(),
                tmp = prefix.display(),
                root = root.display(),
            ),
        )?;
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", nginx.display()))?;
        let baseline = StaticBaseline { child, port, file };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(baseline);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("nginx did not start listening on port {port}")
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/raw-baseline.bin", self.port)
    }
}

impl Drop for StaticBaseline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same ranged GETs as `download_large`, from a plain HTTP server: `LARGE_IN_FLIGHT` at a time, each
/// range counted and CRC32'd as it arrives, checked against the source's after the clock stops.
async fn download_static(url: &str, len: usize, part_len: usize, digests: &[u32]) -> Result<Duration> {
    let client: Client<HttpConnector, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let ranges = digests.len();
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::with_capacity(LARGE_IN_FLIGHT);
    for _ in 0..LARGE_IN_FLIGHT {
        let (client, url, next) = (client.clone(), url.to_owned(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut got: Vec<(usize, usize, u32)> = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= ranges {
                    break;
                }
                let first = index * part_len;
                let last = (first + part_len).min(len) - 1;
                let request = Request::get(&url).header(header::RANGE, format!("bytes={first}-{last}")).body(Empty::new())?;
                let response = client.request(request).await.with_context(|| format!("GET bytes={first}-{last}"))?;
                ensure!(response.status() == StatusCode::PARTIAL_CONTENT, "nginx answered {} to a range", response.status());
                let mut body = response.into_body();
                let (mut length, mut crc) = (0, crc32fast::Hasher::new());
                while let Some(frame) = body.frame().await {
                    if let Ok(chunk) = frame?.into_data() {
                        length += chunk.len();
                        crc.update(&chunk);
                    }
                }
                got.push((index, length, crc.finalize()));
            }
            anyhow::Ok(got)
        }));
    }
    finish_ranges(workers, start, digests, len).await
}

/// PUTs every body under its own key, then GETs them all back; `SMALL_IN_FLIGHT` at a time each.
async fn small_objects(s3: &aws_sdk_s3::Client, bucket: &str, bodies: &[SdkBody]) -> Result<(Duration, Duration)> {
    let bodies: Arc<Vec<SdkBody>> =
        Arc::new(bodies.iter().map(|p| p.try_clone().expect("in-memory bodies clone")).collect());
    let mut elapsed = [Duration::ZERO; 2];
    for (phase, elapsed) in elapsed.iter_mut().enumerate() {
        let put = phase == 0;
        let start = Instant::now();
        let next = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::with_capacity(SMALL_IN_FLIGHT);
        for _ in 0..SMALL_IN_FLIGHT {
            let (s3, bucket, bodies, next) = (s3.clone(), bucket.to_owned(), bodies.clone(), next.clone());
            workers.push(tokio::spawn(async move {
                for _ in 0..bodies.len() {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(index) else { break };
                    let key = format!("bench/small/{index:06}");
                    if put {
                        let body = ByteStream::new(body.try_clone().expect("in-memory bodies clone"));
                        s3.put_object().bucket(&bucket).key(&key).body(body).send().await.with_context(|| format!("PUT {key}"))?;
                    } else {
                        let got = s3.get_object().bucket(&bucket).key(&key).send().await.with_context(|| format!("GET {key}"))?;
                        let got = got.body.collect().await.with_context(|| format!("reading {key}"))?.into_bytes();
                        ensure!(Some(&got[..]) == body.bytes(), "GET {key} returned different bytes");
                    }
                }
                anyhow::Ok(())
            }));
        }
        for worker in workers {
            worker.await??;
        }
        *elapsed = start.elapsed();
    }
    Ok((elapsed[0], elapsed[1]))
}

/// Small PUTs and GETs with metrics and the audit log, and without.
struct MonitoringTimes {
    puts: Duration,
    gets: Duration,
    quiet_puts: Duration,
    quiet_gets: Duration,
}

/// One server of a side-by-side comparison: its name (also its data dir's), its binary and environment.
struct Contender<'a> {
    name: &'a str,
    binary: &'a Path,
    environment: &'a [(&'a str, &'a str)],
}

/// The small objects against two fresh servers of their own, in turn `repeat` times (alternating which goes
/// first), after a first round that stores them: the median PUT and GET times of each.
async fn side_by_side(data: &Path, bodies: &[SdkBody], repeat: usize, contenders: [Contender<'_>; 2]) -> Result<[Duration; 4]> {
    Ok(side_by_side_all(data, bodies, repeat, contenders).await?.map(median))
}

/// `side_by_side`'s every time: the first server's PUTs and GETs, then the second's.
async fn side_by_side_all(data: &Path, bodies: &[SdkBody], repeat: usize, contenders: [Contender<'_>; 2]) -> Result<[Vec<Duration>; 4]> {
    let start = |contender: &Contender<'_>| -> Result<(Server, PathBuf)> {
        let directory = data.join(contender.name);
        std::fs::create_dir_all(&directory)?;
        let log = File::create(data.join(format!("{}.log", contender.name)))?;
        Ok((Server::start_with(contender.binary, &directory, contender.environment, Stdio::from(log))?, directory))
    };
    let (mut first, first_data) = start(&contenders[0])?;
    let (mut second, second_data) = start(&contenders[1])?;
    let servers = [
        (client(&first.endpoint, &first_data)?, bootstrap_bucket(&first_data)?),
        (client(&second.endpoint, &second_data)?, bootstrap_bucket(&second_data)?),
    ];
    for (s3, bucket) in &servers {
        small_objects(s3, bucket, bodies).await.context("small objects, first stored")?;
    }
    let mut times = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for round in 0..repeat {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for server in order {
            let (s3, bucket) = &servers[server];
            let (puts, gets) = small_objects(s3, bucket, bodies).await.context("small objects")?;
            times[2 * server].push(puts);
            times[2 * server + 1].push(gets);
        }
    }
    println!(
        "PUTs: {} {} s, {} {} s; GETs: {} {} s, {} {} s",
        contenders[0].name,
        seconds(&times[0]),
        contenders[1].name,
        seconds(&times[2]),
        contenders[0].name,
        seconds(&times[1]),
        contenders[1].name,
        seconds(&times[3])
    );
    for (server, contender) in [(&mut first, &contenders[0]), (&mut second, &contenders[1])] {
        let exit = server.stop()?;
        ensure!(exit.success(), "the {} server of a comparison exited with {exit}", contender.name);
    }
    Ok(times)
}

/// The small objects against two fresh servers of their own, one as it runs by default (metrics, the audit
/// log, an access-log line a request at `info`, written to a file) and one without metrics, audit log or
/// access log.
async fn monitoring_cost(binary: &Path, data: &Path, bodies: &[SdkBody], repeat: usize) -> Result<MonitoringTimes> {
    println!("monitoring's cost: small objects with metrics, audit and access log, and without, in turn, {repeat} times ...");
    let monitored = Contender { name: "monitored", binary, environment: &[("S3COGNITO_LOG", "info")] };
    let quiet = [("S3COGNITO_LOG", "warn"), ("S3COGNITO_METRICS", "false"), ("S3COGNITO_AUDIT", "false")];
    let unmonitored = Contender { name: "unmonitored", binary, environment: &quiet };
    let [puts, gets, quiet_puts, quiet_gets] = side_by_side(data, bodies, repeat, [monitored, unmonitored]).await?;
    Ok(MonitoringTimes { puts, gets, quiet_puts, quiet_gets })
}

/// GETs `bodies` (already PUT by `small_objects`) one after another: the latency of a single request,
/// which a response written in two pieces would show (Nagle's algorithm against a delayed ACK).
async fn serial_gets(s3: &aws_sdk_s3::Client, bucket: &str, bodies: &[SdkBody]) -> Result<Duration> {
    let start = Instant::now();
    for (index, body) in bodies.iter().enumerate() {
        let key = format!("bench/small/{index:06}");
        let got = s3.get_object().bucket(bucket).key(&key).send().await.with_context(|| format!("GET {key}"))?;
        let got = got.body.collect().await.with_context(|| format!("reading {key}"))?.into_bytes();
        ensure!(Some(&got[..]) == body.bytes(), "GET {key} returned different bytes");
    }
    Ok(start.elapsed())
}

/// The large PUTs through the upload gateway: the median time of each route, and the server's VmRSS
/// before them and at most during them, in KiB.
struct LargePuts {
    edge: Duration,
    presigned: Duration,
    rss_before: Option<u64>,
    rss_during: Option<u64>,
}

/// PUTs `body` through the upload edge and through a presigned URL in turn, `repeat` times, each under a
/// name of its own; checks each ETag against `etag` after the clock stops.
async fn gateway_puts(
    gateway: &Gateway,
    pid: u32,
    sampler: &RssSampler,
    body: &Repeated,
    etag: &str,
    repeat: usize,
) -> Result<LargePuts> {
    let rss_before = proc_status_kib(pid, "VmRSS:");
    sampler.restart_window();
    let (mut edge, mut presigned) = (Vec::with_capacity(repeat), Vec::with_capacity(repeat));
    for run in 1..=repeat {
        // A fresh access token each turn (one lasts an hour), before the clocks start.
        let token = gateway.sign_in().await.context("signing in")?;
        let name = format!("edge-{run}.bin");
        let put = gateway.edge_put(&token, &name, body, etag).await;
        edge.push(put.with_context(|| format!("PUT {name} through the upload edge"))?);
        let name = format!("presigned-{run}.bin");
        let put = gateway.presigned_put(&token, &name, body, etag).await;
        presigned.push(put.with_context(|| format!("PUT {name} through a presigned URL"))?);
    }
    let rss_during = sampler.window_max().max(proc_status_kib(pid, "VmRSS:"));
    println!("edge PUTs took {} s, presigned PUTs {} s", seconds(&edge), seconds(&presigned));
    Ok(LargePuts { edge: median(edge), presigned: median(presigned), rss_before, rss_during })
}

/// The upload gateway's routes from aws-exports.json, the user pool user the bench made to use them, and
/// HTTP/1.1 clients for them.
struct Gateway {
    upload_endpoint: String,
    presign_endpoint: String,
    pool_id: String,
    client_id: String,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    puts: Client<HttpConnector, Repeated>,
    gets: Client<HttpConnector, Empty<Bytes>>,
}

impl Gateway {
    /// Reads the routes and the pool from aws-exports.json and makes the user (AdminCreateUser, then
    /// AdminSetUserPassword permanent) with the root key, on the server at `endpoint`.
    async fn start(endpoint: &str, data: &Path) -> Result<Gateway> {
        let exports = aws_exports(data)?;
        let text = |value: &serde_json::Value, name: &str| {
            value.as_str().map(str::to_owned).with_context(|| format!("{name} in aws-exports.json"))
        };
        let presign = exports["aws_cloud_logic_custom"]
            .as_array()
            .and_then(|apis| apis.iter().find(|api| api["name"] == "presign"))
            .context("the presign API in aws_cloud_logic_custom in aws-exports.json")?;
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(root_credentials(data)?)
            .build();
        let gateway = Gateway {
            upload_endpoint: text(&exports["s3cognito_upload_endpoint"], "s3cognito_upload_endpoint")?,
            presign_endpoint: text(&presign["endpoint"], "the presign API's endpoint")?,
            pool_id: text(&exports["aws_user_pools_id"], "aws_user_pools_id")?,
            client_id: text(&exports["aws_user_pools_web_client_id"], "aws_user_pools_web_client_id")?,
            cognito: aws_sdk_cognitoidentityprovider::Client::from_conf(config),
            puts: Client::builder(TokioExecutor::new()).build_http(),
            gets: Client::builder(TokioExecutor::new()).build_http(),
        };
        let email = AttributeType::builder().name("email").value(format!("{BENCH_USER}@example.com")).build()?;
        gateway
            .cognito
            .admin_create_user()
            .user_pool_id(&gateway.pool_id)
            .username(BENCH_USER)
            .user_attributes(email)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .context("AdminCreateUser")?;
        gateway
            .cognito
            .admin_set_user_password()
            .user_pool_id(&gateway.pool_id)
            .username(BENCH_USER)
            .password(BENCH_PASSWORD)
            .permanent(true)
            .send()
            .await
            .context("AdminSetUserPassword")?;
        Ok(gateway)
    }

    /// The user's access token (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH).
    async fn sign_in(&self) -> Result<String> {
        let answer = self
            .cognito
            .admin_initiate_auth()
            .user_pool_id(&self.pool_id)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", BENCH_USER)
            .auth_parameters("PASSWORD", BENCH_PASSWORD)
            .send()
            .await
            .context("AdminInitiateAuth")?;
        let tokens = answer.authentication_result().context("AdminInitiateAuth returned no tokens")?;
        tokens.access_token().map(str::to_owned).context("AdminInitiateAuth returned no access token")
    }

    /// PUTs `body` to the upload edge as `name`; returns how long the request took.
    async fn edge_put(&self, token: &str, name: &str, body: &Repeated, etag: &str) -> Result<Duration> {
        let request = Request::put(format!("{}/{name}", self.upload_endpoint))
            .header(header::AUTHORIZATION, token)
            .header(header::CONTENT_TYPE, PUT_CONTENT_TYPE)
            .header(header::CONTENT_LENGTH, body.remaining)
            .body(body.clone())?;
        self.timed_put(request, etag).await
    }

    /// Asks the presign API for a PUT of `name` (before the clock starts), then PUTs `body` to the URL
    /// with the headers it names and the signed Content-Length; returns how long the PUT took.
    async fn presigned_put(&self, token: &str, name: &str, body: &Repeated, etag: &str) -> Result<Duration> {
        let size = body.remaining;
        let query = format!("name={name}&method=PUT&contentType=application%2Foctet-stream&size={size}");
        let request =
            Request::get(format!("{}?{query}", self.presign_endpoint)).header(header::AUTHORIZATION, token).body(Empty::new())?;
        let response = self.gets.request(request).await.context("the presign API")?;
        let status = response.status();
        let answer = response.into_body().collect().await.context("reading the presign API's answer")?.to_bytes();
        ensure!(status == StatusCode::OK, "the presign API answered {status}: {}", String::from_utf8_lossy(&answer));
        let answer: serde_json::Value = serde_json::from_slice(&answer).context("the presign API's answer is not JSON")?;
        let url = answer["url"].as_str().context("no url in the presign API's answer")?;
        let mut request = Request::put(url);
        for (header, value) in answer["headers"].as_object().context("no headers in the presign API's answer")? {
            let value = value.as_str().with_context(|| format!("the presign API's header {header} is not a string"))?;
            request = request.header(header.as_str(), value);
        }
        let request = request.header(header::CONTENT_LENGTH, size).body(body.clone())?;
        self.timed_put(request, etag).await
    }

    /// Sends a PUT and reads its answer; once the clock stops, checks for 200 and `etag`.
    async fn timed_put(&self, request: Request<Repeated>, etag: &str) -> Result<Duration> {
        let start = Instant::now();
        let response = self.puts.request(request).await.context("sending the PUT")?;
        let status = response.status();
        let got = response.headers().get(header::ETAG).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let answer = response.into_body().collect().await.context("reading the answer")?.to_bytes();
        let elapsed = start.elapsed();
        ensure!(status == StatusCode::OK, "answered {status}: {}", String::from_utf8_lossy(&answer));
        ensure!(got.as_deref() == Some(etag), "ETag {got:?}, expected {etag} (the MD5 of the bytes sent)");
        Ok(elapsed)
    }
}

/// A request body of `remaining` bytes: `chunk` over and over, the last time cut short. Clones share the
/// chunk, so a large PUT streams without the client holding the object.
#[derive(Clone)]
struct Repeated {
    chunk: Bytes,
    remaining: u64,
}

impl Repeated {
    fn new(chunk: Bytes, len: u64) -> Repeated {
        assert!(!chunk.is_empty() || len == 0, "an empty chunk repeats to nothing");
        Repeated { chunk, remaining: len }
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.remaining == 0 {
            return None;
        }
        let len = usize::try_from(self.remaining).map_or(self.chunk.len(), |remaining| remaining.min(self.chunk.len()));
        self.remaining -= len as u64;
        Some(self.chunk.slice(..len))
    }

    /// The ETag S3 gives an object of these bytes PUT whole: their MD5 in hex, quoted.
    fn etag(&self) -> String {
        let (mut body, mut md5) = (self.clone(), Md5::new());
        while let Some(chunk) = body.next_chunk() {
            md5.update(&chunk);
        }
        let digest: [u8; 16] = md5.finalize().into();
        format!("\"{}\"", hex::encode(digest))
    }
}

impl hyper::body::Body for Repeated {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.next_chunk().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// The root access key the server wrote to DATA/credentials.
fn root_credentials(data: &Path) -> Result<Credentials> {
    let text = std::fs::read_to_string(data.join("credentials")).context("reading DATA/credentials")?;
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.split_once('=').filter(|(k, _)| k.trim() == key).map(|(_, v)| v.trim().to_owned()))
            .with_context(|| format!("{key} in DATA/credentials"))
    };
    Ok(Credentials::new(value("aws_access_key_id")?, value("aws_secret_access_key")?, None, None, "s3cognito"))
}

fn client(endpoint: &str, data: &Path) -> Result<aws_sdk_s3::Client> {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(root_credentials(data)?)
        .force_path_style(true)
        // A failed request fails the run instead of being retried inside the clock.
        .retry_config(RetryConfig::disabled())
        .build();
    Ok(aws_sdk_s3::Client::from_conf(config))
}

fn aws_exports(data: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read(data.join("aws-exports.json")).context("reading DATA/aws-exports.json")?;
    serde_json::from_slice(&text).context("parsing DATA/aws-exports.json")
}

fn bootstrap_bucket(data: &Path) -> Result<String> {
    aws_exports(data)?["aws_user_files_s3_bucket"]
        .as_str()
        .map(str::to_owned)
        .context("aws_user_files_s3_bucket in aws-exports.json")
}

/// The server under test; killed (SIGTERM, then SIGKILL) if dropped without `stop`.
struct Server {
    child: Option<Child>,
    pid: u32,
    endpoint: String,
}

impl Server {
    fn start(binary: &Path, data: &Path) -> Result<Server> {
        Server::start_with(binary, data, &[("S3COGNITO_LOG", "warn")], Stdio::inherit())
    }

    /// Starts the server with `environment` set, its log going to `log`.
    fn start_with(binary: &Path, data: &Path, environment: &[(&str, &str)], log: Stdio) -> Result<Server> {
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .envs(environment.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut server = Server { child: Some(child), pid, endpoint: String::new() };
        let mut line = String::new();
        stdout.read_line(&mut line).context("reading the server's first line")?;
        server.endpoint = line
            .trim()
            .strip_prefix("s3cognito listening on ")
            .ok_or_else(|| anyhow!("unexpected first line from the server: {line:?}"))?
            .to_owned();
        // Keep draining stdout so the server never blocks on a full pipe; ends at the server's exit.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGTERM, then waits up to 30 s for the exit.
    fn stop(&mut self) -> Result<ExitStatus> {
        let mut child = self.child.take().context("server already stopped")?;
        let status = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status()?;
        ensure!(status.success(), "kill -TERM {} failed", self.pid);
        for _ in 0..STOP_STEPS {
            if let Some(exit) = child.try_wait()? {
                return Ok(exit);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child.kill()?;
        child.wait()?;
        bail!("the server did not exit within 30 s of SIGTERM; killed it")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.stop();
        }
    }
}

/// A `kB` line of /proc/PID/status, e.g. `VmRSS:` or `VmHWM:`.
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Samples a process's VmRSS every 100 ms in a thread, keeping the maximum, over the whole run and
/// since the window was last restarted.
struct RssSampler {
    stop: Arc<AtomicBool>,
    /// The largest VmRSS since `restart_window`, in KiB; 0 before the first sample.
    window: Arc<AtomicU64>,
    thread: JoinHandle<Option<u64>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let window = Arc::new(AtomicU64::new(0));
        let (flag, window_max) = (stop.clone(), window.clone());
        let thread = std::thread::spawn(move || {
            let mut max = None;
            for _ in 0..RSS_MAX_SAMPLES {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                if let Some(kib) = proc_status_kib(pid, "VmRSS:") {
                    max = max.max(Some(kib));
                    window_max.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(RSS_SAMPLE_EVERY);
            }
            max
        });
        RssSampler { stop, window, thread }
    }

    /// Starts a new window: `window_max` counts samples from now on.
    fn restart_window(&self) {
        self.window.store(0, Ordering::Relaxed);
    }

    /// The largest VmRSS sampled since `restart_window`, in KiB.
    fn window_max(&self) -> Option<u64> {
        Some(self.window.load(Ordering::Relaxed)).filter(|&kib| kib > 0)
    }

    /// The largest VmRSS seen, in KiB.
    fn stop(self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().ok().flatten()
    }
}
