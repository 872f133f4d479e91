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
    /// How stale a session's last save may be before a request saves it
    /// again (decision 0021); `OPSDECK_SESSION_TOUCH_SECS`, default 60.
    pub session_touch_secs: i64,
    pub secure_cookies: bool,
    /// The origin browsers use (`https://ops.example.com`) when a proxy rewrites `Host`.
    pub public_origin: Option<String>,
    /// Take the client address from the last `X-Forwarded-For` hop (behind a trusted proxy only).
    pub trust_proxy: bool,
    /// Peers whose `X-Forwarded-For` is believed (only with `trust_proxy`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// User name of the first admin, created on the first start only.
    pub admin_user: String,
    /// Absolute session lifetime, on top of the idle expiry.
    pub session_max_hours: i64,
    /// Apply migrations at start (false when running as a non-owner database role).
    pub migrate_on_start: bool,
    /// cargo-leptos's list of asset hashes (`hash.txt` beside the binary unless
    /// `LEPTOS_HASH_FILE_NAME` names another); when present, assets have hashed names.
    pub hash_file: PathBuf,
    /// Longest a notification attempt (HTTP or SMTP) may take.
    pub notify_timeout: std::time::Duration,
    /// Longest a rendered page is reused (decision 0023); `OPSDECK_PAGE_CACHE_SECS`,
    /// default 1, 0 turns the page cache off.
    pub page_cache_max_age: std::time::Duration,
}

impl Config {
    /// The URL links in notifications point at: the public URL, else the listen address.
    pub fn public_url(&self) -> String {
        match &self.public_origin {
            Some(origin) => origin.clone(),
            None if self.addr.ip().is_unspecified() => {
                format!("http://localhost:{}", self.addr.port())
            }
            None => format!("http://{}", self.addr),
        }
    }
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
            .field("session_touch_secs", &self.session_touch_secs)
            .field("secure_cookies", &self.secure_cookies)
            .field("public_origin", &self.public_origin)
            .field("trust_proxy", &self.trust_proxy)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("admin_user", &self.admin_user)
            .field("session_max_hours", &self.session_max_hours)
            .field("migrate_on_start", &self.migrate_on_start)
            .field("hash_file", &self.hash_file)
            .field("notify_timeout", &self.notify_timeout)
            .field("page_cache_max_age", &self.page_cache_max_age)
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

/// `true`/`false`/`1`/`0` (any case); anything else is an error rather than a
/// silent `false` — `OPSDECK_SECURE_COOKIES=yes` must not mean insecure.
fn parse_bool(name: &'static str, value: Option<String>) -> Result<Option<bool>, ConfigError> {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if v == "true" || v == "1" => Ok(Some(true)),
        Some(v) if v == "false" || v == "0" => Ok(Some(false)),
        Some(v) => Err(ConfigError {
            name,
            problem: format!("`{v}` is neither true nor false"),
        }),
    }
}

/// Whether a comma-separated zone list (`OPSDECK_BROWSER_TIME_ZONES`) names `zone`.
fn browser_has_zone(zones: &str, zone: &str) -> bool {
    zones.split(',').any(|z| z.trim() == zone)
}

