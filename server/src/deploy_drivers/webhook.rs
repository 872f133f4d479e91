//! The webhook driver (R-DEP-8): each step is a POST of
//! `{"environment", "version", "colour", "step"}` as JSON to the configured
//! `url`; a 2xx answer within the step timeout is success, anything else a
//! failure with the status and the start of the body kept. Health is a GET
//! of `health_url` (`{color}` filled in), judged like the command driver's.
//!
//! Configuration: `{"url": "https://deployer/hook", "health_url": "..."}`.

use super::{
    config_url, expand, probe_http, without_url, BoxFuture, DeployDriver, HealthResult, StepResult,
};
use opsdeck::deploy_gate::{Colour, Environment};
use opsdeck_app::store::deploy_runs::{cap_output, colour_key};
use serde_json::json;
use std::time::Duration;

/// The webhook driver of one environment.
pub struct WebhookDriver {
    url: String,
    health_url: Option<String>,
    timeout: Duration,
    probe_timeout: Duration,
    http: reqwest::Client,
}

impl WebhookDriver {
    pub fn from_config(
        config: &serde_json::Value,
        timeout: Duration,
        probe_timeout: Duration,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let url = config_url(config.get("url"), "url")?;
        let health_url = match config.get("health_url") {
            None | Some(serde_json::Value::Null) => None,
            v => Some(config_url(v, "health_url")?),
        };
        Ok(Self {
            url,
            health_url,
            timeout,
            probe_timeout,
            http,
        })
    }

    async fn post(
        &self,
        step: &str,
        env: Environment,
        version: &str,
        colour: Colour,
    ) -> StepResult {
        let body = json!({
            "environment": env.key(),
            "version": version,
            "colour": colour_key(colour),
            "step": step,
        });
        let res = self
            .http
            .post(&self.url)
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await;
        match res {
            Ok(res) => {
                let status = res.status();
                let text = res.text().await.unwrap_or_default();
                let output = cap_output(&format!("POST {step}: HTTP {}\n{text}", status.as_u16()));
                StepResult {
                    ok: status.is_success(),
                    exit_code: None,
                    output,
                }
            }
            Err(e) if e.is_timeout() => StepResult::failed(format!(
                "POST {step}: timed out after {} s",
                self.timeout.as_secs()
            )),
            Err(e) => StepResult::failed(format!("POST {step}: {}", without_url(&e))),
        }
    }
}

impl DeployDriver for WebhookDriver {
    fn provision<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        colour: Colour,
    ) -> BoxFuture<'a, StepResult> {
        Box::pin(self.post("provision", env, version, colour))
    }

    fn health(&self, env: Environment, colour: Colour) -> BoxFuture<'_, HealthResult> {
        Box::pin(async move {
            match &self.health_url {
                Some(t) => {
                    probe_http(&self.http, &expand(t, env, colour), self.probe_timeout).await
                }
                None => HealthResult {
                    healthy: false,
                    detail: "no `health_url` is configured".into(),
                },
            }
        })
    }

    fn switch<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        to: Colour,
    ) -> BoxFuture<'a, StepResult> {
        Box::pin(self.post("switch", env, version, to))
    }

    fn rollback<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        to: Colour,
    ) -> BoxFuture<'a, StepResult> {
        Box::pin(self.post("rollback", env, version, to))
    }
}
