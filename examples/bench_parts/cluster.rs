//! The `cluster` section (only with `--postgres`): one instance on PostgreSQL next to SQLite,
//! with one receiver and store only; what the database spends per accepted event (CPU time of
//! its processes, WAL bytes, transactions, requests the gateways sent); and 1, 2 and 3 instances
//! on one database under the same wrk load spread over them, every accepted event checked at the
//! receiver for loss and duplicates.

use super::{clock_ticks, fmt_num, http_get, metric, wrk_wait, Ctx, Res};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::{Duration, Instant};

/// The database made afresh for every run.
const DB: &str = "hookgate_bench";
/// wrk's connections in every run, spread over the instances.
const CONNECTIONS: usize = 64;

/// What the server had done so far; read before and after a load.
struct Server {
    wal: f64,
    transactions: f64,
    /// `pg_stat_statements` calls in the bench database, when the extension is there.
    statements: Option<f64>,
    /// CPU ticks (user + system) of each postgres process not serving another database.
    cpu: HashMap<u32, f64>,
    /// TCP data segments each gateway socket (by local address) has sent to the server.
    requests: HashMap<String, f64>,
}

/// Per accepted event, over the load and the drain that follows it.
struct Costs {
    cpu_ms: f64,
    wal: f64,
    transactions: f64,
    requests: f64,
    statements: Option<f64>,
}

/// One run on PostgreSQL: `instances` gateways on one fresh database.
struct Run {
    deliver: bool,
    accepted_rps: f64,
    delivered_rps: f64,
    /// Events in the database at the end (warm-up included) and what the receiver counted.
    events: f64,
    unique: f64,
    deliveries: f64,
    costs: Costs,
    drain_s: f64,
}

/// Runs the section; `server` is the `--postgres` URL (its `postgres` database).
pub(super) fn section(ctx: &mut Ctx, server: &str) -> Res<()> {
    // SQLite and PostgreSQL alternate, so that drift in the machine's load touches both alike.
    let sqlite = ctx.ingest("cluster-sqlite", 1, None, true)?;
    let one = pg_run(ctx, server, 1, true)?;
    let sqlite_store = ctx.ingest("cluster-sqlite-store-only", 1, None, false)?;
    let store = pg_run(ctx, server, 1, false)?;
    let two = pg_run(ctx, server, 2, true)?;
    let three = pg_run(ctx, server, 3, true)?;
    ctx.row(
        "cluster",
        "SQLite, 1 instance, 1 receiver: accepted",
        Some(sqlite.rps),
        "req/s",
        None,
        format!("delivered {} /s meanwhile", fmt_num(sqlite.delivered_rps)),
    );
    ctx.row(
        "cluster",
        "SQLite, store only (no receiver)",
        Some(sqlite_store.rps),
        "req/s",
        None,
        "",
    );
    let x_sqlite = format!("{:.2} x SQLite", one.accepted_rps / sqlite.rps);
    run_rows(ctx, "PostgreSQL, 1 instance, 1 receiver", &one, &x_sqlite);
    let x_store = format!(
        "{:.2} x SQLite store only",
        store.accepted_rps / sqlite_store.rps
    );
    run_rows(ctx, "PostgreSQL, store only", &store, &x_store);
    for (n, run) in [(2, &two), (3, &three)] {
        let ratio = format!("{:.2} x 1 instance", run.accepted_rps / one.accepted_rps);
        run_rows(ctx, &format!("PostgreSQL, {n} instances"), run, &ratio);
    }
    let runs = [
        ("1", &one),
        ("store_only", &store),
        ("2", &two),
        ("3", &three),
    ];
    let detail: serde_json::Map<String, Value> = runs
        .iter()
        .map(|(k, r)| (k.to_string(), run_json(r)))
        .collect();
    ctx.detail("cluster_postgres", Value::Object(detail));
    Ok(())
}

/// Three rows for one run: accepted, delivered (with loss and duplicates), database cost.
fn run_rows(ctx: &mut Ctx, label: &str, r: &Run, ratio: &str) {
    ctx.row(
        "cluster",
        format!("{label}: accepted"),
        Some(r.accepted_rps),
        "req/s",
        None,
        ratio.to_string(),
    );
    if r.deliver {
        ctx.row(
            "cluster",
            "  delivered to the receiver during the load",
            Some(r.delivered_rps),
            "req/s",
            None,
            format!(
                "lost {}, duplicates {} of {} events (all delivered {:.1} s after the load)",
                r.events - r.unique,
                r.deliveries - r.unique,
                r.events,
                r.drain_s
            ),
        );
    }
    let c = &r.costs;
    let statements = c
        .statements
        .map(|s| format!(", {s:.2} statements"))
        .unwrap_or_default();
    ctx.row(
        "cluster",
        "  database CPU per accepted event",
        Some(c.cpu_ms),
        "ms",
        None,
        format!(
            "and {:.0} WAL bytes, {:.3} transactions, {:.3} requests{statements} per event",
            c.wal, c.transactions, c.requests
        ),
    );
}

