//! The node's operational figures as Prometheus reads them: what was counted as it happened
//! (`crate::metrics`), plus what is read at scrape time (the pool, the queue, presence).
//! Readable by anyone holding the metrics token, or by anyone when none is configured: the
//! figures are node-wide totals that name no account, user or ticket.

use crate::metrics::{Metrics, QueueSample, Sample};
use crate::presence::PresenceStore;
use crate::security::token;
use crate::store;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a scrape waits for PostgreSQL or the presence store before reporting them down.
const SCRAPE_WAIT: Duration = Duration::from_secs(2);

/// Renders the node's figures for whoever may read them.
pub struct Exposition {
    metrics: Arc<Metrics>,
    pool: PgPool,
    /// The node's other pools (the batch writers', the dispatchers'): their connections are
    /// counted with the request pool's.
    others: Vec<PgPool>,
    presence: Arc<dyn PresenceStore>,
    /// The digest of `SWITCHBOARD_METRICS_TOKEN`, when one is set.
    token: Option<Vec<u8>>,
}

impl Exposition {
    pub fn new(
        metrics: Arc<Metrics>,
        pool: PgPool,
        others: Vec<PgPool>,
        presence: Arc<dyn PresenceStore>,
        token: Option<&SecretString>,
    ) -> Exposition {
        Exposition {
            metrics,
            pool,
            others,
            presence,
            token: token.map(|t| token::digest(t.expose_secret())),
        }
    }

    /// Where the parts of the node count what happens.
    pub fn recorder(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether a caller presenting `bearer` may read the figures. Digests are compared, so
    /// the time taken says nothing about the token.
    pub fn may_read(&self, bearer: Option<&str>) -> bool {
        match &self.token {
            None => true,
            Some(expected) => bearer.is_some_and(|b| token::digest(b) == *expected),
        }
    }

    /// Reads the pool, the queue and presence now, and renders every figure.
    pub async fn render(&self) -> String {
        let sample = self.sample().await;
        self.metrics.sampled(&sample);
        self.metrics.render()
    }

    /// Reads the pools before touching them, then the queue (timing the wait for a connection)
    /// and presence side by side, each for at most [`SCRAPE_WAIT`].
    async fn sample(&self) -> Sample {
        let pools = || std::iter::once(&self.pool).chain(&self.others);
        let (pool_size, pool_idle) = (
            pools().map(PgPool::size).sum::<u32>(),
            pools().map(PgPool::num_idle).sum::<usize>(),
        );
        let started = Instant::now();
        let queue = async {
            let mut conn = self.pool.acquire().await?;
            let waited = started.elapsed();
            let (depth, oldest) = store::wallboard::queue_of_every_account(&mut conn).await?;
            let oldest_age = oldest
                .and_then(|t| (chrono::Utc::now() - t).to_std().ok())
                .unwrap_or_default();
            Ok::<_, sqlx::Error>((waited, QueueSample { depth, oldest_age }))
        };
        let (queue, presence) = tokio::join!(
            tokio::time::timeout(SCRAPE_WAIT, queue),
            tokio::time::timeout(SCRAPE_WAIT, self.presence.ping()),
        );
        let (pool_acquire, queue) = match queue {
            Ok(Ok((waited, queue))) => (waited, Some(queue)),
            _ => (started.elapsed(), None),
        };
        Sample {
            pool_size,
            pool_idle: u32::try_from(pool_idle).unwrap_or(u32::MAX),
            pool_max: self.pool.options().get_max_connections(),
            pool_acquire,
            postgres_up: queue.is_some(),
            queue,
            presence_store: self.presence.kind(),
            presence_up: matches!(presence, Ok(Ok(true))),
        }
    }
}
