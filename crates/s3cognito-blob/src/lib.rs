//! Object bytes, stored under generated ids in an object store: a local directory by default
//! (written with fsync, so an acknowledged blob survives a crash), or any S3-compatible store.
//!
//! Blob ids are ours, never user-supplied keys; what a blob means is recorded in the metadata store.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
    #[error("blob id {0:?} is not one of ours")]
    InvalidId(String),
    #[error("blob store URL {0:?} is not s3://bucket[/prefix]")]
    InvalidUrl(String),
}

pub type Result<T, E = BlobError> = std::result::Result<T, E>;

/// Where object bytes live. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// For a local store, its directory: reads go to the file directly, in large pieces (object_store
    /// streams local files 8 KiB at a time, one blocking task each, which caps a download far below
    /// what the disk and the network give).
    local_root: Option<std::path::PathBuf>,
    /// Buffers for local reads.
    buffers: Arc<Buffers>,
    /// The size of each piece a blob is written in: S3 wants parts of at least 5 MiB.
    chunk_size: usize,
}

/// Local pieces are small, so little is held in memory per upload.
const LOCAL_CHUNK: usize = 1 << 20;
/// S3's smallest part (5 MiB) and then some.
const REMOTE_CHUNK: usize = 8 << 20;

/// A blob being written; nothing is visible under its id until `finish` succeeds.
///
/// Bytes are held until a whole piece has arrived: a blob smaller than one piece is stored with a
/// single put (one request on S3, instead of create, upload and complete); a larger one becomes a
/// multipart upload of pieces.
pub struct BlobWriter {
    store: Arc<dyn ObjectStore>,
    path: Path,
    chunk_size: usize,
    state: Writing,
}

enum Writing {
    Buffering { chunks: Vec<Bytes>, length: usize },
    Multipart(WriteMultipart),
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("BlobWriter").field("path", &self.path).finish_non_exhaustive()
    }
}

impl BlobWriter {
    pub fn write(&mut self, bytes: Bytes) {
        match &mut self.state {
            Writing::Buffering { chunks, length } => {
                *length += bytes.len();
                chunks.push(bytes);
            }
            Writing::Multipart(upload) => upload.put(bytes),
        }
    }

    /// Starts the multipart upload once a whole piece is held, and waits while too many pieces are in
    /// flight, so memory does not grow with the object.
    pub async fn wait_for_capacity(&mut self) -> Result<()> {
        if let Writing::Buffering { chunks, length } = &mut self.state {
            if *length < self.chunk_size {
                return Ok(());
            }
            let mut upload =
                WriteMultipart::new_with_chunk_size(self.store.put_multipart(&self.path).await?, self.chunk_size);
            for chunk in chunks.drain(..) {
                upload.put(chunk);
            }
            self.state = Writing::Multipart(upload);
        }
        match &mut self.state {
            Writing::Multipart(upload) => Ok(upload.wait_for_capacity(4).await?),
            Writing::Buffering { .. } => Ok(()),
        }
    }

    /// Makes the blob durable under its id.
    pub async fn finish(self) -> Result<()> {
        timed("write", async {
            match self.state {
                Writing::Buffering { chunks, .. } => {
                    self.store.put(&self.path, PutPayload::from_iter(chunks)).await?;
                }
                Writing::Multipart(upload) => {
                    upload.finish().await?;
                }
            }
            Ok(())
        })
        .await
    }

    pub async fn abort(self) -> Result<()> {
        match self.state {
            Writing::Buffering { .. } => Ok(()),
            Writing::Multipart(upload) => Ok(upload.abort().await?),
        }
    }
}

