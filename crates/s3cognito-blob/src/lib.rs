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

    pub async fn finish(self) -> Result<()> {
        match self.state {
            Writing::Buffering { chunks, .. } => {
                self.store.put(&self.path, PutPayload::from_iter(chunks)).await?;
            }
            Writing::Multipart(upload) => {
                upload.finish().await?;
            }
        }
        Ok(())
    }

    pub async fn abort(self) -> Result<()> {
        match self.state {
            Writing::Buffering { .. } => Ok(()),
            Writing::Multipart(upload) => Ok(upload.abort().await?),
        }
    }
}

/// How much of a local file one read takes.
const READ_PIECE: u64 = 1 << 20;

/// `range` of a local file, read in `READ_PIECE`s on the blocking pool.
async fn read_local(path: std::path::PathBuf, range: Range<u64>) -> Result<BoxStream<'static, Result<Bytes>>> {
    use std::io::{Read, Seek, SeekFrom};
    let shown = path.display().to_string();
    let not_found = move |source: std::io::Error| {
        BlobError::Store(if source.kind() == std::io::ErrorKind::NotFound {
            object_store::Error::NotFound { path: shown.clone(), source: Box::new(source) }
        } else {
            object_store::Error::Generic { store: "local", source: Box::new(source) }
        })
    };
    let start = range.start;
    let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        Ok(file)
    })
    .await
    .map_err(|error| BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(error) }))?
    .map_err(not_found)?;
    let pieces = futures::stream::try_unfold((file, range.end - range.start), |(file, remaining)| async move {
        if remaining == 0 {
            return Ok(None);
        }
        let (file, piece) = tokio::task::spawn_blocking(move || -> std::io::Result<(std::fs::File, Vec<u8>)> {
            let mut file = file;
            let mut piece = Vec::with_capacity(remaining.min(READ_PIECE) as usize);
            (&mut file).take(remaining.min(READ_PIECE)).read_to_end(&mut piece)?;
            Ok((file, piece))
        })
        .await
        .map_err(|error| BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(error) }))?
        .map_err(|error| BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(error) }))?;
        if piece.is_empty() {
            let short = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "blob is shorter than its range");
            return Err(BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(short) }));
        }
        let left = remaining - piece.len() as u64;
        Ok(Some((Bytes::from(piece), (file, left))))
    });
    Ok(pieces.boxed())
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
        std::fs::create_dir_all(directory).map_err(|source| {
            BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(source) })
        })?;
        let store = LocalFileSystem::new_with_prefix(directory)?.with_fsync(true).with_automatic_cleanup(true);
        Ok(BlobStore { store: Arc::new(store), local_root: Some(directory.to_owned()), chunk_size: LOCAL_CHUNK })
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
        Ok(BlobStore { store, local_root: None, chunk_size: REMOTE_CHUNK })
    }

    /// Any object_store backend (memory in tests).
    pub fn from_store(store: Arc<dyn ObjectStore>) -> BlobStore {
        BlobStore { store, local_root: None, chunk_size: LOCAL_CHUNK }
    }

    pub async fn writer(&self, id: &str) -> Result<BlobWriter> {
        Ok(BlobWriter {
            store: self.store.clone(),
            path: path_of(id)?,
            chunk_size: self.chunk_size,
            state: Writing::Buffering { chunks: Vec::new(), length: 0 },
        })
    }

    /// The bytes of `range` of the blob, as a stream.
    pub async fn read(&self, id: &str, range: Range<u64>) -> Result<BoxStream<'static, Result<Bytes>>> {
        if range.is_empty() {
            return Ok(futures::stream::empty().boxed());
        }
        if let Some(root) = &self.local_root {
            return read_local(root.join(path_of(id)?.as_ref()), range).await;
        }
        let options = GetOptions { range: Some(GetRange::Bounded(range)), ..GetOptions::default() };
        let result = self.store.get_opts(&path_of(id)?, options).await?;
        Ok(result.into_stream().map(|chunk| chunk.map_err(BlobError::from)).boxed())
    }

    /// Removes the blob; removing one that is already gone is not an error.
    pub async fn delete(&self, id: &str) -> Result<()> {
        match self.store.delete(&path_of(id)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(stream: BoxStream<'static, Result<Bytes>>) -> Vec<u8> {
        stream.map(|chunk| chunk.unwrap().to_vec()).concat().await
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
