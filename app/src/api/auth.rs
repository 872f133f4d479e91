//! Login, logout, password change and the shell's state (R-AUTH-1, R-AUTH-5).

use crate::error::AppError;
use crate::model::ShellState;
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc, role::Access};
use leptos::prelude::*;

/// Who is signed in and whether maintenance mode is on; every page reads it.
#[server(prefix = "/rpc", endpoint = "auth/load_shell")]
pub async fn load_shell() -> Result<ShellState, AppError> {
    rpc(Access::Public, |call| async move {
        let maintenance = crate::store::maintenance::get(&call.ctx.pool).await?;
        // Environment health is for signed-in eyes only; the login page gets none.
        let environments = match call.user {
            Some(_) => crate::store::environments::list(&call.ctx.pool)
                .await?
                .into_iter()
                .map(|e| (e.name, e.health))
                .collect(),
            None => Vec::new(),
        };
        Ok(ShellState {
            user: call.user,
            maintenance,
            time_zone: call.ctx.time_zone.name().to_string(),
            environments,
        })
    })
    .await
}

/// Only local paths are followed after login, never another site, and only
/// visible ASCII (the value becomes a `Location` header).
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2048
        && next.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/audit?page=2"), "/audit?page=2");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next("/a b"), "/");
        assert_eq!(safe_next("/ünïcode"), "/");
    }
}

/// Checks the password, rotates the session id and signs the user in.
#[server(prefix = "/rpc", endpoint = "auth/login")]
pub async fn login(username: String, password: String, next: String) -> Result<(), AppError> {
    use crate::auth::{password, session};
    use crate::store::{login_failures, users};
    rpc(Access::Public, |call| async move {
        let username = username.trim().to_lowercase();
        let mut check = crate::validate::Check::default();
        check
            .field(
                "username",
                username.is_empty().then_some(crate::i18n::Msg::ErrRequired),
            )
            .field(
                "password",
                password.is_empty().then_some(crate::i18n::Msg::ErrRequired),
            )
            .finish()?;
        // Names longer than any real one are refused like a wrong password (and not stored).
        if username.chars().count() > 64 {
            return Err(AppError::InvalidCredentials);
        }
        let address = crate::auth::guard::client_addr(call.ctx.trust_proxy)
            .await
            .map(|a| a.to_string());
        // One transaction per attempt, holding the account's lock from check to record.
        let mut tx = call.ctx.pool.begin().await?;
        if !login_failures::try_lock_account(&mut tx, &username).await? {
            return Err(AppError::RateLimited {
                retry_after_secs: 1,
            });
        }
        if let Some(secs) = login_failures::retry_after(
            &mut tx,
            call.ctx.login_limits,
            &username,
            address.as_deref(),
        )
        .await?
        {
            tracing::warn!(address = ?address, "login throttled");
            return Err(AppError::RateLimited {
                retry_after_secs: secs,
            });
        }
        let creds = users::credentials(&mut tx, &username).await?;
        // Verify against a decoy for unknown users: same time, same answer.
        let hash = creds
            .as_ref()
            .map(|c| c.password_hash.clone())
            .unwrap_or_else(|| password::decoy_hash().to_string());
        let password_ok = password::verify_async(password, hash).await?;
        match creds {
            Some(c) if password_ok && !c.disabled => {
                tx.commit().await?;
                session::sign_in(&call.session, c.id, c.session_epoch).await?;
                tracing::info!(user_id = c.id, "login");
                leptos_axum::redirect(&safe_next(&next));
                Ok(())
            }
            _ => {
                login_failures::record(&mut tx, &username, address.as_deref()).await?;
                tx.commit().await?;
                Err(AppError::InvalidCredentials)
            }
        }
    })
    .await
}

/// Ends the session.
#[server(prefix = "/rpc", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    rpc(Access::SignedIn, |call| async move {
        crate::auth::session::sign_out(&call.session).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Changes the signed-in user's own password; other sessions end, this one stays.
#[server(prefix = "/rpc", endpoint = "auth/change_password")]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    use crate::auth::{password, session};
    use crate::i18n::Msg;
    rpc(Access::SignedIn, |call| async move {
        let user = call.user()?.clone();
        let mut check = crate::validate::Check::default();
        check
            .field("current", current.is_empty().then_some(Msg::ErrRequired))
            .field("new", crate::validate::new_password(&new))
            .field(
                "repeat",
                (new != repeat).then_some(Msg::ErrPasswordMismatch),
            )
            .finish()?;
        let mut conn = call.ctx.pool.acquire().await?;
        let creds = crate::store::users::credentials(&mut conn, &user.username)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !password::verify_async(current, creds.password_hash).await? {
            return Err(AppError::field("current", Msg::ErrCurrentPasswordWrong));
        }
        let new_hash = password::hash_async(new).await?;
        let mut tx = call.ctx.pool.begin().await?;
        let actor = crate::store::audit::Actor::user(&user);
        let epoch = crate::store::users::set_password(
            &mut tx,
            &actor,
            user.id,
            &new_hash,
            "user.password_change",
        )
        .await?
        .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        session::sign_in(&call.session, user.id, epoch).await
    })
    .await
}