fn run_json(r: &Run) -> Value {
    let c = &r.costs;
    json!({"accepted_rps": r.accepted_rps.round(), "delivered_rps": r.delivered_rps.round(),
           "events": r.events, "unique_delivered": r.unique, "deliveries": r.deliveries,
           "drain_s": r.drain_s, "db_cpu_ms_per_event": c.cpu_ms, "wal_bytes_per_event": c.wal,
           "transactions_per_event": c.transactions, "requests_per_event": c.requests,
           "statements_per_event": c.statements})
}

/// `instances` gateways on a fresh database with one listener (delivering to one receiver if
/// `deliver`), loaded by wrk spread over them; the server's counters around the load.
fn pg_run(ctx: &mut Ctx, server: &str, instances: usize, deliver: bool) -> Res<Run> {
    let url = fresh_database(server)?;
    let tag = format!(
        "cluster-pg-{instances}{}",
        if deliver { "" } else { "-store-only" }
    );
    let dir = ctx.work.join(&tag);
    let _ = std::fs::remove_dir_all(&dir);
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let receivers = if deliver { addrs.clone() } else { Vec::new() };
    ctx.store_url = Some(url.clone());
    let config = ctx.config(&dir, 1, &receivers, &[]);
    ctx.store_url = None;
    let config = config?;
    let mut gateways = Vec::new();
    for _ in 0..instances {
        gateways.push(ctx.gateway(&config)?);
    }
    let urls: Vec<String> = gateways
        .iter()
        .map(|g| format!("http://{}/api/v1/listener/bench/acct-0", g.public))
        .collect();
    let admins: Vec<String> = gateways.iter().map(|g| g.admin.clone()).collect();
    let pids: Vec<u32> = gateways.iter().map(|g| g.proc.pid()).collect();
    spread(ctx, &urls, ctx.plan.warm_secs)?;
    let accepted0 = accepted(&admins);
    let (delivered0, _) = receiver_counts(&addrs[0]);
    let before = snapshot(server, &pids)?;
    let (accepted_rps, secs, wrk) = spread(ctx, &urls, ctx.plan.wrk_secs)?;
    let (delivered1, _) = receiver_counts(&addrs[0]);
    let ended = Instant::now();
    let events = count(&url, "SELECT count(*) FROM events")?;
    let limit = Duration::from_secs_f64(ctx.plan.drain_timeout_secs.min(120.0));
    if deliver {
        while receiver_counts(&addrs[0]).1 < events && ended.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let drain_s = ended.elapsed().as_secs_f64();
    let after = snapshot(server, &pids)?;
    let accepted1 = accepted(&admins);
    let (deliveries, unique) = receiver_counts(&addrs[0]);
    for g in &mut gateways {
        g.proc.stop(Duration::from_secs(30));
    }
    recv.stop(Duration::from_secs(5));
    ctx.detail(&format!("{tag}_wrk"), Value::Array(wrk));
    Ok(Run {
        deliver,
        accepted_rps,
        delivered_rps: (delivered1 - delivered0) / secs.max(1e-3),
        events,
        unique: if deliver { unique } else { 0.0 },
        deliveries: if deliver { deliveries } else { 0.0 },
        costs: costs(&before, &after, accepted1 - accepted0),
        drain_s: if deliver { drain_s } else { 0.0 },
    })
}

/// wrk on every URL at once, `CONNECTIONS` split among them; the summed 2xx/s, the longest
/// duration in seconds and each wrk's summary.
fn spread(ctx: &Ctx, urls: &[String], secs: u32) -> Res<(f64, f64, Vec<Value>)> {
    let n = urls.len();
    // Two load threads in all on two cores, however many instances.
    let threads = (2 / n).max(1);
    let mut children = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let conns = CONNECTIONS / n + usize::from(i < CONNECTIONS % n);
        children.push(ctx.wrk_spawn(url, secs, threads.min(conns), conns)?);
    }
    let mut rps = 0.0;
    let mut longest: f64 = 0.0;
    let mut raw = Vec::new();
    for child in children {
        let w = wrk_wait(child, secs)?;
        rps += w.rps;
        longest = longest.max(w.raw["duration_us"].as_f64().unwrap_or(0.0) / 1e6);
        raw.push(w.raw);
    }
    Ok((rps, longest, raw))
}

/// Events accepted so far, summed over the instances' metrics.
fn accepted(admins: &[String]) -> f64 {
    admins
        .iter()
        .map(|a| {
            let text = http_get(a, "/metrics").unwrap_or_default();
            metric(&text, "hookgate_events_total", "accepted")
        })
        .sum()
}

/// The receiver's deliveries and distinct deliveries so far.
fn receiver_counts(addr: &str) -> (f64, f64) {
    let v: Value = http_get(addr, "/stats")
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let n = |k: &str| v[k].as_f64().unwrap_or(0.0);
    (n("deliveries"), n("unique"))
}

