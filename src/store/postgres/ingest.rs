//! One batch of accepted events in one transaction: de-duplication by the `dedup` key
//! (`INSERT … ON CONFLICT`, so two instances sending the same id at once wait on each other
//! and one comes out a duplicate), then every event and every delivery in one multi-row insert
//! each.

use super::liveness::Lease;
use crate::store::{now_ms, IngestOutcome, NewEvent, DEDUP_WINDOW_MS};
use deadpool_postgres::Transaction;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tokio_postgres::Error;

/// (listener id, provider event id)
type DedupKey<'a> = (&'a str, &'a str);

/// What becomes of one event of the batch.
enum Fate {
    Accept,
    DuplicateOf(String),
}

/// Inserts the batch; one outcome per event, in order.
pub async fn insert_batch(
    tx: &Transaction<'_>,
    news: &[NewEvent],
    lease: Lease,
) -> Result<Vec<IngestOutcome>, Error> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let fates = deduplicate(tx, news).await?;
    let accepted: Vec<&NewEvent> = news
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| matches!(fate, Fate::Accept))
        .map(|(new, _)| new)
        .collect();
    let seqs = insert_events(tx, &accepted).await?;
    let mut delivery_ids = insert_deliveries(tx, &accepted, &seqs, lease).await?;
    let mut outcomes = Vec::with_capacity(news.len());
    for (new, fate) in news.iter().zip(fates) {
        outcomes.push(match fate {
            Fate::DuplicateOf(original_event_id) => IngestOutcome::Duplicate { original_event_id },
            Fate::Accept => {
                let mut event = new.event.clone();
                event.seq = seqs[&event.id];
                let deliveries = new
                    .receiver_urls
                    .iter()
                    .map(|url| {
                        let key = (event.seq, url.clone());
                        let id = delivery_ids.get_mut(&key).and_then(VecDeque::pop_front);
                        (id.unwrap_or_default(), url.clone())
                    })
                    .collect();
                IngestOutcome::Accepted {
                    event: Arc::new(event),
                    deliveries,
                }
            }
        });
    }
    Ok(outcomes)
}

/// Records each provider event id of the batch unless it was seen within the window; decides
/// which events are duplicates (of an earlier event, or of an earlier one in this batch).
async fn deduplicate(tx: &Transaction<'_>, news: &[NewEvent]) -> Result<Vec<Fate>, Error> {
    let mut first_of: HashMap<DedupKey<'_>, usize> = HashMap::new();
    for (i, new) in news.iter().enumerate() {
        if let Some(pid) = &new.event.provider_event_id {
            first_of.entry((&new.event.listener_id, pid)).or_insert(i);
        }
    }
    if first_of.is_empty() {
        return Ok(news.iter().map(|_| Fate::Accept).collect());
    }
    // One order for every instance's batches, so two of them never wait on each other's keys.
    let mut firsts: Vec<usize> = first_of.values().copied().collect();
    firsts.sort_by_key(|&i| dedup_key(&news[i]));
    let column =
        |f: fn(&NewEvent) -> &str| -> Vec<&str> { firsts.iter().map(|&i| f(&news[i])).collect() };
    let listeners = column(|n| &n.event.listener_id);
    let pids = column(|n| n.event.provider_event_id.as_deref().unwrap_or_default());
    let ids = column(|n| &n.event.id);
    let seen: Vec<i64> = firsts.iter().map(|&i| news[i].event.received_at).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO dedup (listener_id, provider_event_id, event_id, seen_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
             ON CONFLICT (listener_id, provider_event_id) DO UPDATE
                 SET event_id = EXCLUDED.event_id, seen_at = EXCLUDED.seen_at
                 WHERE dedup.seen_at <= EXCLUDED.seen_at - $5
             RETURNING listener_id, provider_event_id",
        )
        .await?;
    let won: HashSet<(String, String)> = tx
        .query(&stmt, &[&listeners, &pids, &ids, &seen, &DEDUP_WINDOW_MS])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let originals = if won.len() < firsts.len() {
        originals(tx, &listeners, &pids).await?
    } else {
        HashMap::new()
    };
    let fates = news
        .iter()
        .enumerate()
        .map(|(i, new)| {
            let Some(key) = dedup_key(new) else {
                return Fate::Accept;
            };
            let first = first_of[&key];
            if won.contains(&(key.0.to_string(), key.1.to_string())) {
                if first == i {
                    Fate::Accept
                } else {
                    Fate::DuplicateOf(news[first].event.id.clone())
                }
            } else {
                match originals.get(&(key.0.to_string(), key.1.to_string())) {
                    Some(original) => Fate::DuplicateOf(original.clone()),
                    // Swept away meanwhile: nothing left to be a duplicate of.
                    None if first == i => Fate::Accept,
                    None => Fate::DuplicateOf(news[first].event.id.clone()),
                }
            }
        })
        .collect();
    Ok(fates)
}

fn dedup_key(new: &NewEvent) -> Option<DedupKey<'_>> {
    let pid = new.event.provider_event_id.as_deref()?;
    Some((&new.event.listener_id, pid))
}

/// The event ids already recorded for these keys.
async fn originals(
    tx: &Transaction<'_>,
    listeners: &[&str],
    pids: &[&str],
) -> Result<HashMap<(String, String), String>, Error> {
    let stmt = tx
        .prepare_cached(
            "SELECT d.listener_id, d.provider_event_id, d.event_id
             FROM dedup d JOIN unnest($1::text[], $2::text[]) AS k(l, p)
               ON d.listener_id = k.l AND d.provider_event_id = k.p",
        )
        .await?;
    Ok(tx
        .query(&stmt, &[&listeners, &pids])
        .await?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect())
}

