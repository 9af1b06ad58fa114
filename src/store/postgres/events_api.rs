//! The event log as the management API shows it, in PostgreSQL: pages of events (built in
//! `event_page`), one event with every attempt, queueing deliveries again, deleting an event.

use super::error::pg_error;
use super::PgStore;
use crate::store::{AttemptView, DeliveryView, EventFilter, EventView, Requeued, StoreError};
use bytes::Bytes;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use tokio_postgres::{Error, Row};

pub(super) const EVENT_COLUMNS: &str =
    "e.seq, e.id, e.listener_id, e.provider, e.event_type, e.received_at, e.source_ip";

pub(super) fn event_row(r: &Row) -> EventView {
    EventView {
        seq: r.get(0),
        id: r.get(1),
        listener_id: r.get(2),
        provider: r.get(3),
        event_type: r.get(4),
        received_at: r.get(5),
        source_ip: r.get(6),
        body: None,
        deliveries: Vec::new(),
    }
}

impl PgStore {
    /// One page of a listener's events, newest first, and how many match the filter in all.
    pub(super) async fn list_events(
        &self,
        listener_id: &str,
        filter: EventFilter,
    ) -> Result<(Vec<EventView>, u64), StoreError> {
        let mut client = self.conn().await?;
        super::event_page::list(&mut client, listener_id, &filter)
            .await
            .map_err(pg_error)
    }

    /// One event with its body, deliveries and every attempt.
    pub(super) async fn event_detail(
        &self,
        event_id: &str,
    ) -> Result<Option<EventView>, StoreError> {
        let client = self.conn().await?;
        detail(&**client, event_id).await.map_err(pg_error)
    }

    /// Makes the event's failed deliveries (with `all`, every delivery) due at `now`.
    pub(super) async fn retry_event(
        &self,
        event_id: &str,
        all: bool,
        now: i64,
    ) -> Result<Option<Requeued>, StoreError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let requeued = retry(&*tx, event_id, all, now).await.map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(requeued)
    }

    /// Deletes an event with its deliveries and attempts; how many deliveries were pending.
    pub(super) async fn delete_event(&self, event_id: &str) -> Result<Option<usize>, StoreError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let pending = delete(&*tx, event_id).await.map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(pending)
    }
}

async fn seq_of(c: &impl GenericClient, event_id: &str) -> Result<Option<i64>, Error> {
    Ok(c.query_opt(
        "SELECT seq FROM events WHERE id = $1 FOR UPDATE",
        &[&event_id],
    )
    .await?
    .map(|r| r.get(0)))
}

async fn retry(
    c: &impl GenericClient,
    event_id: &str,
    all: bool,
    now: i64,
) -> Result<Option<Requeued>, Error> {
    let Some(seq) = seq_of(c, event_id).await? else {
        return Ok(None);
    };
    let moved = if all {
        c.execute(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $2
             WHERE event_seq = $1 AND status <> 'pending'",
            &[&seq, &now],
        )
        .await?
    } else {
        c.execute(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $2
             WHERE event_seq = $1 AND status = 'failed'",
            &[&seq, &now],
        )
        .await?
    };
    let hurried = if all {
        c.execute(
            "UPDATE deliveries SET next_attempt_at = $2
             WHERE event_seq = $1 AND status = 'pending' AND next_attempt_at > $2",
            &[&seq, &now],
        )
        .await?
    } else {
        0
    };
    Ok(Some(Requeued {
        queued: (moved + hurried) as usize,
        newly_pending: moved as usize,
    }))
}

async fn delete(c: &impl GenericClient, event_id: &str) -> Result<Option<usize>, Error> {
    let Some(seq) = seq_of(c, event_id).await? else {
        return Ok(None);
    };
    let pending: i64 = c
        .query_one(
            "SELECT COUNT(*) FROM deliveries WHERE event_seq = $1 AND status = 'pending'",
            &[&seq],
        )
        .await?
        .get(0);
    c.execute(
        "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_seq = $1)",
        &[&seq],
    )
    .await?;
    c.execute("DELETE FROM deliveries WHERE event_seq = $1", &[&seq])
        .await?;
    c.execute("DELETE FROM events WHERE seq = $1", &[&seq])
        .await?;
    Ok(Some(pending as usize))
}

/// Fills in the deliveries (without attempts) of a page of events, in one query.
pub(super) async fn with_deliveries(
    c: &impl GenericClient,
    mut events: Vec<EventView>,
) -> Result<Vec<EventView>, Error> {
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let mut by_seq: std::collections::HashMap<i64, Vec<DeliveryView>> = Default::default();
    for r in c
        .query_typed(
            "SELECT id, receiver_url, status, attempt_count, next_attempt_at, last_status_code,
                    last_error, event_seq
             FROM deliveries WHERE event_seq = ANY($1) ORDER BY id",
            &[(&seqs, Type::INT8_ARRAY)],
        )
        .await?
    {
        by_seq.entry(r.get(7)).or_default().push(delivery_row(&r));
    }
    for e in &mut events {
        e.deliveries = by_seq.remove(&e.seq).unwrap_or_default();
    }
    Ok(events)
}

fn delivery_row(r: &Row) -> DeliveryView {
    DeliveryView {
        id: r.get(0),
        receiver_url: r.get(1),
        status: r.get(2),
        attempt_count: r.get::<_, i64>(3) as u32,
        next_attempt_at: r.get(4),
        last_status_code: r.get(5),
        last_error: r.get(6),
        attempts: Vec::new(),
    }
}

async fn detail(c: &impl GenericClient, event_id: &str) -> Result<Option<EventView>, Error> {
    let sql = format!("SELECT {EVENT_COLUMNS}, e.body FROM events e WHERE e.id = $1");
    let Some(r) = c
        .query_typed_opt(sql.as_str(), &[(&event_id, Type::TEXT)])
        .await?
    else {
        return Ok(None);
    };
    let mut event = event_row(&r);
    let body: Vec<u8> = r.get(7);
    event.body = Some(Bytes::from(body));
    let mut events = with_deliveries(c, vec![event]).await?;
    let mut event = events.pop().expect("one event in, one out");
    let ids: Vec<i64> = event.deliveries.iter().map(|d| d.id).collect();
    let rows = c
        .query_typed(
            "SELECT attempt, started_at, duration_ms, status_code, error, response, delivery_id
             FROM attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt",
            &[(&ids, Type::INT8_ARRAY)],
        )
        .await?;
    for r in rows {
        let delivery_id: i64 = r.get(6);
        if let Some(d) = event.deliveries.iter_mut().find(|d| d.id == delivery_id) {
            d.attempts.push(AttemptView {
                attempt: r.get::<_, i64>(0) as u32,
                started_at: r.get(1),
                duration_ms: r.get(2),
                status_code: r.get(3),
                error: r.get(4),
                response: r.get(5),
            });
        }
    }
    Ok(Some(event))
}