/// How much of a local file one read takes.
const READ_PIECE: usize = 512 << 10;
/// How many pieces of one blob are read at once: the next pieces are on their way while the current
/// one is being sent. (Measured with `scripts/bench`: 4 × 512 KiB read as fast as 4 × 1 MiB and faster
/// than 2 × 1 MiB, with half the memory per download.)
const READ_AHEAD: usize = 4;
/// How many idle read buffers are kept for reuse.
const KEPT_BUFFERS: usize = 32;
/// Reads go through the page cache, in pieces of whole blocks. Large reads used to bypass it (`O_DIRECT`,
/// saving a copy); since blobs are sealed in 64 KiB + 16-byte chunks, ranges no longer start on block
/// boundaries and the kernel's read-ahead does better: measured with `scripts/bench`, 8 ranged GETs of a
/// 1 GiB object ran at 91–98% of nginx serving the same file cold and 54–59% hot through the cache,
/// against 55–59% and 32% with `O_DIRECT`, in alternating runs.
const ALIGN: usize = 4096;
/// A buffer holds a piece that starts and ends mid-block, aligned wherever the allocator put it.
const BUFFER_SIZE: usize = READ_PIECE + 3 * ALIGN;

/// Read buffers, reused: a fresh buffer of half a MiB costs the kernel a page fault and a page zeroed per
/// 4 KiB, which on a download is as much work as the read itself.
#[derive(Debug, Default)]
struct Buffers {
    idle: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl Buffers {
    fn take(&self) -> Vec<u8> {
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop().unwrap_or_else(|| vec![0; BUFFER_SIZE])
    }

    fn give_back(&self, buffer: Vec<u8>) {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < KEPT_BUFFERS {
            idle.push(buffer);
        }
    }
}

/// Bytes read into a pooled buffer (`buffer[start..end]`); the buffer goes back to the pool when the
/// last `Bytes` sharing it is dropped.
struct Piece {
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    buffers: Arc<Buffers>,
}

impl AsRef<[u8]> for Piece {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        self.buffers.give_back(std::mem::take(&mut self.buffer));
    }
}

/// Reads `length` bytes at `offset` into a pooled buffer, in whole aligned blocks. A blob shorter than asked is an `UnexpectedEof` error.
fn read_piece(file: &std::fs::File, offset: u64, length: usize, buffers: Arc<Buffers>) -> std::io::Result<Piece> {
    use std::os::unix::fs::FileExt;
    read_piece_with(offset, length, buffers, |target, at| file.read_at(target, at))?
        .ok_or_else(|| std::io::Error::other("a read of a blob would have blocked"))
}

/// The piece at `offset` when the page cache holds all of it, read without waiting for the disk (on an
/// async thread: it is a copy); `None` when any of it would wait, or the kernel cannot say.
fn cached_piece(file: &std::fs::File, offset: u64, length: usize, buffers: &Arc<Buffers>) -> Option<Piece> {
    use rustix::io::{ReadWriteFlags, preadv2};
    let read = |target: &mut [u8], at: u64| {
        preadv2(file, &mut [std::io::IoSliceMut::new(target)], at, ReadWriteFlags::NOWAIT).map_err(std::io::Error::from)
    };
    read_piece_with(offset, length, buffers.clone(), read).ok().flatten()
}

/// [`read_piece`] with `read_at`; `None` when a read stops short of the range (for a read that may not
/// wait), an error when the blob ends before it.
fn read_piece_with(
    offset: u64,
    length: usize,
    buffers: Arc<Buffers>,
    mut read_at: impl FnMut(&mut [u8], u64) -> std::io::Result<usize>,
) -> std::io::Result<Option<Piece>> {
    let mut buffer = buffers.take();
    // Where the buffer's first aligned byte is (`align_offset` may decline to say; the address cannot).
    let base = (ALIGN - buffer.as_ptr().addr() % ALIGN) % ALIGN;
    let first = offset - offset % ALIGN as u64;
    let skip = (offset - first) as usize;
    let wanted = skip + length;
    let span = wanted.next_multiple_of(ALIGN);
    let target = &mut buffer[base..base + span];
    let mut filled = 0;
    while filled < wanted {
        let read = match read_at(&mut target[filled..], first + filled as u64) {
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                buffers.give_back(buffer);
                return Ok(None);
            }
            Err(error) => {
                buffers.give_back(buffer);
                return Err(error);
            }
        };
        // Only the end of the file reads short; a read that ends mid-block before `wanted` is one.
        if read == 0 || (filled + read < wanted && (filled + read) % ALIGN != 0) {
            buffers.give_back(buffer);
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "blob is shorter than its range"));
        }
        filled += read;
    }
    Ok(Some(Piece { buffer, start: base + skip, end: base + wanted, buffers }))
}