/// Inserts the events; their sequence numbers by event id.
async fn insert_events(
    tx: &Transaction<'_>,
    accepted: &[&NewEvent],
) -> Result<HashMap<String, i64>, Error> {
    if accepted.is_empty() {
        return Ok(HashMap::new());
    }
    let text = |f: fn(&NewEvent) -> &str| -> Vec<&str> { accepted.iter().map(|n| f(n)).collect() };
    let opt = |f: fn(&NewEvent) -> Option<&str>| -> Vec<Option<&str>> {
        accepted.iter().map(|n| f(n)).collect()
    };
    let headers: Vec<String> = accepted
        .iter()
        .map(|n| serde_json::to_string(&n.event.headers).unwrap_or_else(|_| "[]".into()))
        .collect();
    let received: Vec<i64> = accepted.iter().map(|n| n.event.received_at).collect();
    let bodies: Vec<&[u8]> = accepted.iter().map(|n| &n.event.body[..]).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO events (id, listener_id, provider, account_id, event_type, provider_event_id,
                                 received_at, source_ip, content_type, headers, body)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[],
                                  $11::bytea[])
             RETURNING seq, id",
        )
        .await?;
    let rows = tx
        .query(
            &stmt,
            &[
                &text(|n| &n.event.id),
                &text(|n| &n.event.listener_id),
                &text(|n| &n.event.provider),
                &text(|n| &n.event.account_id),
                &opt(|n| n.event.event_type.as_deref()),
                &opt(|n| n.event.provider_event_id.as_deref()),
                &received,
                &opt(|n| n.event.source_ip.as_deref()),
                &opt(|n| n.event.content_type.as_deref()),
                &headers,
                &bodies,
            ],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(1), r.get(0))).collect())
}

/// Inserts one pending delivery per receiver of each event; the ids by (event seq, URL), in
/// ascending order (deliveries of one event to one URL are alike, so any of them will do).
/// Each unordered one is leased to this instance, whose dispatcher gets it straight away: no
/// other instance takes it while that holds. Ordered ones (with a key) stay unleased: they wait
/// for the one before them, and whichever instance sees that finish claims them in turn.
async fn insert_deliveries(
    tx: &Transaction<'_>,
    accepted: &[&NewEvent],
    seqs: &HashMap<String, i64>,
    lease: Lease,
) -> Result<HashMap<(i64, String), VecDeque<i64>>, Error> {
    let mut event_seqs = Vec::new();
    let mut listeners = Vec::new();
    let mut urls = Vec::new();
    let mut order_keys = Vec::new();
    for new in accepted {
        for url in &new.receiver_urls {
            event_seqs.push(seqs[&new.event.id]);
            listeners.push(new.event.listener_id.as_str());
            urls.push(url.as_str());
            order_keys.push(new.order_keys.get(url).map(String::as_str));
        }
    }
    if urls.is_empty() {
        return Ok(HashMap::new());
    }
    lock_order_keys(tx, &listeners, &urls, &order_keys).await?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO deliveries (event_seq, listener_id, receiver_url, status, attempt_count,
                                     next_attempt_at, order_key, leased_by, leased_until)
             SELECT s, l, u, 'pending', 0, $4, k,
                    CASE WHEN k IS NULL THEN $6::bigint END, CASE WHEN k IS NULL THEN $7::bigint END
             FROM unnest($1::bigint[], $2::text[], $3::text[], $5::text[]) AS t(s, l, u, k)
             RETURNING id, event_seq, receiver_url",
        )
        .await?;
    let now = now_ms();
    let until = now + lease.ms;
    let mut rows: Vec<(i64, i64, String)> = tx
        .query(
            &stmt,
            &[
                &event_seqs,
                &listeners,
                &urls,
                &now,
                &order_keys,
                &lease.by,
                &until,
            ],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    rows.sort_unstable_by_key(|r| r.0);
    let mut ids: HashMap<(i64, String), VecDeque<i64>> = HashMap::new();
    for (id, seq, url) in rows {
        ids.entry((seq, url)).or_default().push_back(id);
    }
    Ok(ids)
}

/// The first half of the keys of the order locks ("hk"; the liveness locks use "hg").
const ORDER_LOCK_CLASS: i32 = 0x686b;

/// Order keys share this many locks: a batch holds at most this many, however many keys it
/// has, so it cannot fill the server's lock table. Two keys in one bucket only wait on each
/// other, which is harmless.
const ORDER_LOCK_BUCKETS: i32 = 64;

/// Serializes the batches that add deliveries with the same (receiver, order key), whichever
/// instance they run on, until they commit: delivery ids are handed out when a row is inserted,
/// so without it a later batch could take a lower id than an earlier one that commits after
/// it, and its delivery would wait for (or run beside) one accepted after it. Buckets are
/// locked in ascending order so two batches never wait on each other.
async fn lock_order_keys(
    tx: &Transaction<'_>,
    listeners: &[&str],
    urls: &[&str],
    order_keys: &[Option<&str>],
) -> Result<(), Error> {
    let keys: Vec<String> = order_keys
        .iter()
        .enumerate()
        .filter_map(|(i, key)| Some(format!("{} {} {}", listeners[i], urls[i], (*key)?)))
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    // hashtext, not a Rust hash: instances of different builds must agree on the bucket.
    let stmt = tx
        .prepare_cached(
            "SELECT count(pg_advisory_xact_lock($2, b)) FROM (
                 SELECT DISTINCT hashtext(k) & ($3 - 1) AS b FROM unnest($1::text[]) AS t(k)
                 ORDER BY b) s",
        )
        .await?;
    tx.query_one(&stmt, &[&keys, &ORDER_LOCK_CLASS, &ORDER_LOCK_BUCKETS])
        .await?;
    Ok(())
}
