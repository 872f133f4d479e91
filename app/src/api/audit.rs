//! The audit log, read-only for everyone signed in (R-AUTH-4).

use crate::error::AppError;
use crate::model::{AuditRow, Page};
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc, role::Access};
use leptos::prelude::*;

/// Rows shown per audit page.
pub const AUDIT_PER_PAGE: u32 = 50;

#[server(prefix = "/rpc", endpoint = "audit/list")]
pub async fn list_audit(
    page: u32,
    actor: String,
    action: String,
) -> Result<Page<AuditRow>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let filter = crate::store::audit::AuditFilter { actor, action };
        Ok(crate::store::audit::list(&call.ctx.pool, &filter, page, AUDIT_PER_PAGE).await?)
    })
    .await
}
