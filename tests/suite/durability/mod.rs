//! Nothing acknowledged is lost: SIGKILL and graceful stops, a full disk, and the SQLite
//! write-ahead log under sustained load.

mod full_disk;
mod restart;
mod wal;
