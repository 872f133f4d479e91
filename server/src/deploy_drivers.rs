//! How a deploy step is carried out (R-DEP-8, decision 0017): a driver per
//! environment, chosen by `deploy_settings.driver` with its `driver_config`.
//!
//! - [`command`]: `sh -c` of a configured command per step;
//! - [`webhook`]: a JSON POST per step to a configured URL;
//! - [`demo`]: two simulated services per environment on loopback.
//!
//! A driver does the work and reports; the executor
//! (`workers::deploys`) records it and moves the core's machine.

pub mod command;
pub mod demo;
pub mod webhook;

use opsdeck::deploy_gate::{Colour, Environment};
use opsdeck::health::{parse_health, HealthIssue, HealthPolicy};
use opsdeck_app::store::deploy_runs::{cap_output, colour_key, RunSettings};
use sqlx::PgPool;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed future, so drivers can sit behind `dyn DeployDriver`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a provision or switch step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    pub ok: bool,
    /// The command's exit code (command driver only).
    pub exit_code: Option<i32>,
    /// What the driver said, capped at 1 MB.
    pub output: String,
}

impl StepResult {
    pub fn ok(output: impl Into<String>) -> Self {
        Self {
            ok: true,
            exit_code: None,
            output: output.into(),
        }
    }

    pub fn failed(output: impl Into<String>) -> Self {
        Self {
            ok: false,
            exit_code: None,
            output: output.into(),
        }
    }
}

/// One health probe of a colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthResult {
    pub healthy: bool,
    /// A short account of the answer (`HTTP 200, version 1.4.0`).
    pub detail: String,
}

/// Carries out the steps of a blue-green deploy for one environment.
pub trait DeployDriver: Send + Sync {
    /// Puts `version` on the idle colour `colour`; doing it twice is harmless
    /// (a deploy resumed after a restart provisions again).
    fn provision<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        colour: Colour,
    ) -> BoxFuture<'a, StepResult>;

    /// Probes `colour`'s health once.
    fn health(&self, env: Environment, colour: Colour) -> BoxFuture<'_, HealthResult>;

    /// Sends the traffic to `to`, which runs `version`.
    fn switch<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        to: Colour,
    ) -> BoxFuture<'a, StepResult>;

    /// Sends the traffic back to `to` (the previous colour, running
    /// `version`). Unless the driver knows better, a switch.
    fn rollback<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        to: Colour,
    ) -> BoxFuture<'a, StepResult> {
        self.switch(env, version, to)
    }
}

/// Chooses the driver of an environment from its settings.
pub trait DriverSet: Send + Sync {
    fn driver(&self, settings: &RunSettings) -> Arc<dyn DeployDriver>;
}

/// The drivers opsdeck ships: command, webhook and demo.
#[derive(Clone)]
pub struct Drivers {
    http: reqwest::Client,
    demo: Arc<demo::DemoServices>,
    pool: PgPool,
}

impl Drivers {
    /// The drivers with the process's demo services (see [`demo::global`]).
    pub fn new(pool: PgPool) -> Self {
        Self::with_demo(pool, demo::global())
    }

    /// The drivers with demo services of their own (tests run several at once).
    pub fn with_demo(pool: PgPool, demo: Arc<demo::DemoServices>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http, demo, pool }
    }
}

impl DriverSet for Drivers {
    fn driver(&self, s: &RunSettings) -> Arc<dyn DeployDriver> {
        let step_timeout = Duration::from_secs(u64::from(s.step_timeout_seconds.max(1)));
        // One probe may not take longer than the whole health check allows.
        let probe_timeout = Duration::from_secs(u64::from(
            s.step_timeout_seconds
                .min(s.health_timeout_seconds)
                .clamp(1, 30),
        ));
        let made: Result<Arc<dyn DeployDriver>, String> = match s.driver.as_str() {
            "command" => command::CommandDriver::from_config(
                &s.driver_config,
                step_timeout,
                probe_timeout,
                self.http.clone(),
            )
            .map(|d| Arc::new(d) as Arc<dyn DeployDriver>),
            "webhook" => webhook::WebhookDriver::from_config(
                &s.driver_config,
                step_timeout,
                probe_timeout,
                self.http.clone(),
            )
            .map(|d| Arc::new(d) as Arc<dyn DeployDriver>),
            "demo" => demo::DemoDriver::from_config(
                &s.driver_config,
                self.demo.clone(),
                self.pool.clone(),
                probe_timeout,
                self.http.clone(),
            )
            .map(|d| Arc::new(d) as Arc<dyn DeployDriver>),
            other => Err(format!("unknown driver `{other}`")),
        };
        made.unwrap_or_else(|problem| Arc::new(Misconfigured(problem)))
    }
}

/// A driver whose configuration is unusable: every step fails saying why,
/// so the deploy ends failed with the reason on its page instead of hanging.
pub struct Misconfigured(pub String);

