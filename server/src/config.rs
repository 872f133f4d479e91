//! Configuration from the environment (12-factor). Every variable is listed in README.md and .env.example.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Default database when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/opsdeck";

/// Server settings. `Debug` redacts the admin password and the database URL's credentials.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    pub admin_password: Option<String>,
    pub log_level: String,
    pub redis_url: Option<String>,
    pub time_zone: chrono_tz::Tz,
    pub data_dir: PathBuf,
    pub site_root: String,
    pub session_idle_minutes: i64,
    pub secure_cookies: bool,
    /// The origin browsers use (`https://ops.example.com`) when a proxy rewrites `Host`.
    pub public_origin: Option<String>,
    /// Take the client address from the last `X-Forwarded-For` hop (behind a trusted proxy only).
    pub trust_proxy: bool,
}

/// A variable was set to something unusable.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "[REDACTED]"),
            )
            .field("log_level", &self.log_level)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("time_zone", &self.time_zone)
            .field("data_dir", &self.data_dir)
            .field("site_root", &self.site_root)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("secure_cookies", &self.secure_cookies)
            .field("public_origin", &self.public_origin)
            .field("trust_proxy", &self.trust_proxy)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:[REDACTED]@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:[REDACTED]{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `https://ops.example.com/some/path` → `https://ops.example.com`.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    matches!(scheme, "http" | "https").then(|| format!("{scheme}://{host}"))
}

impl Config {
    /// Reads the configuration from a lookup function (the process environment in `from_env`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let addr = non_empty("OPSDECK_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr = addr.parse().map_err(|e| ConfigError {
            name: "OPSDECK_ADDR",
            problem: format!("`{addr}` is not host:port ({e})"),
        })?;
        let tz_name = non_empty("OPSDECK_TIME_ZONE").unwrap_or_else(|| "Asia/Tokyo".into());
        let time_zone = tz_name.parse().map_err(|_| ConfigError {
            name: "OPSDECK_TIME_ZONE",
            problem: format!("`{tz_name}` is not an IANA time zone such as Asia/Tokyo"),
        })?;
        let idle = non_empty("OPSDECK_SESSION_IDLE_MINUTES").unwrap_or_else(|| "30".into());
        let session_idle_minutes = idle
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=7 * 24 * 60).contains(m))
            .ok_or(ConfigError {
                name: "OPSDECK_SESSION_IDLE_MINUTES",
                problem: format!("`{idle}` is not a number of minutes between 1 and 10080"),
            })?;
        Ok(Config {
            addr,
            database_url: non_empty("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            admin_password: non_empty("OPSDECK_ADMIN_PASSWORD"),
            log_level: non_empty("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            redis_url: non_empty("OPSDECK_REDIS_URL"),
            time_zone,
            data_dir: non_empty("OPSDECK_DATA_DIR")
                .unwrap_or_else(|| ".".into())
                .into(),
            site_root: non_empty("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            session_idle_minutes,
            secure_cookies: non_empty("OPSDECK_SECURE_COOKIES")
                .is_some_and(|v| v == "true" || v == "1"),
            public_origin: match non_empty("OPSDECK_PUBLIC_URL") {
                None => None,
                Some(url) => Some(origin_of(&url).ok_or(ConfigError {
                    name: "OPSDECK_PUBLIC_URL",
                    problem: format!(
                        "`{url}` is not an http(s) URL such as https://ops.example.com"
                    ),
                })?),
            },
            trust_proxy: non_empty("OPSDECK_TRUST_PROXY").is_some_and(|v| v == "true" || v == "1"),
        })
    }

    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_redaction() {
        let c = Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some("postgres://ops:hunter2@db/opsdeck".into()),
            "OPSDECK_ADMIN_PASSWORD" => Some("sekret-admin-pw".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.time_zone, chrono_tz::Asia::Tokyo);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("sekret-admin-pw"),
            "{shown}"
        );
    }

    #[test]
    fn public_url_becomes_an_origin() {
        let c = Config::from_lookup(|k| {
            (k == "OPSDECK_PUBLIC_URL").then(|| "https://ops.example.com/x".to_string())
        })
        .unwrap();
        assert_eq!(c.public_origin.as_deref(), Some("https://ops.example.com"));
        let e = Config::from_lookup(|k| {
            (k == "OPSDECK_PUBLIC_URL").then(|| "ops.example.com".to_string())
        })
        .unwrap_err();
        assert_eq!(e.name, "OPSDECK_PUBLIC_URL");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = Config::from_lookup(|k| (k == "OPSDECK_ADDR").then(|| "nowhere".to_string()))
            .unwrap_err();
        assert_eq!(e.name, "OPSDECK_ADDR");
        let e =
            Config::from_lookup(|k| (k == "OPSDECK_TIME_ZONE").then(|| "Mars/Base".to_string()))
                .unwrap_err();
        assert_eq!(e.name, "OPSDECK_TIME_ZONE");
    }
}
