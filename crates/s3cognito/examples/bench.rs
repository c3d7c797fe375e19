//! The S3 benchmark (a documented command, not a test): run it with `scripts/bench`, which
//! builds the server and this example with `--release`.
//!
//! It starts the server binary named by `--server` on a fresh data dir and, in the same run, measures:
//! 1. the raw baseline: the large object's bytes written to a file in the data dir (fsync at the end),
//!    then read back after its pages are evicted from the page cache (`posix_fadvise(DONTNEED)`), so the
//!    read is the disk's; the blobs are evicted the same way before the download, so both read the disk.
//!    Reads and downloads take turns, `--repeat` times (3), and the median of each counts: one run lasts
//!    about half a second here, and the disk of a shared machine is not as fast from one minute to the next;
//! 2. one large object through the AWS SDK for Rust: a multipart upload with 8 parts in flight (payloads
//!    signed: in-memory bodies are hashed into `x-amz-content-sha256`), then a download with 8 ranged GETs
//!    in flight, each range's bytes counted and CRC32'd as they arrive (the client keeps none of them,
//!    as a downloader writing to its own disk would not) and checked against the source's after the
//!    clock stops;
//! 3. many small objects with 32 requests in flight: PUT ops/s, then GET ops/s (bodies compared), then
//!    200 of them GET one at a time: the latency of a single request;
//! 4. the server's peak RSS: VmRSS sampled every 100 ms, and VmHWM at the end.
//!
//! It prints a table with its targets (large upload and download at least 80% of the raw
//! rates, server peak RSS at most 150 MiB) marked PASS or FAIL, and exits 0 unless something errored.
//! MB are 10^6 bytes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::primitives::{ByteStream, SdkBody};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use clap::Parser;
use s3cognito_crypto::random::random_bytes;

const MIB: usize = 1024 * 1024;
const LARGE_IN_FLIGHT: usize = 8;
const SMALL_IN_FLIGHT: usize = 32;
/// How many small objects are read back one request at a time, for the latency of one GET.
const SERIAL_GETS: usize = 200;
const TARGET_RATIO: f64 = 0.80;
const TARGET_RSS_MIB: f64 = 150.0;
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// The sampler's bound: 24 hours of samples.
const RSS_MAX_SAMPLES: usize = 24 * 3600 * 10;
/// How long the server may take to exit after SIGTERM, in 100 ms steps.
const STOP_STEPS: usize = 300;

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
    /// How many times the raw read and the download run (each from the disk); the median counts.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Keep the data dir (its path is printed) instead of deleting it.
    #[arg(long)]
    keep: bool,
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

    let mut server = Server::start(&args.server, data)?;
    let sampler = RssSampler::start(server.pid());
    println!(
        "s3cognito benchmark: server {} (pid {}), data dir {}, {} CPUs",
        args.server.display(),
        server.pid(),
        data.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    // 1. Raw baseline, same bytes, same directory.
    println!("raw baseline: writing {} MiB ...", args.large_mib);
    let raw_path = data.join("raw-baseline.bin");
    let raw_write = raw_write(&raw_path, &parts)?;
    let mut raw_buffer = vec![0u8; part_len + 1];

    // 2 and 3. Through the S3 API.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let s3_result = runtime.block_on(async {
        let s3 = client(&server.endpoint, data)?;
        let bucket = bootstrap_bucket(data)?;
        let key = "bench/large.bin";
        println!("large object: multipart upload of {} MiB, {} MiB parts, {LARGE_IN_FLIGHT} in flight ...", args.large_mib, args.part_mib);
        let upload = upload_large(&s3, &bucket, key, &parts).await.context("large upload")?;
        // Each download right after a raw read, so that both see the disk as it is at that moment.
        println!("raw read and ranged download ({LARGE_IN_FLIGHT} in flight), in turn, {} times ...", args.repeat);
        let (mut raw_reads, mut downloads) = (Vec::with_capacity(args.repeat), Vec::with_capacity(args.repeat));
        for _ in 0..args.repeat {
            raw_reads.push(raw_read(&raw_path, &parts, &mut raw_buffer)?);
            evict_tree(&data.join("blobs")).context("evicting the blobs from the page cache")?;
            downloads.push(download_large(&s3, &bucket, key, large_len, part_len, &part_digests).await.context("large download")?);
        }
        std::fs::remove_file(&raw_path)?;
        println!("raw reads took {} s, downloads {} s", seconds(&raw_reads), seconds(&downloads));
        let (raw_read, download) = (median(raw_reads), median(downloads));
        println!("small objects: {} x {} KiB, {SMALL_IN_FLIGHT} in flight ...", args.small_count, args.small_kib);
        let (puts, gets) = small_objects(&s3, &bucket, &smalls).await.context("small objects")?;
        let serial_count = smalls.len().min(SERIAL_GETS);
        println!("small objects: {serial_count} GETs one at a time ...");
        let serial = serial_gets(&s3, &bucket, &smalls[..serial_count]).await.context("small GETs one at a time")?;
        anyhow::Ok((raw_read, upload, download, puts, gets, serial_count, serial))
    });

    let hwm_kib = proc_status_kib(server.pid(), "VmHWM:");
    let sampled_kib = sampler.stop();
    let exit = server.stop();
    drop(runtime);
    let (raw_read, upload, download, puts, gets, serial_count, serial) = s3_result?;
    let exit = exit?;

    let large = large_len as f64;
    let small_ops = args.small_count as f64;
    let rates = Rates {
        raw_write: mb_per_s(large, raw_write),
        raw_read: mb_per_s(large, raw_read),
        upload: mb_per_s(large, upload),
        download: mb_per_s(large, download),
    };
    println!();
    line("measure", "figure", "time", "vs raw", "target", "result");
    println!("{}", "-".repeat(RULE));
    row("raw write + fsync", rates.raw_write, "MB/s", raw_write, None, None);
    row("raw read", rates.raw_read, "MB/s", raw_read, None, None);
    row(
        &format!("large upload ({LARGE_IN_FLIGHT} parts in flight)"),
        rates.upload,
        "MB/s",
        upload,
        Some(rates.upload / rates.raw_write),
        Some(("≥ 80% raw", rates.upload >= TARGET_RATIO * rates.raw_write)),
    );
    row(
        &format!("large download ({LARGE_IN_FLIGHT} ranges in flight)"),
        rates.download,
        "MB/s",
        download,
        Some(rates.download / rates.raw_read),
        Some(("≥ 80% raw", rates.download >= TARGET_RATIO * rates.raw_read)),
    );
    row(&format!("small PUT ({} KiB, {SMALL_IN_FLIGHT} in flight)", args.small_kib), small_ops / puts.as_secs_f64(), "ops/s", puts, None, None);
    row(&format!("small GET ({} KiB, {SMALL_IN_FLIGHT} in flight)", args.small_kib), small_ops / gets.as_secs_f64(), "ops/s", gets, None, None);
    let serial_ms = serial.as_secs_f64() * 1e3 / serial_count as f64;
    line("small GET, one at a time (latency)", &format!("{serial_ms:.2} ms"), &format!("{:.2} s", serial.as_secs_f64()), "", "", "");
    let rss_row = |name: &str, kib: Option<u64>| match kib {
        Some(kib) => {
            let mib = kib as f64 / 1024.0;
            line(name, &format!("{mib:.1} MiB"), "", "", "≤ 150 MiB", verdict(mib <= TARGET_RSS_MIB));
        }
        None => line(name, "n/a", "", "", "", ""),
    };
    rss_row("server peak RSS (VmHWM)", hwm_kib);
    rss_row("server peak RSS (VmRSS / 100 ms)", sampled_kib);
    println!("{}", "-".repeat(RULE));
    println!(
        "large object {} MiB ({} parts of {} MiB), verified by length and CRC32 per range; small objects {} x {} KiB, verified by comparison",
        args.large_mib,
        parts.len(),
        args.part_mib,
        args.small_count,
        args.small_kib
    );
    println!("server stopped with SIGTERM: {exit}");
    ensure!(exit.success(), "the server exited with {exit} after SIGTERM");
    Ok(())
}

