//! Switching emergency maintenance mode (R-MNT-3): operators (and admins).

use crate::error::AppError;
use crate::model::MaintenanceView;
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc,
    role::{Access, Role},
    store::audit::Actor,
};
use leptos::prelude::*;

/// Switches maintenance on (`on = true`, with message and estimated end in the
/// display zone as `YYYY-MM-DDTHH:MM`) or off.
#[server(prefix = "/rpc", endpoint = "maintenance/set")]
pub async fn set_maintenance(
    on: bool,
    message: String,
    estimated_end: String,
) -> Result<MaintenanceView, AppError> {
    use crate::i18n::Msg;
    rpc(Access::AnyOf(&[Role::Operator]), |call| async move {
        let message = if message.trim().is_empty() {
            Msg::MaintenanceDefaultMessage
                .text(crate::i18n::Lang::Ja)
                .to_string()
        } else {
            message.trim().to_string()
        };
        let end = if on {
            crate::time::parse_local(&estimated_end, call.ctx.time_zone)
                .map_err(|m| AppError::field("estimated_end", m))?
        } else {
            None
        };
        let mut check = crate::validate::Check::default();
        check.field(
            "message",
            (message.chars().count() > 500).then_some(Msg::ErrTooLong),
        );
        if let Some(end) = end {
            check.field(
                "estimated_end",
                (end <= chrono::Utc::now()).then_some(Msg::ErrInPast),
            );
        }
        check.finish()?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let before = crate::store::maintenance::get(&mut *tx).await?;
        let view = crate::store::maintenance::set(&mut tx, &actor, on, &message, end).await?;
        // On-call hears of every switch, in this transaction (issue 8). A
        // message edit while on shares the spell's key, so it is not a second page.
        let event = match (on, view.started_at, before.started_at) {
            (true, Some(started_at), _) => Some(crate::notify::Event::MaintenanceOn {
                by: actor.name.clone(),
                message: message.clone(),
                estimated_end: end.map(|e| crate::time::format(e, call.ctx.time_zone)),
                started_at,
            }),
            (false, _, Some(started_at)) if before.active => {
                Some(crate::notify::Event::MaintenanceOff {
                    by: actor.name.clone(),
                    started_at: Some(started_at),
                })
            }
            _ => None,
        };
        if let Some(event) = event {
            let spell = match &event {
                crate::notify::Event::MaintenanceOn { started_at, .. } => {
                    started_at.timestamp_micros()
                }
                _ => before
                    .started_at
                    .map(|t| t.timestamp_micros())
                    .unwrap_or_default(),
            };
            let key = format!("{}-{spell}", event.kind());
            crate::store::notifications::notify(&mut tx, "oncall", &event, &key).await?;
        }
        tx.commit().await?;
        tracing::info!(active = on, "maintenance mode switched");
        Ok(view)
    })
    .await
}
