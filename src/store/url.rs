//! Store URLs: which backend, and where. The one place a new backend's scheme is recognised.

use std::path::PathBuf;

/// A parsed store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite://PATH`, `sqlite:PATH`, or a bare file path.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, kept whole for the driver (it reads host, user,
    /// database and options such as `sslmode` from it).
    Postgres(String),
}

/// Why a store URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreUrlError {
    #[error("the store URL is empty; expected one like sqlite://data/hookgate.db")]
    Empty,
    #[error("`{url}`: `{scheme}` stores are not supported; expected a URL like sqlite://data/hookgate.db or postgres://user@host/db")]
    UnsupportedScheme { scheme: String, url: String },
    /// The driver refused a `postgres://` URL; the URL itself is not repeated (it may hold a
    /// password).
    #[error("not a valid PostgreSQL URL: {0}")]
    Postgres(String),
}

impl StoreUrl {
    /// Reads a store URL. A string without a scheme is a SQLite file path, as in the config.
    pub fn parse(url: &str) -> Result<StoreUrl, StoreUrlError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return url
                .parse::<tokio_postgres::Config>()
                .map(|_| StoreUrl::Postgres(url.to_string()))
                .map_err(|e| StoreUrlError::Postgres(e.to_string()));
        }
        let sqlite = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"));
        let path = match sqlite {
            Some(rest) => rest,
            None => match url.split_once("://") {
                Some((scheme, _)) => {
                    return Err(StoreUrlError::UnsupportedScheme {
                        scheme: scheme.to_string(),
                        url: url.to_string(),
                    })
                }
                None => url,
            },
        };
        if path.is_empty() {
            return Err(StoreUrlError::Empty);
        }
        if let Some((scheme, _)) = path.split_once("://") {
            // `sqlite://postgres://…`: a path cannot hold another URL.
            return Err(StoreUrlError::UnsupportedScheme {
                scheme: scheme.to_string(),
                url: url.to_string(),
            });
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_and_bare_paths_name_a_file() {
        for url in ["sqlite://data/h.db", "sqlite:data/h.db", "data/h.db"] {
            assert_eq!(
                StoreUrl::parse(url),
                Ok(StoreUrl::Sqlite("data/h.db".into()))
            );
        }
        assert_eq!(
            StoreUrl::parse("sqlite:///var/h.db"),
            Ok(StoreUrl::Sqlite("/var/h.db".into()))
        );
    }

    #[test]
    fn postgres_urls_are_kept_whole() {
        for url in [
            "postgres://hookgate@127.0.0.1:5432/hookgate",
            "postgresql://u:pw@db/hookgate?sslmode=require",
        ] {
            assert_eq!(StoreUrl::parse(url), Ok(StoreUrl::Postgres(url.into())));
        }
        let err = StoreUrl::parse("postgres://db/h?sslmode=sometimes").unwrap_err();
        assert!(matches!(err, StoreUrlError::Postgres(_)), "{err}");
    }

    #[test]
    fn other_schemes_are_named_in_the_refusal() {
        let err = StoreUrl::parse("mysql://db/hookgate").unwrap_err();
        assert_eq!(
            err,
            StoreUrlError::UnsupportedScheme {
                scheme: "mysql".into(),
                url: "mysql://db/hookgate".into()
            }
        );
        assert!(err.to_string().contains("`mysql` stores are not supported"));
        assert_eq!(StoreUrl::parse("sqlite://"), Err(StoreUrlError::Empty));
        assert_eq!(StoreUrl::parse(""), Err(StoreUrlError::Empty));
    }
}
