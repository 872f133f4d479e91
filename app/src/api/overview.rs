//! The overview's data (R-UI-1, R-DEP-1).

use crate::error::AppError;
use crate::model::EnvironmentRow;
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc, role::Access};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "overview/environments")]
pub async fn list_environments() -> Result<Vec<EnvironmentRow>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        Ok(crate::store::environments::list(&call.ctx.pool).await?)
    })
    .await
}
