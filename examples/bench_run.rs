//! The benchmark driver behind `bench/run.sh`: starts every process itself, loads hookgate on
//! loopback, and prints one table (and writes JSON) with each figure, the ratio against a bare
//! hyper baseline measured in the same run, the target and whether it was met.
//!
//! Sections (bench/README.md says what each measures and why):
//! baseline, ingest, e2e, scale, backlog, order, soak, idle, cost (instructions per event,
//! under callgrind; not in `--quick`), cluster (PostgreSQL, 1 to 3 instances; only with
//! `--postgres`). `--quick` runs every section small and short, for CI: it proves the
//! benchmark still works, the timings mean little.
//!
//! Every wait is bounded and every child process is killed when the driver exits, whichever
//! way it exits.

#[path = "bench_parts/cluster.rs"]
mod cluster;
#[path = "bench_parts/cost.rs"]
mod cost;
#[path = "bench_parts/nginx.rs"]
mod nginx;
#[path = "bench_parts/soak.rs"]
mod soak;

use clap::Parser;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[derive(Parser)]
struct Args {
    /// Small and short: every section in a few seconds (CI).
    #[arg(long)]
    quick: bool,
    /// JSON results (default: bench/results.json, or bench/results-quick.json with --quick).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only these sections, comma-separated
    /// (baseline,ingest,e2e,scale,backlog,order,soak,idle,cost,cluster).
    #[arg(long)]
    only: Option<String>,
    /// Keep the working directory (configs, databases, logs) for a look afterwards.
    #[arg(long)]
    keep: bool,
    /// Override the number of listeners in the scale section.
    #[arg(long)]
    listeners: Option<usize>,
    /// Override the number of pending deliveries in the backlog section.
    #[arg(long)]
    backlog: Option<u64>,
    /// Also run the cluster section (PostgreSQL against SQLite, 1 to 3 instances): the URL of a
    /// server's `postgres` database (e.g. postgres://postgres@127.0.0.1:5432/postgres). A
    /// database `hookgate_bench` is made there afresh (with psql) for each measurement.
    #[arg(long)]
    postgres: Option<String>,
}

/// How big and how long each section runs.
struct Plan {
    wrk_secs: u32,
    warm_secs: u32,
    fixed_secs: f64,
    e2e_rate: f64,
    e2e_secs: f64,
    scale_listeners: usize,
    scale_starts: usize,
    backlog: u64,
    backlog_down_secs: f64,
    drain_timeout_secs: f64,
    idle_connections: usize,
    soak_secs: u32,
    soak_window_secs: u32,
}

impl Plan {
    fn new(args: &Args) -> Plan {
        let mut p = if args.quick {
            Plan {
                wrk_secs: 1,
                warm_secs: 1,
                fixed_secs: 1.0,
                e2e_rate: 2000.0,
                e2e_secs: 2.0,
                scale_listeners: 2_000,
                scale_starts: 1,
                backlog: 5_000,
                backlog_down_secs: 1.0,
                drain_timeout_secs: 60.0,
                idle_connections: 200,
                soak_secs: 4,
                soak_window_secs: 2,
            }
        } else {
            Plan {
                wrk_secs: 10,
                warm_secs: 2,
                fixed_secs: 10.0,
                e2e_rate: 2000.0,
                e2e_secs: 30.0,
                scale_listeners: 100_000,
                scale_starts: 3,
                backlog: 1_000_000,
                backlog_down_secs: 10.0,
                drain_timeout_secs: 300.0,
                idle_connections: 2_000,
                soak_secs: 300,
                soak_window_secs: 30,
            }
        };
        if let Some(n) = args.listeners {
            p.scale_listeners = n;
        }
        if let Some(n) = args.backlog {
            p.backlog = n;
        }
        p
    }
}

type Res<T> = Result<T, String>;

/// How long the end-to-end run waits, after the last 200, for every copy to arrive.
const E2E_DRAIN_SECS: u32 = 60;

/// A target from the issue.
#[derive(Clone, Copy)]
enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn met(&self, v: f64) -> bool {
        match *self {
            Target::AtLeast(t) => v >= t,
            Target::AtMost(t) => v <= t,
        }
    }
    fn text(&self, unit: &str) -> String {
        match *self {
            Target::AtLeast(t) => format!(">= {} {unit}", fmt_num(t)),
            Target::AtMost(t) => format!("<= {} {unit}", fmt_num(t)),
        }
    }
}

/// One line of the table.
struct Row {
    section: &'static str,
    what: String,
    value: Option<f64>,
    unit: &'static str,
    target: Option<Target>,
    note: String,
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1000.0 {
        // Thousands separated with a thin comma, to read big rates at a glance.
        let s = format!("{:.0}", v);
        let (sign, digits) = s.split_at(if s.starts_with('-') { 1 } else { 0 });
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A child process whose output lines are read on a thread (so a chatty child never blocks on
/// a full pipe); lines that `watch` accepts are handed over, the last few kept for errors.
struct Proc {
    name: String,
    child: Option<Child>,
    lines: mpsc::Receiver<(Instant, String)>,
    tail: Arc<Mutex<VecDeque<String>>>,
    spawned: Instant,
}

impl Proc {
    fn spawn(
        name: &str,
        cmd: &mut Command,
        from_stderr: bool,
        watch: fn(&str) -> bool,
    ) -> Res<Proc> {
        if from_stderr {
            cmd.stderr(Stdio::piped()).stdout(Stdio::null());
        } else {
            cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        }
        let spawned = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let pipe: Box<dyn Read + Send> = if from_stderr {
            Box::new(child.stderr.take().expect("stderr"))
        } else {
            Box::new(child.stdout.take().expect("stdout"))
        };
        let (tx, rx) = mpsc::channel();
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let keep = tail.clone();
        std::thread::spawn(move || {
            for line in BufReader::with_capacity(1 << 16, pipe)
                .lines()
                .map_while(Result::ok)
            {
                if watch(&line) {
                    let _ = tx.send((Instant::now(), line.clone()));
                }
                let mut t = keep.lock().expect("tail");
                if t.len() >= 20 {
                    t.pop_front();
                }
                t.push_back(line);
            }
        });
        Ok(Proc {
            name: name.to_string(),
            child: Some(child),
            lines: rx,
            tail,
            spawned,
        })
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    fn stdin(&mut self) -> Option<ChildStdin> {
        self.child.as_mut()?.stdin.take()
    }

    fn last_lines(&self) -> String {
        self.tail
            .lock()
            .expect("tail")
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first handed-over line containing `pattern`, with the time it was read.
    fn wait_line(&mut self, pattern: &str, limit: Duration) -> Res<(Instant, String)> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{}: no `{pattern}` within {limit:?}; last output:\n{}",
                    self.name,
                    self.last_lines()
                ));
            }
            match self
                .lines
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok((at, line)) if line.contains(pattern) => return Ok((at, line)),
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                        // Give the reader thread a moment to pass on the child's last words.
                        std::thread::sleep(Duration::from_millis(100));
                        if let Ok((at, line)) = self.lines.try_recv() {
                            if line.contains(pattern) {
                                return Ok((at, line));
                            }
                        }
                        return Err(format!(
                            "{} exited ({status}) before `{pattern}`; last output:\n{}",
                            self.name,
                            self.last_lines()
                        ));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!(
                        "{} closed its output before `{pattern}`; last output:\n{}",
                        self.name,
                        self.last_lines()
                    ));
                }
            }
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "bench: {} did not stop within {grace:?}; killing it",
            self.name
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `VmRSS` or `VmHWM` of a process, in MB.
fn proc_mem_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn rss_mb(pid: u32) -> Option<f64> {
    proc_mem_mb(pid, "VmRSS:")
}

