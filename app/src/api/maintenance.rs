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
        let view = crate::store::maintenance::set(&mut tx, &actor, on, &message, end).await?;
        tx.commit().await?;
        tracing::info!(active = on, "maintenance mode switched");
        Ok(view)
    })
    .await
}