fn local_error(source: impl std::error::Error + Send + Sync + 'static) -> BlobError {
    BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(source) })
}

/// `range` of a local file, read in `READ_PIECE`s on the blocking pool, `READ_AHEAD` at a time.
async fn read_local(
    path: std::path::PathBuf,
    range: Range<u64>,
    buffers: Arc<Buffers>,
) -> Result<BoxStream<'static, Result<Bytes>>> {
    let shown = path.display().to_string();
    let file = tokio::task::spawn_blocking(move || std::fs::File::open(&path)).await.map_err(local_error)?.map_err(
        |source| match source.kind() {
            std::io::ErrorKind::NotFound => {
                BlobError::Store(object_store::Error::NotFound { path: shown, source: Box::new(source) })
            }
            _ => local_error(source),
        },
    )?;
    let file = Arc::new(file);
    let pieces = (range.start..range.end)
        .step_by(READ_PIECE)
        .map(move |offset| (offset, (range.end - offset).min(READ_PIECE as u64) as usize));
    let reads = futures::stream::iter(pieces).map(move |(offset, length)| {
        let (file, buffers) = (file.clone(), buffers.clone());
        async move {
            // Bytes the page cache holds are copied right here; only reads that would wait for the disk
            // go to the blocking pool.
            let piece = match cached_piece(&file, offset, length, &buffers) {
                Some(piece) => piece,
                None => tokio::task::spawn_blocking(move || read_piece(&file, offset, length, buffers))
                    .await
                    .map_err(local_error)?
                    .map_err(local_error)?,
            };
            Ok(Bytes::from_owner(piece))
        }
    });
    Ok(reads.buffered(READ_AHEAD).boxed())
}

/// Blob ids become paths: two levels of fan-out keep directories small.
fn path_of(id: &str) -> Result<Path> {
    if id.len() < 8 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(BlobError::InvalidId(id.to_owned()));
    }
    Ok(Path::from(format!("{}/{}/{id}", &id[..2], &id[2..4])))
}