impl DeployDriver for Misconfigured {
    fn provision<'a>(&'a self, _: Environment, _: &'a str, _: Colour) -> BoxFuture<'a, StepResult> {
        Box::pin(async move { StepResult::failed(format!("driver not usable: {}", self.0)) })
    }
    fn health(&self, _: Environment, _: Colour) -> BoxFuture<'_, HealthResult> {
        Box::pin(async move {
            HealthResult {
                healthy: false,
                detail: format!("driver not usable: {}", self.0),
            }
        })
    }
    fn switch<'a>(&'a self, _: Environment, _: &'a str, _: Colour) -> BoxFuture<'a, StepResult> {
        Box::pin(async move { StepResult::failed(format!("driver not usable: {}", self.0)) })
    }
}

/// `{color}` / `{colour}` / `{env}` in a configured URL, filled in.
pub fn expand(template: &str, env: Environment, colour: Colour) -> String {
    template
        .replace("{color}", colour_key(colour))
        .replace("{colour}", colour_key(colour))
        .replace("{env}", env.key())
}

/// An `http://` or `https://` URL from the configuration, or why not.
pub(crate) fn config_url(value: Option<&serde_json::Value>, name: &str) -> Result<String, String> {
    let url = value
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| format!("`{name}` is not configured"))?;
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_string())
    } else {
        Err(format!("`{name}` must start with http:// or https://"))
    }
}

/// Longest part of a response body kept in a probe's detail.
const DETAIL_BODY: usize = 200;

fn snippet(body: &str) -> String {
    let one_line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= DETAIL_BODY {
        one_line
    } else {
        let cut: String = one_line.chars().take(DETAIL_BODY).collect();
        format!("{cut}…")
    }
}

/// Judges a health answer: healthy when the status is 2xx and, if the body
/// is a JSON object, the core's `/health` parsing finds nothing degrading
/// in it (a failing check, a top-level status other than `ok`). A body
/// without a top-level status, or not JSON at all, is judged by the HTTP
/// status alone — services that answer `200 OK` in plain text pass.
pub fn judge_health(status: u16, body: &str) -> HealthResult {
    let two_xx = (200..300).contains(&status);
    let lenient = HealthPolicy {
        required_checks: Vec::new(),
    };
    let Ok(report) = parse_health(body, &lenient) else {
        return HealthResult {
            healthy: two_xx,
            detail: if two_xx || body.trim().is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {}", snippet(body))
            },
        };
    };
    let problems: Vec<String> = report
        .issues
        .iter()
        .filter(|i| i.degrades())
        .filter(|i| !matches!(i, HealthIssue::TopLevelStatus { status: None }))
        .map(|i| match i {
            HealthIssue::TopLevelStatus { status } => {
                format!("status {}", status.as_deref().unwrap_or("missing"))
            }
            HealthIssue::CheckFailing { name, status } => format!("{name}: {status}"),
            HealthIssue::CheckWithoutStatus { name } => format!("{name}: no status"),
            HealthIssue::MissingCheck { name } => format!("{name}: missing"),
            HealthIssue::MissingTimestamp | HealthIssue::BadTimestamp { .. } => String::new(),
        })
        .collect();
    let version = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .map(|v| format!(", version {v}"))
        .unwrap_or_default();
    let detail = if problems.is_empty() {
        format!("HTTP {status}{version}")
    } else {
        format!("HTTP {status}{version}: {}", problems.join(", "))
    };
    HealthResult {
        healthy: two_xx && problems.is_empty(),
        detail,
    }
}

/// One GET of a health URL within `timeout`.
pub async fn probe_http(http: &reqwest::Client, url: &str, timeout: Duration) -> HealthResult {
    match http.get(url).timeout(timeout).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            // A health answer is small; a huge one is cut, not refused.
            let body = res.text().await.unwrap_or_default();
            let body = cap_output(&body);
            judge_health(status, &body)
        }
        Err(e) if e.is_timeout() => HealthResult {
            healthy: false,
            detail: format!("no answer within {} s", timeout.as_secs()),
        },
        Err(e) => HealthResult {
            healthy: false,
            detail: format!("request failed: {}", without_url(&e)),
        },
    }
}

/// A reqwest error's message without the URL (it may carry credentials).
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dep_8_health_judgement() {
        assert!(judge_health(200, "OK").healthy);
        assert!(judge_health(204, "").healthy);
        assert!(!judge_health(503, r#"{"status":"ok"}"#).healthy);
        assert!(judge_health(200, r#"{"status":"ok","version":"1.2.3"}"#).healthy);
        assert!(judge_health(200, r#"{"version":"1.2.3"}"#).healthy);
        let bad = judge_health(200, r#"{"status":"unhealthy"}"#);
        assert!(!bad.healthy);
        assert!(bad.detail.contains("unhealthy"), "{}", bad.detail);
        assert!(!judge_health(200, r#"{"status":"ok","checks":{"db":{"status":"down"}}}"#).healthy);
    }

    #[test]
    fn r_dep_8_url_templates() {
        assert_eq!(
            expand(
                "http://{env}-{color}.internal/health",
                Environment::Staging,
                Colour::Green
            ),
            "http://staging-green.internal/health"
        );
        assert!(config_url(Some(&serde_json::json!("file:///etc/passwd")), "url").is_err());
        assert!(config_url(None, "url").is_err());
    }
}
