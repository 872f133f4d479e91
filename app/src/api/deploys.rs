//! Deploys (issue 9, R-DEP-1..8; decision 0017): everyone reads the board
//! and the deploys; approvers, operators and release managers request a
//! deploy; approvers and operators tick the checklist; only approvers vote,
//! press Deploy and roll back; only admins override a code freeze and change
//! the settings. The rules live in the store's one gate and the core.

// Forms post one argument per field; the `#[server]` macro copies them into
// the browser-side stub too, where a per-function allow does not reach.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use crate::model::deploys::{
    BoardView, DeployHistory, DeploySettingsView, DeployView, TimelineEntry,
};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::{rpc, rpc_read},
    error::FieldError,
    i18n::Msg,
    role::{Access, Role},
    store::audit::Actor,
    store::deploys::{self as store, DeployError},
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const REQUESTERS: Access = Access::AnyOf(&[Role::Approver, Role::Operator, Role::ReleaseManager]);
#[cfg(feature = "ssr")]
const CHECKERS: Access = Access::AnyOf(&[Role::Approver, Role::Operator]);
#[cfg(feature = "ssr")]
const APPROVER: Access = Access::AnyOf(&[Role::Approver]);

#[cfg(feature = "ssr")]
impl From<DeployError> for AppError {
    fn from(e: DeployError) -> Self {
        use opsdeck::deploy_gate::BlockingReason as B;
        let conflict = |field: &str, msg| AppError::Conflict(FieldError::new(field, msg));
        match e {
            DeployError::NotFound => AppError::NotFound,
            DeployError::Final => conflict("deploy", Msg::ErrDeployFinal),
            DeployError::Running => conflict("deploy", Msg::ErrDeployRunning),
            DeployError::SelfApproval => conflict("vote", Msg::ErrDeploySelfApproval),
            DeployError::AlreadyVoted => conflict("vote", Msg::ErrDeployAlreadyVoted),
            DeployError::NotFrozen => conflict("freeze", Msg::ErrDeployNotFrozen),
            DeployError::ReasonRequired => AppError::field("reason", Msg::ErrRequired),
            // The page names the live deploy from `DeployView::live_deploy_id`.
            DeployError::NotLive { .. } => conflict("rollback", Msg::ErrDeployNotLive),
            DeployError::GateBlocked(reasons) => AppError::Validation(
                reasons
                    .iter()
                    .map(|r| match r {
                        B::ChecklistOpen { .. } => {
                            FieldError::new("checklist", Msg::ErrDeployChecklistOpen)
                        }
                        B::ApprovalsMissing { .. } => {
                            FieldError::new("approvals", Msg::ErrDeployApprovalsMissing)
                        }
                        B::CodeFreeze { .. } => FieldError::new("freeze", Msg::ErrDeployCodeFreeze),
                    })
                    .collect(),
            ),
            DeployError::Db(e) => e.into(),
        }
    }
}

/// `environment` as the core's environment, or a field error.
#[cfg(feature = "ssr")]
fn environment(s: &str) -> Result<opsdeck::deploy_gate::Environment, AppError> {
    s.parse()
        .map_err(|_| AppError::field("environment", Msg::ErrChoice))
}

/// `item` as a checklist item, or a field error.
#[cfg(feature = "ssr")]
fn checklist_item(s: &str) -> Result<opsdeck::deploy_gate::ChecklistItem, AppError> {
    opsdeck::deploy_gate::ChecklistItem::from_key(s.trim())
        .ok_or_else(|| AppError::field("item", Msg::ErrChoice))
}