/// A plain HTTP/1.1 GET with `Connection: close`; the body as text.
fn http_get(addr: &str, path: &str) -> Res<String> {
    let sock: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(5))
        .map_err(|e| format!("GET {addr}{path}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut text = String::new();
    s.read_to_string(&mut text)
        .map_err(|e| format!("GET {addr}{path}: {e}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .ok_or_else(|| format!("GET {addr}{path}: no HTTP answer"))?;
    Ok(body)
}

/// Sums every sample of a Prometheus metric whose line contains `filter`.
/// Deliveries a `bench_receiver` has counted (0 when it does not answer).
fn deliveries_counted(addr: &str) -> f64 {
    http_get(addr, "/stats")
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["deliveries"].as_f64())
        .unwrap_or(0.0)
}

fn metric(text: &str, name: &str, filter: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.starts_with(name)
                && matches!(l.as_bytes().get(name.len()), Some(b'{') | Some(b' '))
                && l.contains(filter)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Everything the sections share.
struct Ctx {
    plan: Plan,
    quick: bool,
    hookgate: PathBuf,
    examples: PathBuf,
    lua: PathBuf,
    work: PathBuf,
    rows: Vec<Row>,
    details: serde_json::Map<String, Value>,
    /// `--postgres`: the server's `postgres` database URL.
    postgres: Option<String>,
    /// The store the configs written from now on name instead of their SQLite file.
    store_url: Option<String>,
    /// nginx relaying to one receiver, requests/s (baseline section): the relay yardstick.
    nginx_rps: Option<f64>,
}

/// A running gateway.
struct Gateway {
    proc: Proc,
    public: String,
    admin: String,
    startup: Duration,
}

/// What one wrk run measured.
struct Wrk {
    /// 2xx answers per second.
    rps: f64,
    raw: Value,
}

/// One ingest measurement: a fresh store, a receiver, a gateway, wrk.
struct Ingest {
    rps: f64,
    /// Deliveries the receiver counted per second during the same wrk run.
    delivered_rps: f64,
    startup: Duration,
    rss_started: f64,
    /// VmHWM at `listening`: the peak of start-up itself.
    rss_startup_peak: f64,
    /// VmHWM after the load, counted from `listening` on.
    rss_peak: f64,
}

impl Ctx {
    fn example(&self, name: &str) -> Command {
        Command::new(self.examples.join(name))
    }

    fn row(
        &mut self,
        section: &'static str,
        what: impl Into<String>,
        value: Option<f64>,
        unit: &'static str,
        target: Option<Target>,
        note: impl Into<String>,
    ) {
        let row = Row {
            section,
            what: what.into(),
            value,
            unit,
            target,
            note: note.into(),
        };
        eprintln!(
            "bench: {:<8} {:<52} {:>12} {}",
            row.section,
            row.what,
            row.value.map(fmt_num).unwrap_or_else(|| "-".into()),
            row.unit
        );
        self.rows.push(row);
    }

    fn detail(&mut self, key: &str, value: Value) {
        self.details.insert(key.to_string(), value);
    }

    /// Starts `bench_receiver` on the given addresses (port 0: any); returns it and its addresses.
    fn receiver(&self, listen: &[&str]) -> Res<(Proc, Vec<String>)> {
        let mut cmd = self.example("bench_receiver");
        for l in listen {
            cmd.args(["--listen", l]);
        }
        let mut p = Proc::spawn("bench_receiver", &mut cmd, false, |_| true)?;
        let (_, line) = p.wait_line("listening on", Duration::from_secs(20))?;
        let addrs = line["listening on ".len()..]
            .split(',')
            .map(str::to_string)
            .collect();
        Ok((p, addrs))
    }

    /// Writes a config with `listeners` listeners whose first one delivers to `receivers`.
    fn config(
        &self,
        dir: &Path,
        listeners: usize,
        receivers: &[String],
        extra: &[&str],
    ) -> Res<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = dir.join("listeners.toml");
        let mut cmd = self.example("bench_config");
        cmd.args(["--listeners", &listeners.to_string()])
            .arg("--db")
            .arg(dir.join("hookgate.db"))
            .arg("--out")
            .arg(&out)
            .args(extra);
        for r in receivers {
            cmd.args(["--receiver", &format!("http://{r}/hook")]);
        }
        let st = cmd.status().map_err(|e| format!("bench_config: {e}"))?;
        if !st.success() {
            return Err(format!("bench_config failed: {st}"));
        }
        if let Some(url) = &self.store_url {
            let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
            let text = text.replacen("url = \"sqlite://", &format!("url = \"{url}\"\n# was "), 1);
            std::fs::write(&out, text).map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    /// Starts `hookgate serve` and waits for its `listening` line (bounded).
    fn gateway(&self, config: &Path) -> Res<Gateway> {
        self.gateway_wrapped(config, &[])
    }

    /// `gateway`, run under `wrapper` (a program and its arguments, e.g. valgrind) if not empty.
    fn gateway_wrapped(&self, config: &Path, wrapper: &[String]) -> Res<Gateway> {
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(&self.hookgate);
                c
            }
            None => Command::new(&self.hookgate),
        };
        cmd.arg("serve")
            .arg("--config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            // The default log level, as a deployment would run it.
            .env_remove("RUST_LOG")
            .current_dir(config.parent().unwrap_or(Path::new(".")))
            .stdin(Stdio::null());
        let mut proc = Proc::spawn("hookgate serve", &mut cmd, true, |l| {
            l.contains("listening")
        })?;
        let (at, line) = proc.wait_line("listening", Duration::from_secs(600))?;
        let startup = at.duration_since(proc.spawned);
        let field = |name: &str| -> Res<String> {
            let start = line
                .find(&format!("{name}="))
                .ok_or_else(|| format!("no {name}= in {line}"))?
                + name.len()
                + 1;
            Ok(line[start..]
                .split(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '}')
                .next()
                .unwrap_or("")
                .to_string())
        };
        Ok(Gateway {
            public: field("public")?,
            admin: field("admin")?,
            startup,
            proc,
        })
    }

    /// wrk with the 1 KiB POST script: 2 threads, 64 keep-alive connections.
    fn wrk(&self, url: &str, secs: u32) -> Res<Wrk> {
        let child = self.wrk_spawn(url, secs, 2, 64)?;
        wrk_wait(child, secs)
    }

    /// Starts wrk with the 1 KiB POST script; `wrk_wait` reads its summary.
    fn wrk_spawn(&self, url: &str, secs: u32, threads: usize, conns: usize) -> Res<Child> {
        Command::new("wrk")
            .args([
                &format!("-t{threads}"),
                &format!("-c{conns}"),
                &format!("-d{secs}s"),
                "--timeout",
                "10s",
                "-s",
            ])
            .arg(&self.lua)
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run wrk (bench/run.sh installs it): {e}"))
    }

    /// The fixed-rate generator; its `RESULT` JSON.
    fn load(&self, url: &str, rate: f64, secs: f64, connections: usize) -> Res<Value> {
        let mut cmd = self.example("bench_load");
        cmd.args([
            "--url",
            url,
            "--rate",
            &format!("{rate:.0}"),
            "--duration",
            &secs.to_string(),
            "--connections",
            &connections.to_string(),
            // Tens of thousands of requests a second take more than one core to generate.
            "--threads",
            "2",
        ]);
        let mut p = Proc::spawn("bench_load", &mut cmd, false, |_| true)?;
        let (_, line) = p.wait_line("RESULT ", Duration::from_secs_f64(secs + 120.0))?;
        serde_json::from_str(&line["RESULT ".len()..]).map_err(|e| format!("bench_load: {e}"))
    }

    /// One ingest measurement with `listeners` listeners (the first one loaded).
    fn ingest(
        &mut self,
        tag: &str,
        listeners: usize,
        config: Option<PathBuf>,
        deliver: bool,
    ) -> Res<Ingest> {
        let dir = self.work.join(tag);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let (mut recv, addrs) = self.receiver(&["127.0.0.1:0"])?;
        let config = match config {
            Some(c) => {
                // A shared big config points at its own database path; start that fresh.
                for ext in ["", "-wal", "-shm"] {
                    let db = c.with_file_name(format!("hookgate.db{ext}"));
                    let _ = std::fs::remove_file(db);
                }
                c
            }
            None if deliver => self.config(&dir, listeners, &addrs, &[])?,
            None => self.config(&dir, listeners, &[], &[])?,
        };
        let mut gw = self.gateway(&config)?;
        let rss_started = rss_mb(gw.proc.pid()).unwrap_or(0.0);
        // The high-water mark so far is start-up's (parsing the file); reset it so the peak read
        // after the load is the load's own.
        let rss_startup_peak = proc_mem_mb(gw.proc.pid(), "VmHWM:").unwrap_or(0.0);
        let _ = std::fs::write(format!("/proc/{}/clear_refs", gw.proc.pid()), "5");
        let url = format!("http://{}/api/v1/listener/bench/acct-0", gw.public);
        self.wrk(&url, self.plan.warm_secs)?;
        let delivered = deliveries_counted;
        let before = delivered(&addrs[0]);
        let w = self.wrk(&url, self.plan.wrk_secs)?;
        let secs = w.raw["duration_us"].as_f64().unwrap_or(0.0) / 1e6;
        let delivered_rps = if secs > 0.0 {
            (delivered(&addrs[0]) - before) / secs
        } else {
            0.0
        };
        let metrics = http_get(&gw.admin, "/metrics").unwrap_or_default();
        let accepted = metric(&metrics, "hookgate_events_total", "accepted");
        let rss_peak = proc_mem_mb(gw.proc.pid(), "VmHWM:").unwrap_or(0.0);
        gw.proc.stop(Duration::from_secs(30));
        recv.stop(Duration::from_secs(5));
        self.detail(
            &format!("ingest_{tag}"),
            json!({"listeners": listeners, "wrk": w.raw, "rps": w.rps.round(),
                   "accepted_total": accepted, "startup_s": gw.startup.as_secs_f64(),
                   "rss_started_mb": rss_started, "rss_startup_peak_mb": rss_startup_peak,
                   "rss_peak_mb": rss_peak}),
        );
        Ok(Ingest {
            rps: w.rps,
            delivered_rps,
            startup: gw.startup,
            rss_started,
            rss_startup_peak,
            rss_peak,
        })
    }

    /// Fixed-rate ack latency against a fresh 1-listener gateway, after a short warm-up.
    fn fixed_rate(&mut self, tag: &str, rate: f64) -> Res<Value> {
        let dir = self.work.join(tag);
        let _ = std::fs::remove_dir_all(&dir);
        let (mut recv, addrs) = self.receiver(&["127.0.0.1:0"])?;
        let config = self.config(&dir, 1, &addrs, &[])?;
        let mut gw = self.gateway(&config)?;
        let url = format!("http://{}/api/v1/listener/bench/acct-0", gw.public);
        self.load(&url, rate, 1.0, 64)?;
        let r = self.load(&url, rate, self.plan.fixed_secs, 64)?;
        gw.proc.stop(Duration::from_secs(30));
        recv.stop(Duration::from_secs(5));
        self.detail(tag, r.clone());
        Ok(r)
    }
}

/// Waits (bounded) for a wrk started by `Ctx::wrk_spawn` and reads its JSON summary.
fn wrk_wait(mut child: Child, secs: u32) -> Res<Wrk> {
    let deadline = Instant::now() + Duration::from_secs(u64::from(secs) + 60);
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("wrk did not finish in time".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("WRKJSON "))
        .ok_or_else(|| {
            format!(
                "wrk printed no summary: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let raw: Value = serde_json::from_str(line).map_err(|e| format!("wrk summary: {e}"))?;
    let n = |k: &str| raw[k].as_f64().unwrap_or(0.0);
    let ok = n("requests") - n("errors_status");
    let secs = n("duration_us") / 1e6;
    Ok(Wrk {
        rps: if secs > 0.0 { ok / secs } else { 0.0 },
        raw,
    })
}

fn ms(v: &Value, path: &[&str]) -> Option<f64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_f64()
}

fn section_baseline(ctx: &mut Ctx) -> Res<f64> {
    let mut p = Proc::spawn(
        "bench_baseline",
        ctx.example("bench_baseline")
            .args(["--listen", "127.0.0.1:0"]),
        false,
        |_| true,
    )?;
    let (_, line) = p.wait_line("listening on", Duration::from_secs(20))?;
    let url = format!("http://{}/", &line["listening on ".len()..]);
    ctx.wrk(&url, ctx.plan.warm_secs)?;
    let w = ctx.wrk(&url, ctx.plan.wrk_secs)?;
    ctx.row(
        "baseline",
        "bare hyper 1, wrk 64 conns, 1 KiB POST",
        Some(w.rps),
        "req/s",
        None,
        "the yardstick for every ratio",
    );
    // The least work a relay does: bare hyper that forwards every body to a receiver and answers
    // once that answer is back. No storage, no checks; it bounds any gateway that delivers.
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let mut relay = Proc::spawn(
        "bench_baseline --relay",
        ctx.example("bench_baseline").args([
            "--listen",
            "127.0.0.1:0",
            "--relay",
            &format!("http://{}/hook", addrs[0]),
        ]),
        false,
        |_| true,
    )?;
    let (_, line) = relay.wait_line("listening on", Duration::from_secs(20))?;
    let relay_url = format!("http://{}/", &line["listening on ".len()..]);
    ctx.wrk(&relay_url, ctx.plan.warm_secs)?;
    let r = ctx.wrk(&relay_url, ctx.plan.wrk_secs)?;
    relay.stop(Duration::from_secs(5));
    recv.stop(Duration::from_secs(5));
    ctx.row(
        "baseline",
        "bare hyper relay (forwards each body to a receiver first)",
        Some(r.rps),
        "req/s",
        None,
        format!(
            "{:.2} x baseline: the ceiling of any gateway that delivers",
            r.rps / w.rps
        ),
    );
    // A mature relay in front of the same kind of receiver: nginx proxy_pass.
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let (mut proxy, proxy_url) = nginx::start(ctx, &addrs[0])?;
    ctx.wrk(&proxy_url, ctx.plan.warm_secs)?;
    let n = ctx.wrk(&proxy_url, ctx.plan.wrk_secs)?;
    proxy.stop(Duration::from_secs(5));
    recv.stop(Duration::from_secs(5));
    ctx.nginx_rps = Some(n.rps);
    ctx.row(
        "baseline",
        "nginx proxy_pass relay to one receiver",
        Some(n.rps),
        "req/s",
        None,
        format!(
            "{:.2} x baseline: not durable; hookgate is measured against it",
            n.rps / w.rps
        ),
    );
    // What the generator and loopback alone add to a fixed-rate latency.
    let floor = ctx.load(&url, w.rps / 2.0, ctx.plan.fixed_secs, 64)?;
    ctx.row(
        "baseline",
        format!(
            "bare hyper p99 at {} req/s (generator floor)",
            fmt_num(w.rps / 2.0)
        ),
        ms(&floor, &["ack_ms", "p99"]),
        "ms",
        None,
        "what measuring alone costs",
    );
    ctx.detail(
        "baseline",
        json!({"wrk": w.raw, "rps": w.rps.round(), "floor": floor, "relay_wrk": r.raw,
               "nginx_wrk": n.raw}),
    );
    p.stop(Duration::from_secs(5));
    Ok(w.rps)
}

fn section_ingest(ctx: &mut Ctx, baseline: Option<f64>) -> Res<f64> {
    let one = ctx.ingest("ingest-1", 1, None, true)?;
    let ratio = baseline.map(|b| one.rps / b);
    ctx.row(
        "ingest",
        "hookgate, 1 listener, 1 receiver, fsync per commit",
        Some(one.rps),
        "req/s",
        None,
        "wrk 64 conns, 1 KiB JSON",
    );
    ctx.row("ingest", "ingest / baseline", ratio, "x", None, "");
    ctx.row(
        "ingest",
        "  delivered to the receiver during the same run",
        Some(one.delivered_rps),
        "req/s",
        None,
        "what is not delivered meanwhile is left for later",
    );
    // nginx relays each request before answering it: compare with what hookgate both stored
    // and delivered in the same time.
    let relayed = one.rps.min(one.delivered_rps);
    let nginx_rps = ctx.nginx_rps;
    ctx.row(
        "ingest",
        "stored and relayed / nginx relay",
        nginx_rps.map(|n| relayed / n),
        "x",
        Some(Target::AtLeast(0.5)),
        "the lesser of accepted and delivered per second, same receiver, same load",
    );
    // Where the time goes: the same load on a listener without receivers (store only).
    let store_only = ctx.ingest("ingest-store-only", 1, None, false)?;
    ctx.row(
        "ingest",
        "  store only (listener without receivers)",
        Some(store_only.rps),
        "req/s",
        None,
        format!(
            "{:.2} x baseline: the single writer's commit cycle bounds it",
            baseline.map(|b| store_only.rps / b).unwrap_or(f64::NAN)
        ),
    );
    let rate = baseline.map(|b| b / 2.0).unwrap_or(one.rps / 2.0);
    let r = ctx.fixed_rate("latency-half-baseline", rate)?;
    let note = format!(
        "{} of {} acked 2xx, {} late sends",
        r["ok"], r["offered"], r["late_sends"]
    );
    ctx.row(
        "ingest",
        format!("ack p99 at half the baseline ({} req/s)", fmt_num(rate)),
        ms(&r, &["ack_ms", "p99"]),
        "ms",
        Some(Target::AtMost(5.0)),
        note,
    );
    ctx.row(
        "ingest",
        "  (p50 at the same rate)",
        ms(&r, &["ack_ms", "p50"]),
        "ms",
        None,
        format!("achieved {} req/s", r["achieved_rate"]),
    );
    // For the reader: the latency hookgate holds at half of its own ceiling.
    let own = one.rps / 2.0;
    let r2 = ctx.fixed_rate("latency-half-ingest", own)?;
    ctx.row(
        "ingest",
        format!("ack p99 at half its own ceiling ({} req/s)", fmt_num(own)),
        ms(&r2, &["ack_ms", "p99"]),
        "ms",
        None,
        format!("p50 {} ms", r2["ack_ms"]["p50"]),
    );
    Ok(one.rps)
}

fn section_e2e(ctx: &mut Ctx) -> Res<()> {
    let dir = ctx.work.join("e2e");
    let _ = std::fs::remove_dir_all(&dir);
    let rate = ctx.plan.e2e_rate;
    let secs = ctx.plan.e2e_secs;
    let mut cmd = ctx.example("bench_load");
    cmd.args([
        "--rate",
        &format!("{rate:.0}"),
        "--duration",
        &secs.to_string(),
        "--connections",
        "64",
        "--receivers",
        "3",
        "--drain-timeout",
        &E2E_DRAIN_SECS.to_string(),
    ])
    .stdin(Stdio::piped());
    let mut load = Proc::spawn("bench_load (end to end)", &mut cmd, false, |_| true)?;
    let (_, line) = load.wait_line("receivers ", Duration::from_secs(20))?;
    let receivers: Vec<String> = line["receivers ".len()..]
        .split(',')
        .map(str::to_string)
        .collect();
    load.wait_line("ready", Duration::from_secs(20))?;
    let config = ctx.config(&dir, 1, &receivers, &[])?;
    let mut gw = ctx.gateway(&config)?;
    let mut stdin = load.stdin().ok_or("bench_load has no stdin")?;
    writeln!(
        stdin,
        "go http://{}/api/v1/listener/bench/acct-0",
        gw.public
    )
    .map_err(|e| e.to_string())?;
    drop(stdin);
    let (_, result) = load.wait_line("RESULT ", Duration::from_secs_f64(secs + 200.0))?;
    let r: Value = serde_json::from_str(&result["RESULT ".len()..]).map_err(|e| e.to_string())?;
    let metrics = http_get(&gw.admin, "/metrics").unwrap_or_default();
    gw.proc.stop(Duration::from_secs(30));
    let e = &r["e2e"];
    let label = format!("{} events/s x {} s, fan-out 3", fmt_num(rate), secs);
    ctx.row(
        "e2e",
        format!("200 -> receiver p50 ({label})"),
        ms(e, &["latency_ms", "p50"]),
        "ms",
        Some(Target::AtMost(2.0)),
        format!(
            "{} arrived before the 200 was read",
            e["arrived_before_ack"]
        ),
    );
    ctx.row(
        "e2e",
        "200 -> receiver p99",
        ms(e, &["latency_ms", "p99"]),
        "ms",
        Some(Target::AtMost(20.0)),
        "",
    );
    ctx.row(
        "e2e",
        "request sent -> receiver p50 / p99 (for reference)",
        ms(e, &["from_send_ms", "p50"]),
        "ms",
        None,
        format!("p99 {} ms", e["from_send_ms"]["p99"]),
    );
    ctx.row(
        "e2e",
        "200 -> receiver max",
        ms(e, &["latency_ms", "max"]),
        "ms",
        None,
        "",
    );
    let missing = e["missing"].as_f64();
    let pending = metric(&metrics, "hookgate_pending_deliveries", "");
    let not_acked = r["offered"].as_f64().unwrap_or(0.0) - r["ok"].as_f64().unwrap_or(0.0);
    ctx.row(
        "e2e",
        format!("arrivals missing {E2E_DRAIN_SECS} s after the last 200 (of events x 3)"),
        missing,
        "",
        Some(Target::AtMost(0.0)),
        format!(
            "{} of {} arrived, {} duplicates; gateway still had {} pending",
            e["arrived"],
            e["expected"],
            e["duplicates"],
            fmt_num(pending)
        ),
    );
    ctx.row(
        "e2e",
        "events not answered 200",
        Some(not_acked),
        "",
        Some(Target::AtMost(0.0)),
        format!("ack p99 {} ms", r["ack_ms"]["p99"]),
    );
    ctx.detail(
        "e2e",
        json!({"load": r, "gateway_deliveries_total": metric(&metrics, "hookgate_deliveries_total", "")}),
    );
    Ok(())
}

fn section_soak(ctx: &mut Ctx) -> Res<()> {
    let (secs, window) = (ctx.plan.soak_secs, ctx.plan.soak_window_secs);
    let windows = soak::measure(ctx, secs, window)?;
    let (Some(first), Some(last)) = (windows.first(), windows.last()) else {
        return Err("no window was read".into());
    };
    let note = format!("wrk {secs} s, 64 connections, 1 receiver; read every {window} s");
    ctx.row(
        "soak",
        "accepted per second, first window",
        Some(first.accepted_per_s),
        "req/s",
        None,
        note,
    );
    ctx.row(
        "soak",
        "accepted per second, last window / first",
        Some(last.accepted_per_s / first.accepted_per_s.max(1e-9)),
        "x",
        Some(Target::AtLeast(0.9)),
        format!("last window {:.0} req/s", last.accepted_per_s),
    );
    let most = windows.iter().map(|w| w.pending).fold(0.0, f64::max);
    ctx.row(
        "soak",
        "deliveries pending at the last window's end",
        Some(last.pending),
        "",
        None,
        format!(
            "most at a window's end: {most:.0}; delivered {:.0}/s in the last window",
            last.delivered_per_s
        ),
    );
    ctx.detail("soak", soak::detail(&windows));
    Ok(())
}

/// Events sent through the callgrind-instrumented gateway.
const COST_EVENTS: u64 = 2000;

fn section_cost(ctx: &mut Ctx) -> Res<()> {
    let c = cost::measure(ctx, COST_EVENTS)?;
    ctx.row(
        "cost",
        "instructions per delivered event (callgrind, 1 receiver)",
        Some(c.instructions / c.events as f64),
        "instr",
        None,
        format!(
            "{} events on 16 connections; user-space instructions of all threads",
            c.events
        ),
    );
    ctx.detail(
        "cost",
        json!({"events": c.events, "instructions": c.instructions}),
    );
    Ok(())
}

fn section_scale(ctx: &mut Ctx, one_listener_rps: Option<f64>) -> Res<()> {
    let n = ctx.plan.scale_listeners;
    let dir = ctx.work.join("scale");
    let _ = std::fs::remove_dir_all(&dir);
    // The config's receiver URL only has to be well formed here; each run below starts its own
    // receiver and rewrites the file's first receiver to it.
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let config = ctx.config(&dir, n, &addrs, &[])?;
    let size_mb = std::fs::metadata(&config).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;

    // `hookgate check`, the median of a few runs.
    let mut times = Vec::new();
    let mut summary = String::new();
    for _ in 0..ctx.plan.scale_starts {
        let t = Instant::now();
        let out = Command::new(&ctx.hookgate)
            .arg("check")
            .arg("--config")
            .arg(&config)
            .output()
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64());
        if !out.status.success() {
            return Err(format!(
                "hookgate check failed on the generated config: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        summary = String::from_utf8_lossy(&out.stdout).trim().to_string();
    }
    times.sort_by(f64::total_cmp);
    let check = times[times.len() / 2];
    ctx.row(
        "scale",
        format!(
            "`hookgate check`, {} listeners ({size_mb:.0} MB)",
            fmt_num(n as f64)
        ),
        Some(check),
        "s",
        None,
        format!("median of {}", times.len()),
    );
    ctx.detail("scale_check", json!({"seconds": times, "summary": summary}));

    // Start-up: spawn to `listening`, each on a fresh store; the last start also takes load.
    let mut starts = Vec::new();
    for _ in 1..ctx.plan.scale_starts {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("hookgate.db{ext}")));
        }
        let mut gw = ctx.gateway(&config)?;
        starts.push(gw.startup.as_secs_f64());
        gw.proc.stop(Duration::from_secs(30));
    }
    recv.stop(Duration::from_secs(5));
    // The loaded run needs a live receiver at the config's address: restart one there.
    let (mut recv, _) = ctx.receiver(&[addrs[0].as_str()])?;
    let big = ctx.ingest("scale-run", n, Some(config.clone()), true)?;
    recv.stop(Duration::from_secs(5));
    starts.push(big.startup.as_secs_f64());
    starts.sort_by(f64::total_cmp);
    let startup = starts[starts.len() / 2];
    ctx.row(
        "scale",
        "start-up (spawn -> `listening`)",
        Some(startup),
        "s",
        Some(Target::AtMost(3.0)),
        format!("median of {}, fresh store", starts.len()),
    );
    ctx.row(
        "scale",
        "RSS after start-up",
        Some(big.rss_started),
        "MB",
        Some(Target::AtMost(300.0)),
        "",
    );
    ctx.row(
        "scale",
        "  peak RSS while starting (parsing the file)",
        Some(big.rss_startup_peak),
        "MB",
        None,
        "VmHWM at `listening`; freed before it",
    );
    ctx.row(
        "scale",
        "peak RSS under ingest load",
        Some(big.rss_peak),
        "MB",
        Some(Target::AtMost(300.0)),
        "VmHWM from `listening` on",
    );
    // The machine drifts: measure 1 listener again now and compare with the mean of both.
    let again = ctx.ingest("ingest-1-again", 1, None, true)?;
    let reference = match one_listener_rps {
        Some(first) => (first + again.rps) / 2.0,
        None => again.rps,
    };
    ctx.row(
        "scale",
        format!("ingest, {} listeners", fmt_num(n as f64)),
        Some(big.rps),
        "req/s",
        None,
        format!(
            "1 listener: {} req/s (mean of runs before and after)",
            fmt_num(reference)
        ),
    );
    ctx.row(
        "scale",
        format!("ingest {} listeners / 1 listener", fmt_num(n as f64)),
        Some(big.rps / reference),
        "x",
        Some(Target::AtLeast(0.9)),
        "",
    );
    ctx.detail(
        "scale",
        json!({"listeners": n, "config_mb": size_mb, "startups_s": starts,
               "rps": big.rps, "reference_rps": reference}),
    );
    Ok(())
}

fn section_backlog(ctx: &mut Ctx) -> Res<()> {
    let n = ctx.plan.backlog;
    let dir = ctx.work.join("backlog");
    let _ = std::fs::remove_dir_all(&dir);
    // The receiver's address is fixed before anything runs: a free port, nobody listening yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let recv_addr = format!("127.0.0.1:{port}");
    let config = ctx.config(&dir, 1, std::slice::from_ref(&recv_addr), &[])?;
    let t = Instant::now();
    let mut seed = ctx.example("bench_seed");
    seed.arg("--db").arg(dir.join("hookgate.db")).args([
        "--events",
        &n.to_string(),
        "--listener-id",
        "00000000-0000-4000-8000-000000000000",
        "--receiver",
        &format!("http://{recv_addr}/hook"),
    ]);
    let mut p = Proc::spawn("bench_seed", &mut seed, false, |_| true)?;
    let (_, line) = p.wait_line("RESULT ", Duration::from_secs(3600))?;
    let seeded: Value =
        serde_json::from_str(&line["RESULT ".len()..]).map_err(|e| e.to_string())?;
    drop(p);
    let db_mb = std::fs::metadata(dir.join("hookgate.db"))
        .map(|m| m.len())
        .unwrap_or(0) as f64
        / 1e6;
    ctx.row(
        "backlog",
        format!(
            "seed {} pending deliveries (Store::ingest)",
            fmt_num(n as f64)
        ),
        seeded["per_second"].as_f64(),
        "/s",
        None,
        format!("{:.0} s, database {db_mb:.0} MB", t.elapsed().as_secs_f64()),
    );

    // Receiver down: the gateway starts on a copy of the backlog and every attempt is refused.
    // A copy, because each refused attempt is rescheduled by the retry schedule: the drain below
    // must start from untouched rows, or it would measure the schedule, not the throughput.
    let down = dir.join("down");
    std::fs::create_dir_all(&down).map_err(|e| e.to_string())?;
    for ext in ["", "-wal", "-shm"] {
        let from = dir.join(format!("hookgate.db{ext}"));
        if from.exists() {
            std::fs::copy(&from, down.join(format!("hookgate.db{ext}")))
                .map_err(|e| format!("copying the backlog: {e}"))?;
        }
    }
    let down_config = ctx.config(&down, 1, std::slice::from_ref(&recv_addr), &[])?;
    let mut gw = ctx.gateway(&down_config)?;
    let startup = gw.startup.as_secs_f64();
    let mut peak = 0f64;
    let until = Instant::now() + Duration::from_secs_f64(ctx.plan.backlog_down_secs);
    while Instant::now() < until {
        peak = peak.max(rss_mb(gw.proc.pid()).unwrap_or(0.0));
        std::thread::sleep(Duration::from_millis(250));
    }
    peak = peak.max(proc_mem_mb(gw.proc.pid(), "VmHWM:").unwrap_or(0.0));
    let metrics = http_get(&gw.admin, "/metrics").unwrap_or_default();
    let pending = metric(&metrics, "hookgate_pending_deliveries", "");
    let refused = metric(&metrics, "hookgate_deliveries_total", "");
    gw.proc.stop(Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(&down);
    ctx.row(
        "backlog",
        "start-up with the backlog",
        Some(startup),
        "s",
        None,
        "",
    );
    ctx.row(
        "backlog",
        format!("peak RSS, {} pending, receiver down", fmt_num(n as f64)),
        Some(peak),
        "MB",
        Some(Target::AtMost(300.0)),
        format!(
            "{} s; {} attempts refused meanwhile",
            ctx.plan.backlog_down_secs,
            fmt_num(refused)
        ),
    );

    // Receiver up: drain, counted by the receiver itself.
    let (mut recv, _) = ctx.receiver(&[recv_addr.as_str()])?;
    let mut gw = ctx.gateway(&config)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(ctx.plan.drain_timeout_secs);
    let mut peak = 0f64;
    let mut timeline = Vec::new();
    let mut last = json!({});
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        peak = peak.max(rss_mb(gw.proc.pid()).unwrap_or(0.0));
        if let Ok(s) = http_get(&recv_addr, "/stats") {
            if let Ok(v) = serde_json::from_str::<Value>(&s) {
                timeline.push(json!([started.elapsed().as_secs_f64(), v["unique"]]));
                last = v;
                if last["unique"].as_u64().unwrap_or(0) >= n {
                    break;
                }
            }
        }
    }
    peak = peak.max(proc_mem_mb(gw.proc.pid(), "VmHWM:").unwrap_or(0.0));
    gw.proc.stop(Duration::from_secs(30));
    recv.stop(Duration::from_secs(5));
    let got = last["unique"].as_f64().unwrap_or(0.0);
    let span_s = (last["last_ms"].as_f64().unwrap_or(0.0)
        - last["first_ms"].as_f64().unwrap_or(0.0))
        / 1000.0;
    let finished = got as u64 >= n && span_s > 0.0;
    let (rate, over) = if finished {
        (
            got / span_s,
            format!("in {span_s:.1} s, first to last arrival"),
        )
    } else {
        // Not finished in time: the rate so far, over the whole wait.
        let waited = started.elapsed().as_secs_f64();
        (
            got / waited,
            format!("in the {waited:.0} s allowed (unfinished)"),
        )
    };
    ctx.row(
        "backlog",
        "drain rate to a fast receiver",
        Some(rate),
        "deliveries/s",
        Some(Target::AtLeast(5000.0)),
        format!(
            "{} of {} {over}, {} duplicates",
            fmt_num(got),
            fmt_num(n as f64),
            last["deliveries"].as_f64().unwrap_or(0.0) - got
        ),
    );
    ctx.row(
        "backlog",
        "peak RSS while draining",
        Some(peak),
        "MB",
        Some(Target::AtMost(300.0)),
        "",
    );
    ctx.detail(
        "backlog",
        json!({"seed": seeded, "db_mb": db_mb, "startup_s": startup, "pending_at_start": pending,
               "receiver": last, "timeline": timeline}),
    );
    Ok(())
}

/// Pending deliveries per run of the order section.
fn order_backlog(quick: bool) -> u64 {
    if quick {
        2_000
    } else {
        50_000
    }
}

/// One receiver ordered by a key with 1,000 values against the same receiver unordered: the
/// same backlog is seeded through `Store::ingest` (with and without order keys) and drained
/// to a fast receiver; rates are counted by the receiver, first to last arrival.
fn section_order(ctx: &mut Ctx) -> Res<()> {
    let n = order_backlog(ctx.quick);
    let keys = 1_000u64;
    let unordered = order_drain(ctx, "unordered", n, None)?;
    let ordered = order_drain(ctx, "ordered", n, Some(keys))?;
    let note = |r: &Value| {
        format!(
            "{} of {} in {:.1} s",
            fmt_num(r["got"].as_f64().unwrap_or(0.0)),
            fmt_num(n as f64),
            r["span_s"].as_f64().unwrap_or(0.0)
        )
    };
    let (u, o) = (unordered["rate"].as_f64(), ordered["rate"].as_f64());
    ctx.row(
        "order",
        "drain, one unordered receiver",
        u,
        "deliveries/s",
        None,
        note(&unordered),
    );
    ctx.row(
        "order",
        format!(
            "drain, one receiver ordered by {} keys",
            fmt_num(keys as f64)
        ),
        o,
        "deliveries/s",
        None,
        note(&ordered),
    );
    let ratio = match (o, u) {
        (Some(o), Some(u)) if u > 0.0 => Some(o / u),
        _ => None,
    };
    ctx.row(
        "order",
        "ordered / unordered",
        ratio,
        "x",
        None,
        "same run, same backlog",
    );
    ctx.detail(
        "order",
        json!({"backlog": n, "keys": keys, "unordered": unordered, "ordered": ordered}),
    );
    Ok(())
}

/// Seeds `n` deliveries (with `keys` order keys, if any), then drains them to a fast receiver.
fn order_drain(ctx: &Ctx, name: &str, n: u64, keys: Option<u64>) -> Res<Value> {
    let dir = ctx.work.join("order").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let recv_addr = addrs
        .first()
        .cloned()
        .ok_or("the receiver gave no address")?;
    let order_by = ["--order-by", "body:/seq"];
    let extra: &[&str] = if keys.is_some() { &order_by } else { &[] };
    let config = ctx.config(&dir, 1, std::slice::from_ref(&recv_addr), extra)?;
    let mut seed = ctx.example("bench_seed");
    seed.arg("--db").arg(dir.join("hookgate.db")).args([
        "--events",
        &n.to_string(),
        "--listener-id",
        "00000000-0000-4000-8000-000000000000",
        "--receiver",
        &format!("http://{recv_addr}/hook"),
        "--order-keys",
        &keys.unwrap_or(0).to_string(),
    ]);
    let mut p = Proc::spawn("bench_seed", &mut seed, false, |_| true)?;
    p.wait_line("RESULT ", Duration::from_secs(600))?;
    drop(p);
    let mut gw = ctx.gateway(&config)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(300);
    let mut last = json!({});
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        if let Ok(v) = http_get(&recv_addr, "/stats")
            .and_then(|s| serde_json::from_str::<Value>(&s).map_err(|e| e.to_string()))
        {
            last = v;
            if last["unique"].as_u64().unwrap_or(0) >= n {
                break;
            }
        }
    }
    gw.proc.stop(Duration::from_secs(30));
    recv.stop(Duration::from_secs(5));
    let got = last["unique"].as_f64().unwrap_or(0.0);
    let span_s = (last["last_ms"].as_f64().unwrap_or(0.0)
        - last["first_ms"].as_f64().unwrap_or(0.0))
        / 1000.0;
    if (got as u64) < n || span_s <= 0.0 {
        return Err(format!("{name}: {got} of {n} arrived in 300 s"));
    }
    Ok(json!({"rate": got / span_s, "got": got, "span_s": span_s, "receiver": last}))
}

/// Opens `n` keep-alive connections to `addr` (one GET of `path` on each) and returns the
/// server's RSS growth per 1,000 of them in MB, with what the client saw.
fn idle_cost(ctx: &Ctx, pid: u32, addr: &str, path: &str, n: usize) -> Res<(f64, f64, f64, Value)> {
    let idle = |count: usize, hold: f64| -> Res<(Proc, usize)> {
        let mut cmd = ctx.example("bench_idle");
        cmd.args([
            "--addr",
            addr,
            "--path",
            path,
            "--connections",
            &count.to_string(),
            "--hold",
            &hold.to_string(),
        ]);
        let mut p = Proc::spawn("bench_idle", &mut cmd, false, |_| true)?;
        let (_, line) = p.wait_line("open ", Duration::from_secs(120))?;
        let opened = line["open ".len()..].trim().parse().unwrap_or(0);
        Ok((p, opened))
    };
    // Warm up first, so what a first connection brings (thread caches, buffers) is in "before".
    let (mut warm, _) = idle(n.min(100), 0.0)?;
    let _ = warm.wait_line("RESULT ", Duration::from_secs(30))?;
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_mb(pid).unwrap_or(0.0);
    // Measured at once: the gateway closes connections idle for header_timeout (10 s).
    let (mut p, opened) = idle(n, 2.0)?;
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_mb(pid).unwrap_or(0.0);
    let (_, line) = p.wait_line("RESULT ", Duration::from_secs(60))?;
    let r: Value = serde_json::from_str(&line["RESULT ".len()..]).map_err(|e| e.to_string())?;
    let per_1000 = if opened > 0 {
        (after - before) / opened as f64 * 1000.0
    } else {
        f64::NAN
    };
    Ok((per_1000, before, after, r))
}

fn section_idle(ctx: &mut Ctx) -> Res<()> {
    let dir = ctx.work.join("idle");
    let _ = std::fs::remove_dir_all(&dir);
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let config = ctx.config(&dir, 1, &addrs, &[])?;
    let mut gw = ctx.gateway(&config)?;
    let n = ctx.plan.idle_connections;
    let (per_1000, before, after, r) = idle_cost(ctx, gw.proc.pid(), &gw.public, "/healthz", n)?;
    gw.proc.stop(Duration::from_secs(30));
    recv.stop(Duration::from_secs(5));
    ctx.row(
        "idle",
        format!(
            "RSS per 1,000 idle keep-alive connections ({} open)",
            fmt_num(r["opened"].as_f64().unwrap_or(0.0))
        ),
        Some(per_1000),
        "MB",
        Some(Target::AtMost(10.0)),
        format!(
            "{before:.1} -> {after:.1} MB; {} of them still open 2.5 s later",
            r["still_open"]
        ),
    );
    // The same test against bare hyper 1 (HTTP/1.1 only): the floor of the HTTP stack itself.
    let mut base = Proc::spawn(
        "bench_baseline",
        ctx.example("bench_baseline")
            .args(["--listen", "127.0.0.1:0"]),
        false,
        |_| true,
    )?;
    let (_, line) = base.wait_line("listening on", Duration::from_secs(20))?;
    let addr = line["listening on ".len()..].to_string();
    let (bare, b0, b1, br) = idle_cost(ctx, base.pid(), &addr, "/", n)?;
    base.stop(Duration::from_secs(5));
    ctx.row(
        "idle",
        "  bare hyper 1, same test (the HTTP stack's own floor)",
        Some(bare),
        "MB",
        None,
        format!("{b0:.1} -> {b1:.1} MB"),
    );
    ctx.detail(
        "idle",
        json!({"rss_before_mb": before, "rss_after_mb": after, "client": r,
               "bare_hyper": {"per_1000_mb": bare, "rss_before_mb": b0, "rss_after_mb": b1, "client": br}}),
    );
    Ok(())
}

/// Clock ticks per second of /proc's CPU times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds so far: the whole machine's busy time, and ours (this driver plus every child
/// it has reaped, grandchildren included). Their difference over a section is what other
/// processes took from the run: the noise of a shared machine, stated instead of guessed.
fn cpu_seconds(ticks: f64) -> (f64, f64) {
    let machine = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let first = s.lines().next()?.to_string();
            let v: Vec<f64> = first
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal
            Some(
                [0, 1, 2, 5, 6, 7]
                    .iter()
                    .filter_map(|i| v.get(*i))
                    .sum::<f64>(),
            )
        })
        .unwrap_or(0.0);
    let ours = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_string();
            let v: Vec<f64> = rest
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            // After the name: state is not a number, so utime..cstime are at 10..=13 here.
            Some(v.get(10..14)?.iter().sum::<f64>())
        })
        .unwrap_or(0.0);
    (machine / ticks, ours / ticks)
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mem_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 / 1024.0).round())
        .unwrap_or(0.0);
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memory_gb": mem_gb,
        "kernel": kernel,
        "commit": commit,
    })
}

