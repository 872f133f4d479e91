//! The demo driver (R-DEP-8): per environment, two simulated services —
//! blue and green — on 127.0.0.1 ports chosen by the system, started on
//! first use and kept for the life of the process. Each serves the policy's
//! `/health` document (the shape opsdeck's own `/health` has, built by the
//! core's `HealthBuilder`) with the version it runs. Provisioning sets a
//! colour's version; switching says which colour has the traffic; health
//! checks GET the real endpoint.
//!
//! `deploy_settings.demo_next_unhealthy`, read and cleared when a version is
//! provisioned, makes that version answer unhealthy (503, a check `app`
//! with status `unhealthy`) so a rollback can be shown. When: the driver
//! config's `next_unhealthy_at` — `"observe"` (default: once it has the
//! traffic, so the observation fails and opsdeck rolls back by itself) or
//! `"health_check"` (at once, so the health check fails and traffic never
//! moves).

use super::{probe_http, BoxFuture, DeployDriver, HealthResult, StepResult};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use opsdeck::deploy_gate::{Colour, Environment};
use opsdeck::health::{CheckStatus, HealthBuilder, HealthPolicy};
use opsdeck_app::store::deploy_runs::{colour_key, take_demo_next_unhealthy};
use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// When a version provisioned with `demo_next_unhealthy` answers unhealthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unhealthy {
    /// From the start: the health check fails.
    Always,
    /// Once it has the traffic: the observation fails.
    WhenLive,
}

#[derive(Debug, Default)]
struct ColourState {
    version: Option<String>,
    unhealthy: Option<Unhealthy>,
    live: bool,
}

impl ColourState {
    fn healthy(&self) -> bool {
        match self.unhealthy {
            None => true,
            Some(Unhealthy::Always) => false,
            Some(Unhealthy::WhenLive) => !self.live,
        }
    }
}

struct ColourService {
    environment: Environment,
    colour: Colour,
    state: Mutex<ColourState>,
}

impl ColourService {
    fn with<T>(&self, f: impl FnOnce(&mut ColourState) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut s)
    }
}

struct DemoEnv {
    /// Blue, then green.
    services: [(SocketAddr, Arc<ColourService>); 2],
}

impl DemoEnv {
    fn get(&self, colour: Colour) -> &(SocketAddr, Arc<ColourService>) {
        match colour {
            Colour::Blue => &self.services[0],
            Colour::Green => &self.services[1],
        }
    }
}

/// The simulated services of every environment, started on first use.
#[derive(Default)]
pub struct DemoServices {
    envs: Mutex<HashMap<Environment, Arc<DemoEnv>>>,
}

/// The process's demo services (what the running server's executor uses).
pub fn global() -> Arc<DemoServices> {
    static GLOBAL: OnceLock<Arc<DemoServices>> = OnceLock::new();
    GLOBAL
        .get_or_init(|| Arc::new(DemoServices::default()))
        .clone()
}

/// The `/health` URL of `env`'s demo `colour` in this process, once started.
pub fn demo_health_url(env: Environment, colour: Colour) -> Option<String> {
    global().health_url(env, colour)
}

impl DemoServices {
    pub fn new() -> Self {
        Self::default()
    }

    /// The `/health` URL of `env`'s `colour`, once its services run.
    pub fn health_url(&self, env: Environment, colour: Colour) -> Option<String> {
        let envs = self.envs.lock().unwrap_or_else(PoisonError::into_inner);
        envs.get(&env)
            .map(|e| format!("http://{}/health", e.get(colour).0))
    }

    /// The version `env`'s `colour` runs, once provisioned.
    pub fn version(&self, env: Environment, colour: Colour) -> Option<String> {
        let envs = self.envs.lock().unwrap_or_else(PoisonError::into_inner);
        envs.get(&env)
            .and_then(|e| e.get(colour).1.with(|s| s.version.clone()))
    }

    /// Starts `env`'s two services now rather than at the first deploy
    /// (inside a Tokio runtime), so their URLs can be shown or monitored.
    pub fn start(&self, env: Environment) -> std::io::Result<()> {
        self.ensure(env).map(|_| ())
    }

    /// `env`'s services, started if they are not yet (inside a Tokio runtime).
    fn ensure(&self, env: Environment) -> std::io::Result<Arc<DemoEnv>> {
        let mut envs = self.envs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = envs.get(&env) {
            return Ok(e.clone());
        }
        let blue = start(env, Colour::Blue)?;
        let green = start(env, Colour::Green)?;
        let e = Arc::new(DemoEnv {
            services: [blue, green],
        });
        envs.insert(env, e.clone());
        Ok(e)
    }
}