/// A link shown on the page: `http://` or `https://` with a host, no
/// whitespace or control characters (a `javascript:` link would run there).
#[cfg(feature = "ssr")]
pub fn link_ok(s: &str) -> bool {
    s.chars().count() <= 2000
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(s)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// A version as a deploy names it: 1–100 characters, no whitespace.
#[cfg(feature = "ssr")]
pub fn version_ok(s: &str) -> bool {
    (1..=100).contains(&s.chars().count())
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A commit: empty, or up to 64 hexadecimal digits.
#[cfg(feature = "ssr")]
pub fn commit_ok(s: &str) -> bool {
    s.len() <= 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// The board (R-DEP-1): four environments with their colours, the running
/// and queued deploys, and for an approver the deploys waiting for their vote.
#[server(prefix = "/rpc", endpoint = "deploys/board")]
pub async fn load_deploy_board() -> Result<BoardView, AppError> {
    rpc_read(
        "deploys/board".into(),
        Access::SignedIn,
        |call| async move {
            let user = call.user()?;
            let approver = user.can(APPROVER);
            let mut conn = call.ctx.pool.acquire().await?;
            Ok(store::board(
                &mut conn,
                Some(&user.username),
                approver,
                call.ctx.time_zone,
                chrono::Utc::now(),
            )
            .await?)
        },
    )
    .await
}

/// A page of an environment's deploys, newest first, 50 a page, filtered
/// by status, version prefix and requester; `before` / `after` are the
/// keyset cursors the previous page handed out (issue 9 item 7).
#[server(prefix = "/rpc", endpoint = "deploys/history")]
pub async fn load_deploy_history(
    environment: String,
    #[server(default)] status: String,
    #[server(default)] version: String,
    #[server(default)] requester: String,
    #[server(default)] before: Option<i64>,
    #[server(default)] after: Option<i64>,
) -> Result<DeployHistory, AppError> {
    use crate::model::deploys::{DeployStatus, HistoryCursor, HistoryFilter};
    let key = format!(
        "deploys/history {environment:?} {status:?} {version:?} {requester:?} {before:?} {after:?}"
    );
    rpc_read(key, Access::SignedIn, |call| async move {
        let env = self::environment(&environment)?;
        let status = match status.trim() {
            "" => None,
            s => Some(
                DeployStatus::parse(s).ok_or_else(|| AppError::field("status", Msg::ErrChoice))?,
            ),
        };
        let text = |field: &str, value: &str| -> Result<Option<String>, AppError> {
            let value = value.trim();
            if value.chars().count() > 100 {
                return Err(AppError::field(field, Msg::ErrTooLong));
            }
            Ok((!value.is_empty()).then(|| value.to_string()))
        };
        let filter = HistoryFilter {
            status,
            version: text("version", &version)?,
            requester: text("requester", &requester)?,
        };
        let cursor = match (before, after) {
            (Some(_), Some(_)) => return Err(AppError::field("after", Msg::ErrChoice)),
            (Some(id), None) => HistoryCursor::Before(id),
            (None, Some(id)) => HistoryCursor::After(id),
            (None, None) => HistoryCursor::Newest,
        };
        let mut conn = call.ctx.pool.acquire().await?;
        Ok(store::history(&mut conn, env, &filter, cursor, 50).await?)
    })
    .await
}

/// A deploy's timeline: its audit entries, oldest first (issue 9 item 7).
#[server(prefix = "/rpc", endpoint = "deploys/timeline")]
pub async fn load_deploy_timeline(id: i64) -> Result<Vec<TimelineEntry>, AppError> {
    rpc_read(
        format!("deploys/timeline {id}"),
        Access::SignedIn,
        |call| async move {
            let mut conn = call.ctx.pool.acquire().await?;
            if store::row(&mut conn, id).await?.is_none() {
                return Err(AppError::NotFound);
            }
            Ok(store::timeline(&mut conn, id).await?)
        },
    )
    .await
}

/// One deploy with its gate, stages, checklist, votes, freeze and steps.
#[server(prefix = "/rpc", endpoint = "deploys/get")]
pub async fn load_deploy(id: i64) -> Result<DeployView, AppError> {
    rpc_read(
        format!("deploys/get {id}"),
        Access::SignedIn,
        |call| async move {
            let mut conn = call.ctx.pool.acquire().await?;
            store::view(&mut conn, id, call.ctx.time_zone, chrono::Utc::now())
                .await?
                .ok_or(AppError::NotFound)
        },
    )
    .await
}

/// Page `page` (from 1) of a step's output, 4 000 characters a page, and
/// the number of pages.
#[server(prefix = "/rpc", endpoint = "deploys/step_output")]
pub async fn load_step_output(
    step_id: i64,
    #[server(default)] page: u32,
) -> Result<(String, u32), AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        store::step_output(&mut conn, step_id, page.max(1))
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Requests a deploy from the UI (R-DEP-2's manual path): environment,
/// version and an optional commit. Returns the new deploy's id.
#[server(prefix = "/rpc", endpoint = "deploys/request")]
pub async fn request_deploy(
    environment: String,
    version: String,
    #[server(default)] commit_sha: String,
) -> Result<i64, AppError> {
    rpc(REQUESTERS, |call| async move {
        let mut check = crate::validate::Check::default();
        let env = environment
            .parse::<opsdeck::deploy_gate::Environment>()
            .ok();
        check.field("environment", env.is_none().then_some(Msg::ErrChoice));
        let version = version.trim().to_string();
        check.field(
            "version",
            if version.is_empty() {
                Some(Msg::ErrRequired)
            } else {
                (!version_ok(&version)).then_some(Msg::ErrDeployVersion)
            },
        );
        let commit_sha = commit_sha.trim().to_ascii_lowercase();
        check.field(
            "commit_sha",
            (!commit_ok(&commit_sha)).then_some(Msg::ErrDeployCommit),
        );
        check.finish()?;
        let Some(env) = env else {
            return Err(AppError::Internal);
        };
        let user = call.user()?;
        let d = store::NewDeploy {
            environment: env,
            version,
            commit_sha,
            ref_name: None,
            source: crate::model::deploys::DeploySource::Ui,
            requested_by: user.username.clone(),
            idempotency_key: None,
            release_id: None,
        };
        let mut tx = call.ctx.pool.begin().await?;
        let (id, _) = store::create(&mut tx, &d, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

/// Ticks a checklist item (R-DEP-4) with an optional evidence link
/// (`http(s)://…` or empty).
#[server(prefix = "/rpc", endpoint = "deploys/tick")]
pub async fn tick_checklist(
    id: i64,
    item: String,
    #[server(default)] evidence_url: String,
) -> Result<(), AppError> {
    rpc(CHECKERS, |call| async move {
        let item = checklist_item(&item)?;
        let evidence = evidence_url.trim().to_string();
        if !evidence.is_empty() && !link_ok(&evidence) {
            return Err(AppError::field("evidence_url", Msg::ErrUrl));
        }
        let actor = Actor::user(call.user()?);
        store::tick(
            &call.ctx.pool,
            id,
            item,
            (!evidence.is_empty()).then_some(evidence),
            &actor,
            chrono::Utc::now(),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Removes a checklist tick (only before the deploy starts).
#[server(prefix = "/rpc", endpoint = "deploys/untick")]
pub async fn untick_checklist(id: i64, item: String) -> Result<(), AppError> {
    rpc(CHECKERS, |call| async move {
        let item = checklist_item(&item)?;
        let actor = Actor::user(call.user()?);
        store::untick(&call.ctx.pool, id, item, &actor, chrono::Utc::now()).await?;
        Ok(())
    })
    .await
}

/// An approver approves a deploy (R-DEP-5) with an optional comment; never
/// their own, once each. Approving does not start the deploy.
#[server(prefix = "/rpc", endpoint = "deploys/approve")]
pub async fn approve_deploy(id: i64, #[server(default)] comment: String) -> Result<(), AppError> {
    rpc(APPROVER, |call| async move {
        let comment = comment.trim().to_string();
        if comment.chars().count() > 500 {
            return Err(AppError::field("comment", Msg::ErrTooLong));
        }
        let user = call.user()?;
        let actor = Actor::user(user);
        store::vote(
            &call.ctx.pool,
            id,
            &user.username,
            &comment,
            &actor,
            chrono::Utc::now(),
        )
        .await?;
        Ok(())
    })
    .await
}

/// An admin overrides the code freeze holding now for one deploy (R-DEP-6),
/// with a written reason; audited.
#[server(prefix = "/rpc", endpoint = "deploys/override_freeze")]
pub async fn override_freeze(id: i64, #[server(default)] reason: String) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let reason = reason.trim().to_string();
        check_reason(&reason)?;
        let user = call.user()?;
        let actor = Actor::user(user);
        store::override_freeze(
            &call.ctx.pool,
            id,
            &user.username,
            &reason,
            &actor,
            call.ctx.time_zone,
            chrono::Utc::now(),
        )
        .await?;
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn check_reason(reason: &str) -> Result<(), AppError> {
    match crate::validate::required_text(reason, 500) {
        Some(m) => Err(AppError::field("reason", m)),
        None => Ok(()),
    }
}

/// Deploy pressed (an approver): the gate must hold; the deploy joins its
/// environment's queue and the executor starts it (checking again).
#[server(prefix = "/rpc", endpoint = "deploys/start")]
pub async fn start_deploy(id: i64) -> Result<(), AppError> {
    rpc(APPROVER, |call| async move {
        let user = call.user()?;
        let actor = Actor::user(user);
        store::request_start(
            &call.ctx.pool,
            id,
            &user.username,
            &actor,
            call.ctx.time_zone,
            chrono::Utc::now(),
        )
        .await?;
        Ok(())
    })
    .await
}

/// One-click rollback of the environment's live deploy (R-DEP-7), with a
/// written reason; the executor sends traffic back.
#[server(prefix = "/rpc", endpoint = "deploys/rollback")]
pub async fn rollback_deploy(id: i64, #[server(default)] reason: String) -> Result<(), AppError> {
    rpc(APPROVER, |call| async move {
        let reason = reason.trim().to_string();
        check_reason(&reason)?;
        let user = call.user()?;
        let actor = Actor::user(user);
        store::request_rollback(
            &call.ctx.pool,
            id,
            &user.username,
            &reason,
            &actor,
            chrono::Utc::now(),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Every environment's deploy settings (admin).
#[server(prefix = "/rpc", endpoint = "deploys/settings")]
pub async fn load_deploy_settings() -> Result<Vec<DeploySettingsView>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        Ok(store::all_settings(&mut conn).await?)
    })
    .await
}

/// Checks a driver's configuration against the shape its driver reads:
/// `command` needs `provision` and `switch` commands and may have `rollback`
/// and `health_url`; `webhook` needs a `url` and may have a `health_url`;
/// `demo` may say `next_unhealthy_at` (`observe` or `health_check`). URLs
/// are http(s) and not opsdeck itself once `{color}`, `{colour}` and
/// `{env}` are filled in. Unknown keys are refused so a typo does not pass
/// silently. Returns the normalised JSON text.
#[cfg(feature = "ssr")]
fn driver_config(
    driver: &str,
    raw: &str,
    me: &crate::notify::channel::SelfAddresses,
) -> Result<String, Msg> {
    let raw = raw.trim();
    let value: serde_json::Value = if raw.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_str(raw).map_err(|_| Msg::ErrDeployDriverConfig)?
    };
    let obj = value.as_object().ok_or(Msg::ErrDeployDriverConfig)?;
    let (required, optional): (&[&str], &[&str]) = match driver {
        "command" => (&["provision", "switch"], &["rollback", "health_url"]),
        "webhook" => (&["url"], &["health_url"]),
        "demo" => (&[], &["next_unhealthy_at"]),
        _ => return Err(Msg::ErrChoice),
    };
    if obj
        .keys()
        .any(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str()))
    {
        return Err(Msg::ErrDeployDriverConfig);
    }
    for key in required.iter().chain(optional) {
        let Some(v) = obj.get(*key) else {
            if required.contains(key) {
                return Err(Msg::ErrDeployDriverConfig);
            }
            continue;
        };
        let s = v
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.chars().count() <= 2000)
            .ok_or(Msg::ErrDeployDriverConfig)?;
        if key.ends_with("url") {
            let filled = s
                .replace("{color}", "blue")
                .replace("{colour}", "blue")
                .replace("{env}", "production");
            // Not opsdeck itself: a step must not call back into the app.
            crate::notify::channel::check_url(&filled, me)?;
        }
        if *key == "next_unhealthy_at" && !matches!(s, "observe" | "health_check") {
            return Err(Msg::ErrDeployDriverConfig);
        }
    }
    Ok(value.to_string())
}

/// Saves one environment's deploy settings (admin): checklist and approvals
/// (Staging and Production keep the checklist, Production at least one
/// approval), the driver and its JSON configuration, step timeout (1–86400
/// s), health check (1–100 consecutive within 1–3600 s, probing every
/// 100–60000 ms), observation (0–86400 s) and the demo's unhealthy switch.
#[server(prefix = "/rpc", endpoint = "deploys/save_settings")]
pub async fn save_deploy_settings(
    environment: String,
    #[server(default)] checklist_required: bool,
    approvals_required: String,
    driver: String,
    #[server(default)] driver_config: String,
    step_timeout_seconds: String,
    health_required_consecutive: String,
    health_timeout_seconds: String,
    health_interval_ms: String,
    observe_seconds: String,
    #[server(default)] demo_next_unhealthy: bool,
) -> Result<(), AppError> {
    use opsdeck::deploy_gate::Environment;
    rpc(Access::ADMIN, |call| async move {
        let mut check = crate::validate::Check::default();
        let env = environment.parse::<Environment>().ok();
        check.field("environment", env.is_none().then_some(Msg::ErrChoice));
        let mut num = |field: &str, s: &str, lo: u32, hi: u32| {
            let v = s
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|v| (lo..=hi).contains(v));
            check.field(field, v.is_none().then_some(Msg::ErrNumberRange));
            v
        };
        let approvals = num("approvals_required", &approvals_required, 0, 10);
        let step_timeout = num("step_timeout_seconds", &step_timeout_seconds, 1, 86_400);
        let health_n = num(
            "health_required_consecutive",
            &health_required_consecutive,
            1,
            100,
        );
        let health_timeout = num("health_timeout_seconds", &health_timeout_seconds, 1, 3600);
        let interval = num("health_interval_ms", &health_interval_ms, 100, 60_000);
        let observe = num("observe_seconds", &observe_seconds, 0, 86_400);
        let driver = driver.trim().to_string();
        let config = self::driver_config(&driver, &driver_config, &call.ctx.notify.me);
        match &config {
            Err(Msg::ErrChoice) => {
                check.field("driver", Some(Msg::ErrChoice));
            }
            Err(m) => {
                check.field("driver_config", Some(*m));
            }
            Ok(_) => {}
        }
        // R-DEP-4 and R-DEP-5 are requirements, not preferences: the
        // settings can raise them, never drop them.
        if let Some(env) = env {
            let needs_checklist = matches!(env, Environment::Staging | Environment::Production);
            check.field(
                "checklist_required",
                (needs_checklist && !checklist_required).then_some(Msg::ErrDeployPolicyFloor),
            );
            check.field(
                "approvals_required",
                (env == Environment::Production && approvals == Some(0))
                    .then_some(Msg::ErrDeployPolicyFloor),
            );
        }
        check.finish()?;
        let (
            Some(env),
            Some(approvals),
            Some(step_timeout),
            Some(health_n),
            Some(health_timeout),
            Some(interval),
            Some(observe),
            Ok(config),
        ) = (
            env,
            approvals,
            step_timeout,
            health_n,
            health_timeout,
            interval,
            observe,
            config,
        )
        else {
            return Err(AppError::Internal);
        };
        let v = DeploySettingsView {
            environment: env,
            checklist_required,
            approvals_required: approvals,
            driver,
            driver_config: config,
            step_timeout_seconds: step_timeout,
            health_required_consecutive: health_n,
            health_timeout_seconds: health_timeout,
            health_interval_ms: interval,
            observe_seconds: observe,
            demo_next_unhealthy,
        };
        let actor = Actor::user(call.user()?);
        store::save_settings(&call.ctx.pool, &v, &actor).await?;
        Ok(())
    })
    .await
}
