//! The DR runbook (issue 13 item 5, R-BAK-4): everyone signed in reads the
//! incidents, follows the live checklist and exports the post-incident
//! report; operators declare, work the steps and resolve. Every change is
//! audited; declaring tells `oncall` in the same transaction.

use crate::error::AppError;
use crate::model::incidents::{IncidentDetail, IncidentsView};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc,
    error::FieldError,
    i18n::Msg,
    model::incidents::{
        IncidentSeverity, StepAction, MAX_INCIDENT_NOTES, MAX_OWNER, MAX_STEP_NOTES, MAX_TITLE,
    },
    role::{Access, Role},
    store::audit::Actor,
    store::incidents::{self as store, Change},
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const OPERATOR: Access = Access::AnyOf(&[Role::Operator]);

#[cfg(feature = "ssr")]
fn too_long(s: &str, max: usize) -> Option<Msg> {
    (s.chars().count() > max).then_some(Msg::ErrTooLong)
}

#[cfg(feature = "ssr")]
fn answer(change: Change) -> Result<(), AppError> {
    match change {
        Change::Done => Ok(()),
        Change::NotFound => Err(AppError::NotFound),
        Change::Resolved => Err(AppError::Conflict(FieldError::new(
            "id",
            Msg::ErrIncidentResolved,
        ))),
    }
}

/// Every incident, open ones first, with its progress.
#[server(prefix = "/rpc", endpoint = "incidents/list")]
pub async fn list_incidents() -> Result<IncidentsView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        Ok(store::list(&mut conn, 200, chrono::Utc::now()).await?)
    })
    .await
}

/// One incident: its checklist, the time against the RTO and the report as it reads now.
#[server(prefix = "/rpc", endpoint = "incidents/load")]
pub async fn load_incident(id: i64) -> Result<IncidentDetail, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        store::detail(
            &mut conn,
            id,
            call.ctx.time_zone,
            crate::request_lang(),
            chrono::Utc::now(),
        )
        .await?
        .ok_or(AppError::NotFound)
    })
    .await
}

/// The post-incident report as Markdown (the timeline of the steps and the
/// time to recovery against the RTO), in the caller's language.
#[server(prefix = "/rpc", endpoint = "incidents/report")]
pub async fn incident_report(id: i64) -> Result<String, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        store::report(
            &mut conn,
            id,
            call.ctx.time_zone,
            crate::request_lang(),
            chrono::Utc::now(),
        )
        .await?
        .ok_or(AppError::NotFound)
    })
    .await
}

/// Declares an incident: opens its runbook and tells `oncall`. Returns its id.
#[server(prefix = "/rpc", endpoint = "incidents/declare")]
pub async fn declare_incident(
    title: String,
    severity: String,
    #[server(default)] notes: String,
) -> Result<i64, AppError> {
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        check.field("title", crate::validate::required_text(&title, MAX_TITLE));
        let severity = IncidentSeverity::parse(&severity);
        check.field("severity", severity.is_none().then_some(Msg::ErrChoice));
        check.field("notes", too_long(notes.trim(), MAX_INCIDENT_NOTES));
        check.finish()?;
        let severity = severity.ok_or(AppError::Internal)?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let id = store::declare(
            &mut tx,
            &actor,
            title.trim(),
            severity,
            notes.trim(),
            call.ctx.time_zone,
            chrono::Utc::now(),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(incident = id, by = %actor.name, "incident declared");
        Ok(id)
    })
    .await
}

/// Works one step of an open incident: `action` is `save` (owner and
/// notes), `start`, `done` (tick) or `undone` (untick).
#[server(prefix = "/rpc", endpoint = "incidents/update_step")]
pub async fn update_step(
    id: i64,
    step: i32,
    action: String,
    #[server(default)] owner: String,
    #[server(default)] notes: String,
) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let action = StepAction::parse(&action);
        check.field("action", action.is_none().then_some(Msg::ErrChoice));
        check.field(
            "step",
            (!(1..=100).contains(&step)).then_some(Msg::ErrChoice),
        );
        check.field("owner", too_long(owner.trim(), MAX_OWNER));
        check.field("notes", too_long(notes.trim(), MAX_STEP_NOTES));
        check.finish()?;
        let action = action.ok_or(AppError::Internal)?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let change = store::update_step(
            &mut tx,
            &actor,
            id,
            step,
            action,
            owner.trim(),
            notes.trim(),
            chrono::Utc::now(),
        )
        .await?;
        answer(change)?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Resolves an open incident, with optional closing notes; `oncall` hears it is over.
#[server(prefix = "/rpc", endpoint = "incidents/resolve")]
pub async fn resolve_incident(id: i64, #[server(default)] notes: String) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        check.field("notes", too_long(notes.trim(), MAX_INCIDENT_NOTES));
        check.finish()?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let change = store::resolve(
            &mut tx,
            &actor,
            id,
            notes.trim(),
            call.ctx.time_zone,
            chrono::Utc::now(),
        )
        .await?;
        answer(change)?;
        tx.commit().await?;
        tracing::info!(incident = id, by = %actor.name, "incident resolved");
        Ok(())
    })
    .await
}