/// Binds a loopback port and serves one colour's `/health` on it.
fn start(env: Environment, colour: Colour) -> std::io::Result<(SocketAddr, Arc<ColourService>)> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let listener = tokio::net::TcpListener::from_std(std_listener)?;
    let service = Arc::new(ColourService {
        environment: env,
        colour,
        state: Mutex::new(ColourState::default()),
    });
    let app = Router::new()
        .route("/health", get(health))
        .with_state(service.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, env = env.key(), colour = colour_key(colour), "demo service stopped");
        }
    });
    Ok((addr, service))
}

/// The policy's `/health` document for one simulated colour.
async fn health(State(service): State<Arc<ColourService>>) -> Response {
    let (version, healthy) = service.with(|s| (s.version.clone(), s.healthy()));
    let mut doc = HealthBuilder::new(chrono::Utc::now())
        .check("database", CheckStatus::Ok)
        .check("redis", CheckStatus::Ok)
        .check("disk", CheckStatus::Ok)
        .check("memory", CheckStatus::Ok);
    if !healthy {
        doc = doc.check(
            "app",
            CheckStatus::Failed {
                status: "unhealthy".into(),
            },
        );
    }
    let (mut body, code) = doc.build(&HealthPolicy::default());
    if let Value::Object(map) = &mut body {
        map.insert("version".into(), version.map_or(Value::Null, Value::String));
        map.insert(
            "colour".into(),
            Value::String(colour_key(service.colour).into()),
        );
        map.insert(
            "environment".into(),
            Value::String(service.environment.key().into()),
        );
    }
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (code, Json(body)).into_response()
}

/// The demo driver of one environment.
pub struct DemoDriver {
    services: Arc<DemoServices>,
    pool: PgPool,
    when_unhealthy: Unhealthy,
    probe_timeout: Duration,
    http: reqwest::Client,
}

impl DemoDriver {
    pub fn from_config(
        config: &Value,
        services: Arc<DemoServices>,
        pool: PgPool,
        probe_timeout: Duration,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let when_unhealthy = match config.get("next_unhealthy_at").and_then(Value::as_str) {
            None | Some("observe") => Unhealthy::WhenLive,
            Some("health_check") => Unhealthy::Always,
            Some(other) => {
                return Err(format!(
                    "`next_unhealthy_at` is `{other}`: use `observe` or `health_check`"
                ))
            }
        };
        Ok(Self {
            services,
            pool,
            when_unhealthy,
            probe_timeout,
            http,
        })
    }
}

impl DeployDriver for DemoDriver {
    fn provision<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        colour: Colour,
    ) -> BoxFuture<'a, StepResult> {
        Box::pin(async move {
            let demo = match self.services.ensure(env) {
                Ok(d) => d,
                Err(e) => return StepResult::failed(format!("demo service did not start: {e}")),
            };
            let unhealthy = match take_demo_next_unhealthy(&self.pool, env).await {
                Ok(u) => u,
                Err(e) => {
                    tracing::warn!(error = %e, "demo: next-unhealthy switch not read");
                    return StepResult::failed("could not read the demo's next-unhealthy switch");
                }
            };
            let (addr, service) = demo.get(colour);
            service.with(|s| {
                s.version = Some(version.to_string());
                s.unhealthy = unhealthy.then_some(self.when_unhealthy);
            });
            let mut out = format!(
                "demo: {} of {} now runs {version} (http://{addr}/health)",
                colour_key(colour),
                env.key()
            );
            if unhealthy {
                out.push_str(match self.when_unhealthy {
                    Unhealthy::Always => {
                        "\ndemo_next_unhealthy was set: this version answers unhealthy"
                    }
                    Unhealthy::WhenLive => {
                        "\ndemo_next_unhealthy was set: this version answers unhealthy once it has the traffic"
                    }
                });
            }
            StepResult::ok(out)
        })
    }

    fn health(&self, env: Environment, colour: Colour) -> BoxFuture<'_, HealthResult> {
        Box::pin(async move {
            let demo = match self.services.ensure(env) {
                Ok(d) => d,
                Err(e) => {
                    return HealthResult {
                        healthy: false,
                        detail: format!("demo service did not start: {e}"),
                    }
                }
            };
            let url = format!("http://{}/health", demo.get(colour).0);
            probe_http(&self.http, &url, self.probe_timeout).await
        })
    }

    fn switch<'a>(
        &'a self,
        env: Environment,
        version: &'a str,
        to: Colour,
    ) -> BoxFuture<'a, StepResult> {
        Box::pin(async move {
            let demo = match self.services.ensure(env) {
                Ok(d) => d,
                Err(e) => return StepResult::failed(format!("demo service did not start: {e}")),
            };
            for c in [Colour::Blue, Colour::Green] {
                demo.get(c).1.with(|s| s.live = c == to);
            }
            StepResult::ok(format!(
                "demo: traffic of {} now goes to {} ({version})",
                env.key(),
                colour_key(to)
            ))
        })
    }
}