fn print_table(ctx: &Ctx, date: &str, machine: &Value) {
    println!();
    println!(
        "hookgate benchmark, {date}, {} cores, {}{}",
        machine["nproc"],
        machine["cpu"].as_str().unwrap_or(""),
        if ctx.quick {
            " (quick: small and short, timings not meaningful)"
        } else {
            ""
        }
    );
    println!();
    // A Markdown table, padded to its widest cell so it also reads well in a terminal.
    let mut cells: Vec<[String; 7]> = vec![[
        "section".into(),
        "measure".into(),
        "value".into(),
        "unit".into(),
        "target".into(),
        "met".into(),
        "note".into(),
    ]];
    for r in &ctx.rows {
        let met = match (r.target, r.value) {
            (Some(t), Some(v)) if t.met(v) => "yes",
            (Some(_), _) => "**no**",
            (None, _) => "",
        };
        cells.push([
            r.section.to_string(),
            r.what.clone(),
            r.value.map(fmt_num).unwrap_or_else(|| "-".into()),
            r.unit.to_string(),
            r.target.map(|t| t.text(r.unit)).unwrap_or_default(),
            met.to_string(),
            r.note.clone(),
        ]);
    }
    let mut width = [0usize; 7];
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String; 7]| {
        let mut out = String::from("|");
        for (i, (c, w)) in row.iter().zip(width).enumerate() {
            // Figures right-aligned, words left-aligned.
            if i == 2 {
                out.push_str(&format!(" {c:>w$} |"));
            } else {
                out.push_str(&format!(" {c:<w$} |"));
            }
        }
        out
    };
    println!("{}", line(&cells[0]));
    let rule: Vec<String> = width
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 2 {
                format!("{}:", "-".repeat(w + 1))
            } else {
                "-".repeat(w + 2)
            }
        })
        .collect();
    println!("|{}|", rule.join("|"));
    for row in &cells[1..] {
        println!("{}", line(row));
    }
    println!();
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

