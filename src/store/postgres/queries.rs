//! Delivery bookkeeping in PostgreSQL: which deliveries are due (claimed under a lease, so
//! no two instances attempt one at once), recording attempts, counts.

use super::error::pg_error;
use super::liveness::lease_free;
use super::PgStore;
use crate::store::{DeliveryJob, DueBatch, DuePlan, StoreError, StoredEvent};
use bytes::Bytes;
use deadpool_postgres::Object;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_postgres::{Error, Row};

/// Receivers looked at by one deep pass at most.
const DEEP_RECEIVERS: i64 = 2000;

/// True for a delivery row `d` whose turn it is: unordered, or no earlier delivery with its
/// receiver and order key is still pending (running anywhere, waiting for a retry or held).
/// Written with OR so that it stays a per-row index probe under `LIMIT`, not an anti-join
/// over every pending row.
const IN_TURN: &str = "(d.order_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM deliveries p WHERE p.status = 'pending' AND p.order_key IS NOT NULL
      AND p.listener_id = d.listener_id AND p.receiver_url = d.receiver_url
      AND p.order_key = d.order_key AND p.id < d.id))";

/// (delivery id, listener id, receiver url, attempts made, event seq)
type DueRow = (i64, String, String, u32, i64);

fn due_row(r: &Row) -> DueRow {
    (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get::<_, i64>(3) as u32,
        r.get(4),
    )
}

impl PgStore {
    /// Pending deliveries due now that the dispatcher can start, oldest first, each claimed
    /// for this instance until its lease runs out; and the receivers whose due rows were found
    /// only by asking them one by one.
    pub(super) async fn due_deliveries(&self, plan: DuePlan) -> Result<DueBatch, StoreError> {
        let client = self.conn().await?;
        self.due(&client, plan).await.map_err(pg_error)
    }

    async fn due(&self, client: &Object, mut plan: DuePlan) -> Result<DueBatch, Error> {
        let fetch = (plan.limit + plan.running.len() + 64) as i64;
        let sql = format!(
            "SELECT d.id, d.listener_id, d.receiver_url, d.attempt_count, d.event_seq
             FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND {}
               AND {IN_TURN}
             ORDER BY d.next_attempt_at LIMIT $2",
            lease_free("$1", self.inner.lease.by)
        );
        let stmt = client.prepare_cached(&sql).await?;
        let rows: Vec<DueRow> = client
            .query(&stmt, &[&plan.now_ms, &fetch])
            .await?
            .iter()
            .map(due_row)
            .collect();
        let window_full = rows.len() as i64 == fetch;
        let mut chosen = choose(rows, &mut plan, 0);
        let mut hidden = Vec::new();
        let mut receivers = std::mem::take(&mut plan.hinted);
        if plan.deep && window_full && chosen.len() < plan.limit {
            receivers = receivers_with_pending(client).await?;
        }
        if window_full && chosen.len() < plan.limit {
            for (listener_id, receiver_url) in receivers {
                let key = format!("{listener_id} {receiver_url}");
                let room = plan.room.get(&key).copied().unwrap_or(plan.default_room);
                if room == 0 || chosen.len() >= plan.limit {
                    hidden.push((listener_id, receiver_url));
                    continue;
                }
                let want = (room.min(plan.limit - chosen.len()) + plan.running.len()) as i64;
                let rows = receiver_due(
                    client,
                    self.inner.lease.by,
                    &listener_id,
                    &receiver_url,
                    plan.now_ms,
                    want,
                )
                .await?;
                let before = chosen.len();
                let more = choose(rows, &mut plan, before);
                chosen.extend(more);
                if chosen.len() > before {
                    hidden.push((listener_id, receiver_url));
                }
            }
        }
        let jobs = self.claim(client, chosen, plan.now_ms).await?;
        Ok((jobs, hidden))
    }

    /// Leases the chosen rows to this instance (skipping any another instance took meanwhile)
    /// and loads their events.
    async fn claim(
        &self,
        client: &Object,
        chosen: Vec<DueRow>,
        now: i64,
    ) -> Result<Vec<DeliveryJob>, Error> {
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = chosen.iter().map(|r| r.0).collect();
        // The lease each row had before is returned too: one held by another instance was
        // taken over (that instance died, or its lease ran out).
        let lease = self.inner.lease;
        let sql = format!(
            "WITH c AS (
                 SELECT d.id, d.leased_by AS before FROM deliveries d
                 WHERE d.id = ANY($1) AND d.status = 'pending' AND d.next_attempt_at <= $4 AND {}
                   AND {IN_TURN}
                 FOR UPDATE SKIP LOCKED)
             UPDATE deliveries SET leased_by = $2, leased_until = $3 FROM c
             WHERE deliveries.id = c.id
             RETURNING deliveries.id, c.before",
            lease_free("$4", lease.by)
        );
        let stmt = client.prepare_cached(&sql).await?;
        let until = now + lease.ms;
        let rows = client
            .query(&stmt, &[&ids, &lease.by, &until, &now])
            .await?;
        let taken_over = rows
            .iter()
            .filter(|r| {
                r.get::<_, Option<i64>>(1)
                    .is_some_and(|before| before != lease.by)
            })
            .count();
        if taken_over > 0 {
            self.inner
                .taken_over
                .fetch_add(taken_over as u64, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(taken_over, "took over deliveries whose lease had run out");
        }
        let claimed: std::collections::HashSet<i64> = rows.iter().map(|r| r.get(0)).collect();
        let chosen: Vec<DueRow> = chosen
            .into_iter()
            .filter(|r| claimed.contains(&r.0))
            .collect();
        let seqs: Vec<i64> = chosen.iter().map(|r| r.4).collect();
        let events = load_events(client, &seqs).await?;
        Ok(chosen
            .into_iter()
            .filter_map(
                |(delivery_id, listener_id, receiver_url, attempt_count, seq)| {
                    Some(DeliveryJob {
                        delivery_id,
                        listener_id,
                        receiver_url,
                        attempt_count,
                        event: events.get(&seq)?.clone(),
                    })
                },
            )
            .collect())
    }

