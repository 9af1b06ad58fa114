//! LISTEN/NOTIFY between instances. Each instance listens on a connection of its own (not
//! from the pool: a pooled connection is shared, and notifications arrive only on the one that
//! listens), reconnecting when it is lost. A change to the API listeners and deliveries left
//! for anyone to take are announced; an instance ignores what it announced itself.

use super::connect;
use super::liveness::Guard;
use super::PgStore;
use crate::store::ClusterNotice;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_postgres::config::SslMode;
use tokio_postgres::{AsyncMessage, Client, Config, Connection};
use tokio_util::sync::CancellationToken;

/// An API listener was created, changed or deleted.
pub const LISTENERS_CHANNEL: &str = "hookgate_listeners";
/// Deliveries are due that any instance may take.
pub const DUE_CHANNEL: &str = "hookgate_due";

/// How long to wait before connecting again after the listening connection was lost.
const RECONNECT: Duration = Duration::from_secs(1);

impl PgStore {
    /// Tells the other instances, through `channel`; a failure is logged, not returned: what
    /// was written is committed either way, and the others catch up when they next reconnect.
    pub(super) async fn notify(&self, channel: &str) {
        let me = self.inner.lease.by.to_string();
        let sent = match self.conn().await {
            Ok(client) => client
                .execute("SELECT pg_notify($1, $2)", &[&channel, &me])
                .await
                .map(|_| ())
                .map_err(super::error::pg_error),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::warn!(channel, error = %e, "cannot notify the other instances");
        }
    }
}

/// Listens until the guard is dropped, passing what other instances announce to `notices`.
/// The receiver answers once the first session listens: a change made after that is heard.
pub fn start(
    config: Config,
    me: i64,
    notices: broadcast::Sender<ClusterNotice>,
) -> (Guard, oneshot::Receiver<()>) {
    let stop = CancellationToken::new();
    let token = stop.clone();
    let (ready_tx, ready) = oneshot::channel();
    tokio::spawn(async move {
        let mut first = true;
        let mut ready = Some(ready_tx);
        loop {
            let ended = tokio::select! {
                _ = token.cancelled() => return,
                ended = listen(&config, me, &notices, first, &mut ready) => ended,
            };
            if let Err(e) = ended {
                tracing::warn!(error = %e, "the listening connection to PostgreSQL is lost; connecting again");
            }
            first = false;
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(RECONNECT) => {}
            }
        }
    });
    (Guard(stop), ready)
}

/// One listening session: returns when its connection ends.
async fn listen(
    config: &Config,
    me: i64,
    notices: &broadcast::Sender<ClusterNotice>,
    first: bool,
    ready: &mut Option<oneshot::Sender<()>>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut messages) = connect_listening(config).await?;
    client
        .batch_execute(&format!("LISTEN {LISTENERS_CHANNEL}; LISTEN {DUE_CHANNEL}"))
        .await?;
    if let Some(ready) = ready.take() {
        let _ = ready.send(());
    }
    if !first {
        // Changes made while nobody listened went unheard.
        let _ = notices.send(ClusterNotice::ListenersChanged);
        let _ = notices.send(ClusterNotice::DeliveriesDue);
    }
    let me = me.to_string();
    while let Some(message) = messages.recv().await {
        let AsyncMessage::Notification(n) = message else {
            continue;
        };
        if n.payload() == me {
            continue;
        }
        let notice = match n.channel() {
            LISTENERS_CHANNEL => ClusterNotice::ListenersChanged,
            DUE_CHANNEL => ClusterNotice::DeliveriesDue,
            _ => continue,
        };
        // Nobody subscribed yet (still starting) is not an error.
        let _ = notices.send(notice);
    }
    drop(client);
    Ok(())
}

/// A connection whose asynchronous messages (notifications) come out of the receiver; the
/// receiver ends when the connection does.
async fn connect_listening(
    config: &Config,
) -> Result<(Client, mpsc::UnboundedReceiver<AsyncMessage>), tokio_postgres::Error> {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = if config.get_ssl_mode() == SslMode::Require {
        let (client, connection) = config.connect(connect::tls()).await?;
        drive(connection, tx);
        client
    } else {
        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
        drive(connection, tx);
        client
    };
    Ok((client, rx))
}

/// Drives a connection in a task of its own, forwarding its messages.
fn drive<S, T>(mut connection: Connection<S, T>, tx: mpsc::UnboundedSender<AsyncMessage>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if tx.send(message).is_err() {
                return;
            }
        }
    });
}
