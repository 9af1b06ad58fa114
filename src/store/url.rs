//! Store URLs: which backend, and where. The one place a new backend's scheme is recognised.

use std::path::PathBuf;

/// A parsed store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite://PATH`, `sqlite:PATH`, or a bare file path.
    Sqlite(PathBuf),
}

/// Why a store URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreUrlError {
    #[error("the store URL is empty; expected one like sqlite://data/hookgate.db")]
    Empty,
    #[error("`{url}`: `{scheme}` stores are not supported; expected a URL like sqlite://data/hookgate.db")]
    UnsupportedScheme { scheme: String, url: String },
}

impl StoreUrl {
    /// Reads a store URL. A string without a scheme is a SQLite file path, as in the config.
    pub fn parse(url: &str) -> Result<StoreUrl, StoreUrlError> {
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
    fn other_schemes_are_named_in_the_refusal() {
        let err = StoreUrl::parse("postgres://db/hookgate").unwrap_err();
        assert_eq!(
            err,
            StoreUrlError::UnsupportedScheme {
                scheme: "postgres".into(),
                url: "postgres://db/hookgate".into()
            }
        );
        assert!(err
            .to_string()
            .contains("`postgres` stores are not supported"));
        assert_eq!(StoreUrl::parse("sqlite://"), Err(StoreUrlError::Empty));
        assert_eq!(StoreUrl::parse(""), Err(StoreUrlError::Empty));
    }
}
