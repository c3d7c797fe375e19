//! Rate limits on the calls anyone may make without credentials, and on the rows a signed-in user may
//! have recorded, counted in the database so that every replica enforces the same budget.
//!
//! Two kinds, as Cognito applies them: per source address (a flood from one place is slowed whoever it
//! names) and per user (however many places a guesser uses, one account gets a fixed number of codes
//! mailed and of wrong guesses an hour; a user records a fixed number of upload jobs an hour). Counters are fixed windows: the hits of a key since the window
//! began, reset when the next one begins.

use std::net::IpAddr;
use std::sync::Arc;

use s3cognito_meta::Store;

use crate::clock::Clock;
use crate::error::{Result, ServiceError};

/// The budgets; every one is a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Sign-in calls (InitiateAuth, RespondToAuthChallenge) from one source address a minute.
    pub address_sign_ins_per_minute: i64,
    /// Account calls (SignUp, ConfirmSignUp, ResendConfirmationCode, ForgotPassword,
    /// ConfirmForgotPassword) from one source address a minute.
    pub address_account_calls_per_minute: i64,
    /// Codes mailed to one user on request (ResendConfirmationCode, ForgotPassword) an hour.
    pub user_codes_per_hour: i64,
    /// Wrong guesses at one user's codes an hour, whichever code they were meant for: a fresh code does
    /// not bring fresh guesses.
    pub user_code_guesses_per_hour: i64,
    /// Messages to one email address an hour, whichever user they are for.
    pub mails_per_address_per_hour: i64,
    /// Upload jobs one user records on request (presigned PUTs asked for, `createUploadJob`) an hour:
    /// each is a row, so a user cannot grow the database without bound.
    pub user_job_records_per_hour: i64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            address_sign_ins_per_minute: 1200,
            address_account_calls_per_minute: 300,
            user_codes_per_hour: 5,
            user_code_guesses_per_hour: 10,
            mails_per_address_per_hour: 30,
            user_job_records_per_hour: 1000,
        }
    }
}

/// What a source address is counted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressBudget {
    SignIn,
    Account,
}

/// Cognito's answer to a caller over a per-address budget.
pub const TOO_MANY_REQUESTS: &str = "Too many requests";
/// Cognito's answer when a user's codes or guesses are used up.
pub const ATTEMPT_LIMIT: &str = "Attempt limit exceeded, please try after some time.";
/// The answer when a user has recorded too many upload jobs this hour.
pub const JOB_LIMIT: &str = "Too many upload jobs recorded this hour; try again later.";
/// Cognito's answer when an address has been mailed too often.
pub const MAIL_LIMIT: &str = "Exceeded daily email limit for the operation or the account. If a higher limit is \
     required, please configure your user pool to use your own Amazon SES configuration for sending email.";

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

/// Counts hits against the budgets. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Limiter {
    store: Store,
    clock: Arc<dyn Clock>,
    limits: RateLimits,
}

