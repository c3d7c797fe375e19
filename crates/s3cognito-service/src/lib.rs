//! The use cases of s3cognito, by domain, over the metadata store and the crypto crate.
//!
//! Nothing here knows HTTP, JSON wire shapes or XML: calls take parsed values and return plain structs.
//! `App` holds every domain's service and is shared by the http crate as one `Arc`.

pub mod access;
pub mod bootstrap;
pub mod clock;
pub mod error;
pub mod mail;
pub mod objects;
pub mod user_pool;

use std::sync::Arc;

use s3cognito_meta::Store;

pub use error::{AuthenticationError, Result, ServiceError};

use access::Access;
use clock::Clock;
use mail::Mailer;
use objects::Objects;
use user_pool::{UserPoolSettings, UserPools};

/// Every service, wired once by the binary.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub region: String,
    pub access: Access,
    pub user_pools: UserPools,
    pub objects: Objects,
}

impl App {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        blobs: s3cognito_blob::BlobStore,
        region: String,
        user_pool_settings: UserPoolSettings,
    ) -> App {
        App {
            objects: Objects::new(store.clone(), blobs, clock.clone()),
            access: Access::new(store.clone(), clock.clone()),
            user_pools: UserPools::new(store.clone(), clock.clone(), mailer, user_pool_settings),
            store,
            clock,
            region,
        }
    }
}
