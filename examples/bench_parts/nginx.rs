//! nginx (Debian's package) as a reverse proxy to the same receiver: `proxy_pass` with keep-alive
//! upstream connections, no logging, no disk. What a mature relay costs on this machine, so the
//! gateway's throughput is also stated as a ratio to it.

use super::{Ctx, Proc, Res};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A loopback port nobody listens on right now.
fn free_port() -> Res<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The configuration: as many workers as cores, the body kept in memory, 64 idle upstream
/// connections kept open (the receiver speaks HTTP/1.1 keep-alive, as hookgate's client does).
fn config(dir: &Path, port: u16, receiver: &str) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process on;\nworker_processes auto;\npid {d}/nginx.pid;\n\
         error_log stderr warn;\nevents {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_buffer_size 64k;\n\
           client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream receiver {{ server {receiver}; keepalive 64; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n    location / {{\n\
               proxy_pass http://receiver/hook;\n      proxy_http_version 1.1;\n\
               proxy_set_header Connection \"\";\n      proxy_buffering off;\n    }}\n  }}\n}}\n"
    )
}

/// Starts nginx in front of `receiver` (host:port); returns it and its base URL.
pub(super) fn start(ctx: &Ctx, receiver: &str) -> Res<(Proc, String)> {
    let dir = ctx.work.join("nginx");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = free_port()?;
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, config(&dir, port, receiver)).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(nginx_binary());
    cmd.arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(&conf)
        .args(["-e", "stderr"]);
    let mut p = Proc::spawn("nginx", &mut cmd, true, |_| true)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = format!("127.0.0.1:{port}");
    while TcpStream::connect(&addr).is_err() {
        if Instant::now() > deadline {
            p.stop(Duration::from_secs(5));
            return Err(format!(
                "nginx did not listen on {addr}: {}",
                p.last_lines()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((p, format!("http://{addr}/")))
}

fn nginx_binary() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}
