//! The command driver (R-DEP-8): each step runs `sh -c` of its configured
//! command with `OPSDECK_ENV`, `OPSDECK_VERSION`, `OPSDECK_COLOR` (and
//! `OPSDECK_STEP`) set; exit code 0 is success. Output (stdout and stderr
//! together, in order) is kept up to 1 MB. A command still running at the
//! step timeout is killed with everything it started (its process group).
//!
//! Configuration: `{"provision": "...", "switch": "...", "rollback": "...",
//! "health_url": "http://host/{color}/health"}`; `rollback` defaults to the
//! `switch` command (with `OPSDECK_STEP=rollback`).
//!
//! The command inherits opsdeck's environment except opsdeck's own
//! settings (`OPSDECK_*`, `DATABASE_URL`): they hold the admin password and
//! the database credentials, which a deploy script has no business seeing.

use super::{expand, probe_http, BoxFuture, DeployDriver, HealthResult, StepResult};
use opsdeck::deploy_gate::{Colour, Environment};
use opsdeck_app::store::deploy_runs::{cap_output, colour_key, OUTPUT_LIMIT};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The command driver of one environment.
pub struct CommandDriver {
    provision: Option<String>,
    switch: Option<String>,
    rollback: Option<String>,
    health_url: Option<String>,
    timeout: Duration,
    probe_timeout: Duration,
    http: reqwest::Client,
}

fn text(config: &serde_json::Value, key: &str) -> Option<String> {
    config
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl CommandDriver {
    /// From `driver_config`; an object is required (the steps are checked
    /// when they run, so a missing one fails that step saying so).
    pub fn from_config(
        config: &serde_json::Value,
        timeout: Duration,
        probe_timeout: Duration,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        if !config.is_object() {
            return Err("the command driver's configuration must be a JSON object".into());
        }
        let health_url = match config.get("health_url") {
            None | Some(serde_json::Value::Null) => None,
            v => Some(super::config_url(v, "health_url")?),
        };
        Ok(Self {
            provision: text(config, "provision"),
            switch: text(config, "switch"),
            rollback: text(config, "rollback"),
            health_url,
            timeout,
            probe_timeout,
            http,
        })
    }

    async fn step(
        &self,
        step: &str,
        command: Option<&String>,
        env: Environment,
        version: &str,
        colour: Colour,
    ) -> StepResult {
        let Some(command) = command else {
            return StepResult::failed(format!("no `{step}` command is configured"));
        };
        let vars = [
            ("OPSDECK_ENV", env.key()),
            ("OPSDECK_VERSION", version),
            ("OPSDECK_COLOR", colour_key(colour)),
            ("OPSDECK_STEP", step),
        ];
        run_shell(command, &vars, self.timeout).await
    }
}

impl DeployDriver for CommandDriver {
    fn provision<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        colour: Colour,
    ) -> BoxFuture<'a, StepResult> {
        Box::pin(self.step("provision", self.provision.as_ref(), env, version, colour))
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
        Box::pin(self.step("switch", self.switch.as_ref(), env, version, to))
    }

    fn rollback<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        to: Colour,
    ) -> BoxFuture<'a, StepResult> {
        let command = self.rollback.as_ref().or(self.switch.as_ref());
        Box::pin(self.step("rollback", command, env, version, to))
    }
}

/// Kills the process group `pgid` (the command and what it started). The
/// crate forbids `unsafe`, so this goes through `kill(1)`.
async fn kill_group(pgid: u32) {
    let _ = tokio::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}

/// Reads everything, keeping the first [`OUTPUT_LIMIT`] bytes: the rest is
/// read and dropped so the command never blocks on a full pipe.
async fn drain(mut r: impl AsyncRead + Unpin) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut cut = false;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_LIMIT.saturating_sub(kept.len());
                if n > room {
                    cut = true;
                }
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    (kept, cut)
}

/// Runs `sh -c command` with `vars` for at most `timeout`.
pub async fn run_shell(command: &str, vars: &[(&str, &str)], timeout: Duration) -> StepResult {
    let mut cmd = tokio::process::Command::new("sh");
    // `exec 2>&1` first: stderr joins stdout in the shell itself, so the
    // output reads in the order it was written.
    cmd.arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name.starts_with("OPSDECK_") || name == "DATABASE_URL" {
            cmd.env_remove(&k);
        }
    }
    cmd.envs(vars.iter().copied());
    // Its own process group, so a timeout kills what it started too.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return StepResult::failed(format!("could not start `sh`: {e}")),
    };
    let reader = child.stdout.take().map(|s| tokio::spawn(drain(s)));
    let (exit_code, note) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => (status.code(), None),
        Ok(Err(e)) => (None, Some(format!("could not wait for the command: {e}"))),
        Err(_) => {
            if let Some(pid) = child.id() {
                kill_group(pid).await;
            }
            let _ = child.kill().await;
            (
                None,
                Some(format!("timed out after {} s", timeout.as_secs())),
            )
        }
    };
    // Something that left the group may hold the pipe open: wait briefly.
    let (bytes, cut) = match reader {
        Some(h) => match tokio::time::timeout(Duration::from_secs(2), h).await {
            Ok(Ok(out)) => out,
            _ => (Vec::new(), false),
        },
        None => (Vec::new(), false),
    };
    let mut output = String::from_utf8_lossy(&bytes).into_owned();
    if cut {
        output.push_str("\n[output cut at 1 MB]");
    }
    let ok = note.is_none() && exit_code == Some(0);
    let summary = match (&note, exit_code) {
        (Some(n), _) => n.clone(),
        (None, Some(code)) => format!("exit code {code}"),
        (None, None) => "ended by a signal".into(),
    };
    if !output.is_empty() && !output.ends_with('\n') {
        output.push('\n');
    }
    output.push_str(&format!("[{summary}]"));
    StepResult {
        ok,
        exit_code,
        output: cap_output(&output),
    }
}