fn costs(before: &Server, after: &Server, events: f64) -> Costs {
    let events = events.max(1.0);
    Costs {
        cpu_ms: grown(&before.cpu, &after.cpu) / clock_ticks() * 1000.0 / events,
        wal: (after.wal - before.wal) / events,
        transactions: (after.transactions - before.transactions) / events,
        requests: grown(&before.requests, &after.requests) / events,
        statements: match (before.statements, after.statements) {
            (Some(a), Some(b)) => Some((b - a) / events),
            _ => None,
        },
    }
}

/// How much the counters in `b` grew since `a`; one new since `a` counts whole.
fn grown<K: std::hash::Hash + Eq>(a: &HashMap<K, f64>, b: &HashMap<K, f64>) -> f64 {
    b.iter()
        .map(|(k, v)| v - a.get(k).copied().unwrap_or(0.0))
        .sum()
}

/// The server's counters now. CPU counts every process named `postgres` (postmaster, WAL
/// writer, checkpointer, background writer, autovacuum, the gateways' backends) except
/// backends of other databases; the WAL position is server-wide.
fn snapshot(server: &str, gateways: &[u32]) -> Res<Server> {
    let others: HashSet<u32> = psql_numbers(
        server,
        &format!(
            "SELECT pid FROM pg_stat_activity WHERE datname IS NOT NULL AND datname <> '{DB}'"
        ),
    )?
    .into_iter()
    .map(|p| p as u32)
    .collect();
    let cpu = postgres_ticks(&others);
    let counters = psql_numbers(
        server,
        &format!(
            "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, xact_commit + xact_rollback \
             FROM pg_stat_database WHERE datname = '{DB}'"
        ),
    )?;
    // Present only where the extension is preloaded and created; not required.
    let statements = psql_numbers(
        server,
        &format!(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s \
             JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{DB}'"
        ),
    )
    .ok()
    .and_then(|v| v.first().copied());
    Ok(Server {
        wal: counters.first().copied().unwrap_or(0.0),
        transactions: counters.get(1).copied().unwrap_or(0.0),
        statements,
        cpu,
        requests: sent_segments(server, gateways),
    })
}

/// utime + stime, in clock ticks, of each process named `postgres` outside `skip`.
fn postgres_ticks(skip: &HashSet<u32>) -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if skip.contains(&pid) {
            continue;
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() != "postgres" {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // After the `(name)`: state ppid … utime (index 11) stime (12).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        if let (Some(u), Some(s)) = (tick(11), tick(12)) {
            out.insert(pid, u + s);
        }
    }
    out
}

/// TCP data segments sent to the server's port so far by each socket of the `gateways`
/// processes (`ss -tinp`): the requests they wrote, a pipelined batch of statements counting
/// once and a write larger than a segment more than once.
fn sent_segments(server: &str, gateways: &[u32]) -> HashMap<String, f64> {
    let port = server
        .rsplit_once('@')
        .map_or(server, |(_, h)| h)
        .split('/')
        .next()
        .and_then(|h| h.rsplit_once(':'))
        .map_or("5432", |(_, p)| p);
    let out = Command::new("ss")
        .args(["-tinpH", "dport", "=", &format!(":{port}")])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let mut counts = HashMap::new();
    let mut current: Option<String> = None;
    for line in out.lines() {
        if !line.starts_with(char::is_whitespace) {
            // State Recv-Q Send-Q Local Peer Process
            let ours = gateways.iter().any(|p| line.contains(&format!("pid={p},")));
            current = ours
                .then(|| line.split_whitespace().nth(3).map(str::to_string))
                .flatten();
        } else if let Some(local) = current.take() {
            let segs = line
                .split_whitespace()
                .find_map(|f| f.strip_prefix("data_segs_out:"))
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(0.0);
            counts.insert(local, segs);
        }
    }
    counts
}

/// Drops and makes `hookgate_bench` on the server; its URL.
fn fresh_database(server: &str) -> Res<String> {
    let st = Command::new("psql")
        .args([server, "-q", "-v", "ON_ERROR_STOP=1"])
        .args(["-c", &format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)")])
        .args(["-c", &format!("CREATE DATABASE {DB}")])
        .status()
        .map_err(|e| format!("psql: {e}"))?;
    if !st.success() {
        return Err(format!("psql could not make {DB}: {st}"));
    }
    match server.rsplit_once('/') {
        Some((base, _)) => Ok(format!("{base}/{DB}")),
        None => Err(format!("--postgres {server}: not a URL")),
    }
}

fn count(url: &str, sql: &str) -> Res<f64> {
    Ok(psql_numbers(url, sql)?.first().copied().unwrap_or(0.0))
}

/// Every number `sql` answers (all rows), through psql.
fn psql_numbers(url: &str, sql: &str) -> Res<Vec<f64>> {
    let out = Command::new("psql")
        .args([url, "-At", "-F", " ", "-c", sql])
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "psql: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|n| n.parse().map_err(|e| format!("psql answered {n:?}: {e}")))
        .collect()
}
