//! API tokens for machines (R-AUTH-3): admin only.

use crate::error::AppError;
use crate::model::{CreatedToken, TokenRow};
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc, role::Access, store::audit::Actor};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenRow>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        Ok(crate::store::tokens::list(&call.ctx.pool).await?)
    })
    .await
}

/// Creates a token with comma-separated scopes; the secret is in the answer, once.
#[server(prefix = "/rpc", endpoint = "tokens/create")]
pub async fn create_token(name: String, scopes: String) -> Result<CreatedToken, AppError> {
    use crate::validate;
    rpc(Access::ADMIN, |call| async move {
        let name = name.trim().to_string();
        let parsed = validate::scopes(&scopes);
        validate::Check::default()
            .field("name", validate::required_text(&name, 80))
            .field("scopes", parsed.as_ref().err().copied())
            .finish()?;
        let scopes = parsed.map_err(|m| AppError::field("scopes", m))?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let created = crate::store::tokens::create(&mut tx, &actor, &name, &scopes).await?;
        tx.commit().await?;
        Ok(created)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !crate::store::tokens::revoke(&mut tx, &actor, id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}