    /// The earliest `next_attempt_at` after `after_ms` among pending deliveries.
    pub(super) async fn next_due_after(&self, after_ms: i64) -> Result<Option<i64>, StoreError> {
        let client = self.conn().await?;
        let stmt = client
            .prepare_cached(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at > $1",
            )
            .await
            .map_err(pg_error)?;
        let row = client
            .query_one(&stmt, &[&after_ms])
            .await
            .map_err(pg_error)?;
        Ok(row.get(0))
    }

    /// How many deliveries are waiting to be sent.
    pub(super) async fn pending_count(&self) -> Result<i64, StoreError> {
        let client = self.conn().await?;
        let row = client
            .query_one(
                "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'",
                &[],
            )
            .await
            .map_err(pg_error)?;
        Ok(row.get(0))
    }

    /// Delivery statuses by receiver URL for one event.
    pub(super) async fn delivery_statuses(
        &self,
        event_id: &str,
    ) -> Result<Vec<(String, String, u32)>, StoreError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT d.receiver_url, d.status, d.attempt_count FROM deliveries d
                 JOIN events e ON e.seq = d.event_seq WHERE e.id = $1 ORDER BY d.id",
                &[&event_id],
            )
            .await
            .map_err(pg_error)?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2) as u32))
            .collect())
    }
}

/// Keeps the rows the dispatcher can start: not running, within each receiver's room, up to
/// `plan.limit` in all. Kept rows count as running for later passes.
fn choose(rows: Vec<DueRow>, plan: &mut DuePlan, already: usize) -> Vec<DueRow> {
    let mut kept = Vec::new();
    for row in rows {
        if already + kept.len() >= plan.limit {
            break;
        }
        if plan.running.contains(&row.0) {
            continue;
        }
        let room = plan
            .room
            .entry(format!("{} {}", row.1, row.2))
            .or_insert(plan.default_room);
        if *room == 0 {
            continue;
        }
        *room -= 1;
        kept.push(row);
    }
    for row in &kept {
        plan.running.insert(row.0);
    }
    kept
}

/// One receiver's due rows, oldest first.
async fn receiver_due(
    client: &Object,
    me: i64,
    listener_id: &str,
    receiver_url: &str,
    now: i64,
    want: i64,
) -> Result<Vec<DueRow>, Error> {
    let sql = format!(
        "SELECT d.id, d.listener_id, d.receiver_url, d.attempt_count, d.event_seq FROM deliveries d
         WHERE d.status = 'pending' AND d.listener_id = $1 AND d.receiver_url = $2
           AND d.next_attempt_at <= $3 AND {} AND {IN_TURN}
         ORDER BY d.next_attempt_at LIMIT $4",
        lease_free("$3", me)
    );
    let stmt = client.prepare_cached(&sql).await?;
    Ok(client
        .query(&stmt, &[&listener_id, &receiver_url, &now, &want])
        .await?
        .iter()
        .map(due_row)
        .collect())
}

/// Distinct (listener, receiver URL) pairs with pending deliveries, by a recursive skip-scan
/// of the receiver index (one index seek per pair, not a read of every pending row).
async fn receivers_with_pending(client: &Object) -> Result<Vec<(String, String)>, Error> {
    let stmt = client
        .prepare_cached(
            "WITH RECURSIVE r AS (
                 (SELECT listener_id, receiver_url FROM deliveries WHERE status = 'pending'
                  ORDER BY listener_id, receiver_url LIMIT 1)
                 UNION ALL
                 SELECT n.listener_id, n.receiver_url FROM r, LATERAL (
                     SELECT d.listener_id, d.receiver_url FROM deliveries d
                     WHERE d.status = 'pending'
                       AND (d.listener_id, d.receiver_url) > (r.listener_id, r.receiver_url)
                     ORDER BY d.listener_id, d.receiver_url LIMIT 1) n
             )
             SELECT listener_id, receiver_url FROM r LIMIT $1",
        )
        .await?;
    Ok(client
        .query(&stmt, &[&DEEP_RECEIVERS])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Loads events by sequence number.
async fn load_events(
    client: &Object,
    seqs: &[i64],
) -> Result<HashMap<i64, Arc<StoredEvent>>, Error> {
    if seqs.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = client
        .prepare_cached(
            "SELECT seq, id, listener_id, provider, account_id, event_type, provider_event_id,
                    received_at, source_ip, content_type, headers, body
             FROM events WHERE seq = ANY($1)",
        )
        .await?;
    Ok(client
        .query(&stmt, &[&seqs])
        .await?
        .iter()
        .map(|r| {
            let headers: String = r.get(10);
            let body: Vec<u8> = r.get(11);
            let event = StoredEvent {
                seq: r.get(0),
                id: r.get(1),
                listener_id: r.get(2),
                provider: r.get(3),
                account_id: r.get(4),
                event_type: r.get(5),
                provider_event_id: r.get(6),
                received_at: r.get(7),
                source_ip: r.get(8),
                content_type: r.get(9),
                headers: serde_json::from_str(&headers).unwrap_or_default(),
                body: Bytes::from(body),
            };
            (event.seq, Arc::new(event))
        })
        .collect())
}