fn run(args: Args) -> Res<()> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let examples = exe.parent().ok_or("no examples dir")?.to_path_buf();
    let release = examples.parent().ok_or("no target dir")?.to_path_buf();
    let hookgate = release.join("hookgate");
    if !hookgate.exists() {
        return Err(format!(
            "{} is missing: build with `cargo build --release --bins --examples` (bench/run.sh does)",
            hookgate.display()
        ));
    }
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let lua = root.join("bench/post.lua");
    if !lua.exists() {
        return Err("run from the repository root (bench/post.lua not found)".into());
    }
    let work = std::env::temp_dir().join(format!("hookgate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let out = args.out.clone().unwrap_or_else(|| {
        root.join(if args.quick {
            "bench/results-quick.json"
        } else {
            "bench/results.json"
        })
    });
    let only: Option<Vec<String>> = args
        .only
        .as_ref()
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    let wanted = |s: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == s));
    let mut ctx = Ctx {
        plan: Plan::new(&args),
        quick: args.quick,
        hookgate,
        examples,
        lua,
        work: work.clone(),
        rows: Vec::new(),
        details: serde_json::Map::new(),
        postgres: args.postgres.clone(),
        store_url: None,
        nginx_rps: None,
    };
    let date = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let machine = machine();
    let started = Instant::now();
    let mut failures = Vec::new();

    let ticks = clock_ticks();
    let mut noise = serde_json::Map::new();
    let mut mark = (Instant::now(), cpu_seconds(ticks));
    let mut measure_noise = |name: &str| {
        let (then, (m0, o0)) = mark;
        let (m1, o1) = cpu_seconds(ticks);
        let wall = then.elapsed().as_secs_f64().max(1e-3);
        let others = ((m1 - m0) - (o1 - o0)).max(0.0) / wall;
        noise.insert(name.to_string(), json!((others * 100.0).round() / 100.0));
        mark = (Instant::now(), (m1, o1));
    };
    // Each section stands alone: one that fails is reported and the rest still run.
    let mut baseline = None;
    if wanted("baseline") || wanted("ingest") {
        match section_baseline(&mut ctx) {
            Ok(b) => baseline = Some(b),
            Err(e) => failures.push(format!("baseline: {e}")),
        }
        measure_noise("baseline");
    }
    let mut one = None;
    if wanted("ingest") {
        match section_ingest(&mut ctx, baseline) {
            Ok(r) => one = Some(r),
            Err(e) => failures.push(format!("ingest: {e}")),
        }
        measure_noise("ingest");
    }
    if wanted("e2e") {
        if let Err(e) = section_e2e(&mut ctx) {
            failures.push(format!("e2e: {e}"));
        }
        measure_noise("e2e");
    }
    if wanted("scale") {
        if let Err(e) = section_scale(&mut ctx, one) {
            failures.push(format!("scale: {e}"));
        }
        measure_noise("scale");
    }
    if wanted("backlog") {
        if let Err(e) = section_backlog(&mut ctx) {
            failures.push(format!("backlog: {e}"));
        }
        measure_noise("backlog");
    }
    if wanted("order") {
        if let Err(e) = section_order(&mut ctx) {
            failures.push(format!("order: {e}"));
        }
        measure_noise("order");
    }
    if wanted("soak") {
        if let Err(e) = section_soak(&mut ctx) {
            failures.push(format!("soak: {e}"));
        }
        measure_noise("soak");
    }
    // Slow (tens of seconds under valgrind): only when asked for or in a full run.
    if (only.is_some() || !ctx.quick) && wanted("cost") {
        if let Err(e) = section_cost(&mut ctx) {
            failures.push(format!("cost: {e}"));
        }
        measure_noise("cost");
    }
    if wanted("cluster") {
        match ctx.postgres.clone() {
            Some(server) => {
                if let Err(e) = cluster::section(&mut ctx, &server) {
                    failures.push(format!("cluster: {e}"));
                }
                measure_noise("cluster");
            }
            None if only.is_some() => failures.push("cluster: needs --postgres URL".into()),
            None => {}
        }
    }
    if wanted("idle") {
        if let Err(e) = section_idle(&mut ctx) {
            failures.push(format!("idle: {e}"));
        }
        measure_noise("idle");
    }

    let worst = noise.values().filter_map(Value::as_f64).fold(0.0, f64::max);
    let per: Vec<String> = noise.iter().map(|(k, v)| format!("{k} {v}")).collect();
    ctx.row(
        "machine",
        "CPU taken by other processes (worst section)",
        Some(worst),
        "cores",
        None,
        per.join(", "),
    );
    ctx.detail("noise_cores", Value::Object(noise));
    print_table(&ctx, &date, &machine);
    let rows: Vec<Value> = ctx
        .rows
        .iter()
        .map(|r| {
            json!({
                "section": r.section,
                "measure": r.what,
                "value": r.value,
                "unit": r.unit,
                "target": r.target.map(|t| t.text(r.unit)),
                "met": match (r.target, r.value) {
                    (Some(t), Some(v)) => Some(t.met(v)),
                    (Some(_), None) => Some(false),
                    _ => None,
                },
                "note": r.note,
            })
        })
        .collect();
    let report = json!({
        "date": date,
        "mode": if ctx.quick { "quick" } else { "full" },
        "machine": machine,
        "seconds": started.elapsed().as_secs_f64().round(),
        "rows": rows,
        "failures": failures,
        "details": ctx.details,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&out, text + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
    println!("written: {}", out.display());
    if args.keep {
        println!("working directory kept: {}", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} section(s) could not run:\n{}",
            failures.len(),
            failures.join("\n")
        ))
    }
}