/// `10.0.0.0/8, 127.0.0.1` → networks; a bare address is a single host.
fn parse_cidrs(list: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError {
                    name: "OPSDECK_TRUSTED_PROXIES",
                    problem: format!("`{p}` is not an address or CIDR such as 10.0.0.0/8"),
                })
        })
        .collect()
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
        // The browser build carries only the zones it was built with (scripts/lib.sh).
        if let Some(zones) = option_env!("OPSDECK_BROWSER_TIME_ZONES") {
            if !browser_has_zone(zones, &tz_name) {
                return Err(ConfigError {
                    name: "OPSDECK_TIME_ZONE",
                    problem: format!(
                        "`{tz_name}` is not among this build's browser time zones ({zones}); \
                         build again with OPSDECK_TIME_ZONE={tz_name} set"
                    ),
                });
            }
        }
        let idle = non_empty("OPSDECK_SESSION_IDLE_MINUTES").unwrap_or_else(|| "30".into());
        let session_idle_minutes = idle
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=7 * 24 * 60).contains(m))
            .ok_or(ConfigError {
                name: "OPSDECK_SESSION_IDLE_MINUTES",
                problem: format!("`{idle}` is not a number of minutes between 1 and 10080"),
            })?;
        let touch = non_empty("OPSDECK_SESSION_TOUCH_SECS").unwrap_or_else(|| "60".into());
        let session_touch_secs = touch
            .parse::<i64>()
            .ok()
            .filter(|s| (0..=300).contains(s) && *s < session_idle_minutes * 60)
            .ok_or(ConfigError {
                name: "OPSDECK_SESSION_TOUCH_SECS",
                problem: format!(
                    "`{touch}` is not a number of seconds between 0 and 300, below the idle timeout"
                ),
            })?;
        let timeout = non_empty("OPSDECK_NOTIFY_TIMEOUT_SECS").unwrap_or_else(|| "10".into());
        let notify_timeout = timeout
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=120).contains(s))
            .map(std::time::Duration::from_secs)
            .ok_or(ConfigError {
                name: "OPSDECK_NOTIFY_TIMEOUT_SECS",
                problem: format!("`{timeout}` is not a number of seconds between 1 and 120"),
            })?;
        let page_cache = non_empty("OPSDECK_PAGE_CACHE_SECS").unwrap_or_else(|| "1".into());
        let page_cache_max_age = page_cache
            .parse::<u64>()
            .ok()
            .filter(|s| *s <= 3600)
            .map(std::time::Duration::from_secs)
            .ok_or(ConfigError {
                name: "OPSDECK_PAGE_CACHE_SECS",
                problem: format!("`{page_cache}` is not a number of seconds between 0 and 3600"),
            })?;
        let max_hours = non_empty("OPSDECK_SESSION_MAX_HOURS").unwrap_or_else(|| "12".into());
        let session_max_hours = max_hours
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=30 * 24).contains(h))
            .ok_or(ConfigError {
                name: "OPSDECK_SESSION_MAX_HOURS",
                problem: format!("`{max_hours}` is not a number of hours between 1 and 720"),
            })?;
        let admin_password = non_empty("OPSDECK_ADMIN_PASSWORD");
        if let Some(pw) = &admin_password {
            // Never echo the value: only its length is wrong.
            if pw.chars().count() < opsdeck_app::validate::MIN_PASSWORD_LEN {
                return Err(ConfigError {
                    name: "OPSDECK_ADMIN_PASSWORD",
                    problem: format!(
                        "must be at least {} characters long",
                        opsdeck_app::validate::MIN_PASSWORD_LEN
                    ),
                });
            }
        }
        let admin_user = non_empty("OPSDECK_ADMIN_USER")
            .map(|u| u.trim().to_lowercase())
            .unwrap_or_else(|| "admin".into());
        if let Some(problem) = opsdeck_app::validate::username(&admin_user) {
            return Err(ConfigError {
                name: "OPSDECK_ADMIN_USER",
                problem: format!(
                    "`{admin_user}`: {}",
                    problem.text(opsdeck_app::i18n::Lang::En)
                ),
            });
        }
        let trusted_proxies = parse_cidrs(
            &non_empty("OPSDECK_TRUSTED_PROXIES").unwrap_or_else(|| "127.0.0.1/32,::1/128".into()),
        )?;
        let public_origin = match non_empty("OPSDECK_PUBLIC_URL") {
            None => None,
            Some(url) => Some(origin_of(&url).ok_or(ConfigError {
                name: "OPSDECK_PUBLIC_URL",
                problem: format!("`{url}` is not an http(s) URL such as https://ops.example.com"),
            })?),
        };
        // Secure cookies follow an https public URL unless set explicitly.
        let secure_cookies = parse_bool(
            "OPSDECK_SECURE_COOKIES",
            non_empty("OPSDECK_SECURE_COOKIES"),
        )?
        .unwrap_or_else(|| {
            public_origin
                .as_deref()
                .is_some_and(|o| o.starts_with("https://"))
        });
        let trust_proxy =
            parse_bool("OPSDECK_TRUST_PROXY", non_empty("OPSDECK_TRUST_PROXY"))?.unwrap_or(false);
        let migrate_on_start = parse_bool(
            "OPSDECK_MIGRATE_ON_START",
            non_empty("OPSDECK_MIGRATE_ON_START"),
        )?
        .unwrap_or(true);
        Ok(Config {
            addr,
            database_url: non_empty("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            admin_password,
            log_level: non_empty("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            redis_url: non_empty("OPSDECK_REDIS_URL"),
            time_zone,
            data_dir: non_empty("OPSDECK_DATA_DIR")
                .unwrap_or_else(|| ".".into())
                .into(),
            site_root: non_empty("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            session_idle_minutes,
            session_touch_secs,
            secure_cookies,
            public_origin,
            trust_proxy,
            trusted_proxies,
            admin_user,
            session_max_hours,
            migrate_on_start,
            notify_timeout,
            page_cache_max_age,
            hash_file: match non_empty("LEPTOS_HASH_FILE_NAME") {
                Some(name) => {
                    let exe_dir = std::env::current_exe()
                        .ok()
                        .and_then(|exe| exe.parent().map(PathBuf::from))
                        .unwrap_or_default();
                    // Leptos reads it relative to the binary's directory; an absolute path stays absolute.
                    exe_dir.join(name)
                }
                None => std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
                    .unwrap_or_else(|| "hash.txt".into()),
            },
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
    fn secure_cookies_follow_an_https_public_url() {
        let https = Config::from_lookup(|k| {
            (k == "OPSDECK_PUBLIC_URL").then(|| "https://ops.example.com".to_string())
        })
        .unwrap();
        assert!(https.secure_cookies);
        let http = Config::from_lookup(|k| {
            (k == "OPSDECK_PUBLIC_URL").then(|| "http://ops.example.com".to_string())
        })
        .unwrap();
        assert!(!http.secure_cookies);
        let forced_off = Config::from_lookup(|k| match k {
            "OPSDECK_PUBLIC_URL" => Some("https://ops.example.com".into()),
            "OPSDECK_SECURE_COOKIES" => Some("false".into()),
            _ => None,
        })
        .unwrap();
        assert!(!forced_off.secure_cookies);
    }

    #[test]
    fn short_admin_password_is_refused_without_echoing_it() {
        let e = Config::from_lookup(|k| {
            (k == "OPSDECK_ADMIN_PASSWORD").then(|| "short-pw".to_string())
        })
        .unwrap_err();
        assert_eq!(e.name, "OPSDECK_ADMIN_PASSWORD");
        assert!(!e.to_string().contains("short-pw"), "{e}");
    }

    #[test]
    fn admin_user_and_trusted_proxies() {
        let c = Config::from_lookup(|k| match k {
            "OPSDECK_ADMIN_USER" => Some("Ops-Lead".into()),
            "OPSDECK_TRUSTED_PROXIES" => Some("10.0.0.0/8, 192.168.1.5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.admin_user, "ops-lead");
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(c.trusted_proxies[1].contains(&"192.168.1.5".parse::<std::net::IpAddr>().unwrap()));
        let e = Config::from_lookup(|k| (k == "OPSDECK_TRUSTED_PROXIES").then(|| "nope".into()))
            .unwrap_err();
        assert_eq!(e.name, "OPSDECK_TRUSTED_PROXIES");
        let e =
            Config::from_lookup(|k| (k == "OPSDECK_ADMIN_USER").then(|| "a b".into())).unwrap_err();
        assert_eq!(e.name, "OPSDECK_ADMIN_USER");
    }

    #[test]
    fn booleans_are_strict() {
        let c = Config::from_lookup(|k| (k == "OPSDECK_SECURE_COOKIES").then(|| "TRUE".into()))
            .unwrap();
        assert!(c.secure_cookies);
        for name in [
            "OPSDECK_SECURE_COOKIES",
            "OPSDECK_TRUST_PROXY",
            "OPSDECK_MIGRATE_ON_START",
        ] {
            let e = Config::from_lookup(|k| (k == name).then(|| "yes".into())).unwrap_err();
            assert_eq!(e.name, name);
        }
    }

    #[test]
    fn browser_zone_list_is_matched_exactly() {
        assert!(browser_has_zone("Asia/Tokyo,Asia/Tokyo,UTC", "UTC"));
        assert!(browser_has_zone("Europe/Berlin, Asia/Tokyo", "Asia/Tokyo"));
        assert!(!browser_has_zone("Asia/Tokyo,UTC", "Etc/UTC"));
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