impl Limiter {
    pub fn new(store: Store, clock: Arc<dyn Clock>, limits: RateLimits) -> Limiter {
        Limiter { store, clock, limits }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Counts one call from `address`; `TooManyRequestsException` once its budget for the minute is spent.
    pub async fn address(&self, budget: AddressBudget, address: IpAddr) -> Result<()> {
        let (name, limit) = match budget {
            AddressBudget::SignIn => ("sign-in", self.limits.address_sign_ins_per_minute),
            AddressBudget::Account => ("account", self.limits.address_account_calls_per_minute),
        };
        let key = format!("address:{name}:{}", address_key(address));
        let hits = self.hit(&key, MINUTE).await?;
        if hits > limit {
            // Once per address and minute, not once per refused request: a flood must not flood the log.
            if hits == limit + 1 {
                tracing::warn!(budget = name, "a source address went over its rate limit for this minute");
            }
            return Err(ServiceError::Overloaded(TOO_MANY_REQUESTS.to_owned()));
        }
        Ok(())
    }

    /// Counts one code mailed to `user` of `pool_id` on request; `LimitExceededException` past the budget.
    pub async fn code_sent(&self, pool_id: &str, user: &str) -> Result<()> {
        let key = format!("codes:{pool_id}:{}", user.to_lowercase());
        if self.hit(&key, HOUR).await? > self.limits.user_codes_per_hour {
            return Err(ServiceError::QuotaExceeded(ATTEMPT_LIMIT.to_owned()));
        }
        Ok(())
    }

    /// Whether `user` still has guesses at their codes this hour.
    pub async fn guesses_left(&self, pool_id: &str, user: &str) -> Result<bool> {
        let key = guesses_key(pool_id, user);
        Ok(self.store.rate_limit_hits(&key, self.window(HOUR)).await? < self.limits.user_code_guesses_per_hour)
    }

    /// Counts one wrong guess at a code of `user`; returns the wrong guesses this hour.
    pub async fn wrong_guess(&self, pool_id: &str, user: &str) -> Result<i64> {
        self.hit(&guesses_key(pool_id, user), HOUR).await
    }

    /// Counts one upload job `identity_id` records on request; `LimitExceededException` past the budget,
    /// and nothing is recorded.
    pub async fn job_recorded(&self, identity_id: &str) -> Result<()> {
        let hits = self.hit(&format!("jobs:{identity_id}"), HOUR).await?;
        if hits > self.limits.user_job_records_per_hour {
            if hits == self.limits.user_job_records_per_hour + 1 {
                tracing::warn!("a user went over the hourly budget of upload jobs recorded on request");
            }
            return Err(ServiceError::QuotaExceeded(JOB_LIMIT.to_owned()));
        }
        Ok(())
    }

    /// Counts one message to `email`; `LimitExceededException` past the budget, and nothing is sent.
    pub async fn mail(&self, email: &str) -> Result<()> {
        let key = format!("mail:{}", email.to_lowercase());
        let hits = self.hit(&key, HOUR).await?;
        if hits > self.limits.mails_per_address_per_hour {
            if hits == self.limits.mails_per_address_per_hour + 1 {
                tracing::warn!("an email address went over its hourly mail limit; nothing more is sent to it this hour");
            }
            return Err(ServiceError::QuotaExceeded(MAIL_LIMIT.to_owned()));
        }
        Ok(())
    }

    /// A counter of failed attempts kept for names that match no user, so that they are answered as a
    /// user's are (a lockout after as many failures) and nobody can tell the two apart.
    pub async fn stand_in_failures(&self, key: &str, window: i64) -> Result<i64> {
        Ok(self.store.rate_limit_hits(key, self.window(window)).await?)
    }

    pub async fn stand_in_failure(&self, key: &str, window: i64) -> Result<i64> {
        self.hit(key, window).await
    }

    /// Forgets counters of windows that ended long ago (the longest window is an hour).
    pub async fn sweep(&self) -> Result<u64> {
        Ok(self.store.delete_rate_limits_before(self.clock.now() - 2 * HOUR).await?)
    }

    async fn hit(&self, key: &str, window: i64) -> Result<i64> {
        Ok(self.store.rate_limit_hit(key, self.window(window)).await?)
    }

    fn window(&self, length: i64) -> i64 {
        let now = self.clock.now();
        now - now.rem_euclid(length.max(1))
    }
}

fn guesses_key(pool_id: &str, user: &str) -> String {
    format!("guesses:{pool_id}:{}", user.to_lowercase())
}

/// The part of an address one party controls: the address itself for IPv4, the /64 for IPv6 (a single
/// host is routinely handed a whole /64, so counting its addresses one by one would count nothing).
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let segments = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        assert_eq!(address_key("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3");
        assert_eq!(address_key("127.0.0.1".parse().unwrap()), "127.0.0.1");
    }
}