struct Rates {
    raw_write: f64,
    raw_read: f64,
    upload: f64,
    download: f64,
}

fn mb_per_s(bytes: f64, elapsed: Duration) -> f64 {
    bytes / 1e6 / elapsed.as_secs_f64()
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
    let text = format!("{name:<38} {figure:>14} {time:>9} {ratio:>8}   {target:<11} {result}");
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

async fn upload_large(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, parts: &[SdkBody]) -> Result<Duration> {
    let start = Instant::now();
    let created = s3.create_multipart_upload().bucket(bucket).key(key).send().await?;
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
    let mut got = Vec::with_capacity(ranges);
    for worker in workers {
        got.extend(worker.await??);
    }
    let elapsed = start.elapsed();

    ensure!(got.len() == ranges, "{} of {ranges} ranges downloaded", got.len());
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

fn client(endpoint: &str, data: &Path) -> Result<aws_sdk_s3::Client> {
    let text = std::fs::read_to_string(data.join("credentials")).context("reading DATA/credentials")?;
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.split_once('=').filter(|(k, _)| k.trim() == key).map(|(_, v)| v.trim().to_owned()))
            .with_context(|| format!("{key} in DATA/credentials"))
    };
    let credentials =
        Credentials::new(value("aws_access_key_id")?, value("aws_secret_access_key")?, None, None, "s3cognito");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .force_path_style(true)
        // A failed request fails the run instead of being retried inside the clock.
        .retry_config(RetryConfig::disabled())
        .build();
    Ok(aws_sdk_s3::Client::from_conf(config))
}

fn bootstrap_bucket(data: &Path) -> Result<String> {
    let exports: serde_json::Value = serde_json::from_slice(&std::fs::read(data.join("aws-exports.json"))?)?;
    exports["aws_user_files_s3_bucket"]
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
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("S3COGNITO_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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

/// Samples a process's VmRSS every 100 ms in a thread, keeping the maximum.
struct RssSampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Option<u64>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut max = None;
            for _ in 0..RSS_MAX_SAMPLES {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                if let Some(kib) = proc_status_kib(pid, "VmRSS:") {
                    max = max.max(Some(kib));
                }
                std::thread::sleep(RSS_SAMPLE_EVERY);
            }
            max
        });
        RssSampler { stop, thread }
    }

    /// The largest VmRSS seen, in KiB.
    fn stop(self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().ok().flatten()
    }
}
