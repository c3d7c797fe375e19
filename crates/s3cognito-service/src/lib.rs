//! The use cases of s3cognito, by domain, over the metadata store and the crypto crate.
//!
//! Nothing here knows HTTP, JSON wire shapes or XML: calls take parsed values and return plain structs.
//! `App` holds every domain's service and is shared by the wire crates as one `Arc`.

pub mod access;
pub mod activity;
pub mod audit;
pub mod authorization;
pub mod bootstrap;
pub mod clock;
pub mod error;
pub mod identity;
pub mod kms;
pub mod limits;
pub mod mail;
pub mod monitoring;
pub mod objects;
pub mod uploads;
pub mod user_pool;
pub mod work;

use std::sync::Arc;

use s3cognito_meta::Store;

pub use error::{AuthenticationError, InvalidMember, Result, ServiceError};

use access::Access;
use audit::{Audit, AuditSettings};
use authorization::Authorizer;
use clock::Clock;
use identity::{Identity, IdentitySettings};
use kms::Kms;
use limits::{Limiter, RateLimits};
use mail::Mailer;
use monitoring::Monitoring;
use objects::Objects;
use uploads::{UploadSettings, Uploads};
use user_pool::{UserPoolSettings, UserPools};

/// Every service, wired once by the binary.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub region: String,
    pub access: Access,
    pub user_pools: UserPools,
    pub identity: Identity,
    pub objects: Objects,
    /// Rate limits on unauthenticated calls, shared by the wire layer (per source address) and the user pools.
    pub limiter: Limiter,
    /// Every request's authorization decision.
    pub authorizer: Authorizer,
    pub uploads: Uploads,
    pub kms: Kms,
    /// The audit log every request's security-relevant events go to.
    pub audit: Audit,
    /// Readiness and the figures of monitoring.
    pub monitoring: Monitoring,
}

/// How long identity-pool credentials last unless configured otherwise: an hour, as on AWS.
pub const DEFAULT_CREDENTIAL_SECONDS: i64 = 3600;

impl App {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        blobs: s3cognito_blob::BlobStore,
        region: String,
        user_pool_settings: UserPoolSettings,
        rate_limits: RateLimits,
    ) -> App {
        let sealing_key = user_pool_settings.sealing_key.clone();
        let access = Access::new(store.clone(), clock.clone(), sealing_key.clone(), region.clone());
        let identity_settings = IdentitySettings {
            account_id: user_pool_settings.account_id.clone(),
            region: region.clone(),
            credential_seconds: DEFAULT_CREDENTIAL_SECONDS,
        };
        let limiter = Limiter::new(store.clone(), clock.clone(), rate_limits);
        let user_pools = UserPools::new(store.clone(), clock.clone(), mailer, user_pool_settings, limiter.clone());
        let identity = Identity::new(store.clone(), clock.clone(), access.clone(), user_pools.clone(), identity_settings);
        let uploads =
            Uploads::new(store.clone(), clock.clone(), user_pools.clone(), identity.clone(), UploadSettings::default(), limiter.clone());
        let kms = Kms::new(store.clone(), clock.clone(), access.clone(), region.clone(), identity.settings().account_id.clone());
        let monitoring = Monitoring::new(
            store.clone(),
            blobs.clone(),
            clock.clone(),
            sealing_key.clone(),
            uploads.clone(),
            kms.clone(),
            region.clone(),
        );
        let objects = Objects::new(store.clone(), blobs, clock.clone(), sealing_key, kms.clone());
        App {
            audit: Audit::new(store.clone(), clock.clone(), AuditSettings::default()),
            monitoring,
            kms: kms.clone(),
            uploads,
            objects: objects.clone(),
            authorizer: Authorizer::new(identity.clone(), objects),
            identity,
            access,
            limiter,
            user_pools,
            store,
            clock,
            region,
        }
    }

    /// Sets how long credentials from GetCredentialsForIdentity last.
    #[must_use]
    pub fn with_credential_seconds(mut self, seconds: i64) -> App {
        let settings = IdentitySettings { credential_seconds: seconds, ..self.identity.settings().clone() };
        self.identity = Identity::new(
            self.store.clone(),
            self.clock.clone(),
            self.access.clone(),
            self.user_pools.clone(),
            settings,
        );
        self.authorizer = Authorizer::new(self.identity.clone(), self.objects.clone());
        self.uploads = Uploads::new(
            self.store.clone(),
            self.clock.clone(),
            self.user_pools.clone(),
            self.identity.clone(),
            self.uploads.settings().clone(),
            self.limiter.clone(),
        );
        self
    }

    /// Sets whether the audit log keeps events, and for how long.
    #[must_use]
    pub fn with_audit_settings(mut self, settings: AuditSettings) -> App {
        self.audit = Audit::new(self.store.clone(), self.clock.clone(), settings);
        self
    }

    #[must_use]
    pub fn with_upload_settings(mut self, settings: UploadSettings) -> App {
        self.uploads = Uploads::new(
            self.store.clone(),
            self.clock.clone(),
            self.user_pools.clone(),
            self.identity.clone(),
            settings,
            self.limiter.clone(),
        );
        self
    }
}