impl BlobStore {
    /// Blobs as files under `directory`, fsynced before a write is acknowledged.
    pub fn local(directory: &std::path::Path) -> Result<BlobStore> {
        use std::os::unix::fs::DirBuilderExt;
        // Private, as the data dir is: object bytes are for the server to hand out, not for local users.
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(directory).map_err(|source| {
            BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(source) })
        })?;
        let store = LocalFileSystem::new_with_prefix(directory)?.with_fsync(true).with_automatic_cleanup(true);
        Ok(BlobStore { store: Arc::new(store), local_root: Some(directory.to_owned()), buffers: Arc::default(), chunk_size: LOCAL_CHUNK })
    }

    /// An S3-compatible store at `url` (`s3://bucket[/prefix]`), configured further by the usual
    /// `AWS_*` environment variables: `AWS_ENDPOINT` (MinIO, Garage, Ceph, another s3cognito…),
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`. Requests are
    /// path-style, which every S3-compatible server understands.
    pub fn s3(url: &str) -> Result<BlobStore> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| BlobError::InvalidUrl(url.to_owned()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(BlobError::InvalidUrl(url.to_owned()));
        }
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_virtual_hosted_style_request(false)
            .build()?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(BlobStore { store, local_root: None, buffers: Arc::default(), chunk_size: REMOTE_CHUNK })
    }

    pub async fn writer(&self, id: &str) -> Result<BlobWriter> {
        Ok(BlobWriter {
            store: self.store.clone(),
            path: path_of(id)?,
            chunk_size: self.chunk_size,
            state: Writing::Buffering { chunks: Vec::new(), length: 0 },
        })
    }

    /// The bytes of `range` of the blob, as a stream. (What is timed is opening it: the time to its first
    /// bytes, not the time the reader takes to consume them.)
    pub async fn read(&self, id: &str, range: Range<u64>) -> Result<BoxStream<'static, Result<Bytes>>> {
        if range.is_empty() {
            return Ok(futures::stream::empty().boxed());
        }
        timed("read", async {
            if let Some(root) = &self.local_root {
                return read_local(root.join(path_of(id)?.as_ref()), range, self.buffers.clone()).await;
            }
            let options = GetOptions { range: Some(GetRange::Bounded(range)), ..GetOptions::default() };
            let result = self.store.get_opts(&path_of(id)?, options).await?;
            Ok(result.into_stream().map(|chunk| chunk.map_err(BlobError::from)).boxed())
        })
        .await
    }

    /// Removes the blob; removing one that is already gone is not an error.
    pub async fn delete(&self, id: &str) -> Result<()> {
        timed("delete", async {
            match self.store.delete(&path_of(id)?).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(error.into()),
            }
        })
        .await
    }

    /// Marks the store as this deployment's, once: readiness then finds the mark (a blob directory moved
    /// away, an empty disk mounted in its place, or a bucket emptied are all told from a working store).
    pub async fn mark(&self) -> Result<()> {
        let marker = Path::from(MARKER);
        match self.store.head(&marker).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => {
                self.store.put(&marker, PutPayload::from_static(b"s3cognito blob store\n")).await?;
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Whether the store answers and holds its mark.
    pub async fn check(&self) -> Result<()> {
        timed("check", async {
            self.store.head(&Path::from(MARKER)).await?;
            Ok(())
        })
        .await
    }
}

/// The object that says a store is this deployment's (`mark`); blob ids never take this name.
const MARKER: &str = "s3cognito-blob-store";

/// Runs one blob-store operation, recording its time and whether it failed.
async fn timed<T>(operation: &'static str, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let started = std::time::Instant::now();
    let result = work.await;
    metrics::histogram!("s3cognito_blob_operation_duration_seconds", "operation" => operation).record(started.elapsed().as_secs_f64());
    if result.is_err() {
        metrics::counter!("s3cognito_blob_errors_total", "operation" => operation).increment(1);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(stream: BoxStream<'static, Result<Bytes>>) -> Vec<u8> {
        stream.map(|chunk| chunk.unwrap().to_vec()).concat().await
    }

    #[test]
    fn a_piece_read_from_the_page_cache_is_the_bytes_a_blocking_read_gives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let bytes: Vec<u8> = (0..READ_PIECE * 2 + 123).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let buffers = Arc::new(Buffers::default());
        let mut cached_reads = 0;
        for (offset, length) in [(0, READ_PIECE), (4097, READ_PIECE), (READ_PIECE as u64 * 2, 123)] {
            let blocking = read_piece(&file, offset, length, buffers.clone()).unwrap();
            assert_eq!(blocking.as_ref(), &bytes[offset as usize..offset as usize + length]);
            // Just written, the file is in the page cache; where the kernel cannot say so, reads go to the pool.
            if let Some(cached) = cached_piece(&file, offset, length, &buffers) {
                assert_eq!(cached.as_ref(), blocking.as_ref());
                cached_reads += 1;
            }
        }
        assert!(cached_reads == 0 || cached_reads == 3, "{cached_reads}");
        // Past the end, a read that may not wait gives up, and the blocking one says the blob is short.
        assert!(cached_piece(&file, bytes.len() as u64 - 10, 100, &buffers).is_none());
        assert_eq!(read_piece(&file, bytes.len() as u64 - 10, 100, buffers).err().map(|error| error.kind()), Some(std::io::ErrorKind::UnexpectedEof));
    }

    #[tokio::test]
    async fn written_blobs_read_back_whole_and_in_ranges() {
        let directory = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(directory.path()).unwrap();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut writer = blobs.writer("abcdef0123456789").await.unwrap();
        for chunk in data.chunks(100_000) {
            writer.write(Bytes::copy_from_slice(chunk));
            writer.wait_for_capacity().await.unwrap();
        }
        writer.finish().await.unwrap();
        assert_eq!(collect(blobs.read("abcdef0123456789", 0..data.len() as u64).await.unwrap()).await, data);
        assert_eq!(collect(blobs.read("abcdef0123456789", 10..20).await.unwrap()).await, data[10..20]);
        assert!(collect(blobs.read("abcdef0123456789", 5..5).await.unwrap()).await.is_empty());
        blobs.delete("abcdef0123456789").await.unwrap();
        blobs.delete("abcdef0123456789").await.unwrap();
        assert!(blobs.read("abcdef0123456789", 0..1).await.is_err());
    }

    /// Ranges that start and end mid-block and mid-piece, small and several MiB long, read back exactly;
    /// buffers are reused only once every `Bytes` on them is gone.
    #[tokio::test]
    async fn ranges_read_back_exactly() {
        let directory = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(directory.path()).unwrap();
        let data: Vec<u8> = (0..9_000_011u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let mut writer = blobs.writer("feedface00000001").await.unwrap();
        writer.write(Bytes::from(data.clone()));
        writer.wait_for_capacity().await.unwrap();
        writer.finish().await.unwrap();
        let len = data.len() as u64;
        const LARGE: u64 = 4 << 20;
        let ranges = [
            0..len,
            4097..len,
            1..LARGE + 1,
            ALIGN as u64 - 1..ALIGN as u64 + 1,
            READ_PIECE as u64 - 5..3 * READ_PIECE as u64 + 7,
            len - 3..len,
            len - LARGE - 17..len - 1,
        ];
        let mut held = Vec::new();
        for range in ranges {
            let chunks: Vec<Bytes> =
                blobs.read("feedface00000001", range.clone()).await.unwrap().map(Result::unwrap).collect().await;
            assert!(chunks.iter().all(|chunk| chunk.len() <= READ_PIECE), "{range:?}");
            assert_eq!(chunks.concat(), data[range.start as usize..range.end as usize], "{range:?}");
            held.push((range, chunks));
        }
        // Read again while the first reads' bytes are still held: their buffers are not reused under them.
        for (range, chunks) in held {
            let again = collect(blobs.read("feedface00000001", range.clone()).await.unwrap()).await;
            assert_eq!(again, data[range.start as usize..range.end as usize], "{range:?}");
            assert_eq!(chunks.concat(), again, "{range:?}");
        }
        // A blob shorter than the range asked: an error, never short or padded data.
        for range in [len - 10..len + 1, len - LARGE..len + ALIGN as u64] {
            let results: Vec<Result<Bytes>> = blobs.read("feedface00000001", range.clone()).await.unwrap().collect().await;
            let good: usize = results.iter().take_while(|r| r.is_ok()).map(|r| r.as_ref().unwrap().len()).sum();
            assert!(results.last().unwrap().is_err(), "{range:?}");
            assert!(good < (range.end - range.start) as usize, "{range:?}");
        }
    }

    #[tokio::test]
    async fn an_aborted_blob_is_never_visible() {
        let directory = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(directory.path()).unwrap();
        let mut writer = blobs.writer("0123456789abcdef").await.unwrap();
        writer.write(Bytes::from_static(b"partial"));
        writer.abort().await.unwrap();
        assert!(blobs.read("0123456789abcdef", 0..1).await.is_err());
    }

    #[tokio::test]
    async fn small_and_empty_blobs_are_written_whole_and_large_aborts_leave_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(directory.path()).unwrap();
        for (id, data) in [("aaaaaaaa00000001", b"small".to_vec()), ("aaaaaaaa00000002", Vec::new())] {
            let mut writer = blobs.writer(id).await.unwrap();
            writer.write(Bytes::from(data.clone()));
            writer.wait_for_capacity().await.unwrap();
            assert!(blobs.read(id, 0..1).await.is_err(), "nothing visible before finish");
            writer.finish().await.unwrap();
            assert_eq!(collect(blobs.read(id, 0..data.len() as u64).await.unwrap()).await, data);
        }
        let mut writer = blobs.writer("aaaaaaaa00000003").await.unwrap();
        for _ in 0..3 {
            writer.write(Bytes::from(vec![7u8; LOCAL_CHUNK]));
            writer.wait_for_capacity().await.unwrap();
        }
        writer.abort().await.unwrap();
        assert!(blobs.read("aaaaaaaa00000003", 0..1).await.is_err());
    }

    #[test]
    fn ids_must_be_ours() {
        for bad in ["../../etc/passwd", "short", "with/slash0000", ""] {
            assert!(path_of(bad).is_err(), "{bad}");
        }
    }
}
