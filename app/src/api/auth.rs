//! Login, logout, password change and the shell's state (R-AUTH-1, R-AUTH-5).

use crate::error::AppError;
use crate::model::ShellState;
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::{rpc, rpc_read},
    role::Access,
};
use leptos::prelude::*;

/// Who is signed in and whether maintenance mode is on; every page reads it.
#[server(prefix = "/rpc", endpoint = "auth/load_shell")]
pub async fn load_shell() -> Result<ShellState, AppError> {
    // Read once per server render however many views ask for it.
    rpc_read(
        "auth/load_shell".into(),
        Access::Public,
        |call| async move {
            let mut maintenance = crate::store::maintenance::get(&call.ctx.pool).await?;
            // Who switched maintenance on is for signed-in eyes only: during an
            // incident it would tell an anonymous visitor whom to lock out.
            if call.user.is_none() {
                maintenance.started_by = None;
            }
            // Environment health is for signed-in eyes only; the login page gets none.
            let environments = match call.user {
                Some(_) => crate::store::environments::list(&call.ctx.pool)
                    .await?
                    .into_iter()
                    .map(|e| (e.name, e.health))
                    .collect(),
                None => Vec::new(),
            };
            let unread = match &call.user {
                Some(u) => crate::store::notifications::unread_count(&call.ctx.pool, u.id).await?,
                None => 0,
            };
            Ok(ShellState {
                user: call.user,
                maintenance,
                time_zone: call.ctx.time_zone.name().to_string(),
                environments,
                unread,
            })
        },
    )
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
    use crate::auth::{session, throttle};
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
        let address = crate::auth::guard::client_addr(&call.ctx)
            .await
            .map(crate::auth::guard::throttle_key);
        let admission = throttle::admit(&call.ctx)?;
        let attempt = throttle::begin(&admission, &call.ctx, &username, address.as_deref()).await?;
        let password_ok = throttle::verify(&attempt, password).await?;
        match &attempt.credentials {
            Some(c) if password_ok && !c.disabled => {
                throttle::succeeded(&call.ctx, &attempt).await?;
                session::sign_in(&call.session, c.id, c.session_epoch).await?;
                tracing::info!(user_id = c.id, "login");
                leptos_axum::redirect(&safe_next(&next));
                Ok(())
            }
            _ => Err(AppError::InvalidCredentials),
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
/// Wrong current passwords count as failed logins and are throttled like them.
#[server(prefix = "/rpc", endpoint = "auth/change_password")]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    use crate::auth::{password, session, throttle};
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
        let address = crate::auth::guard::client_addr(&call.ctx)
            .await
            .map(crate::auth::guard::throttle_key);
        let admission = throttle::admit(&call.ctx)?;
        let attempt =
            throttle::begin(&admission, &call.ctx, &user.username, address.as_deref()).await?;
        if attempt.credentials.is_none() {
            return Err(AppError::Unauthenticated);
        }
        if !throttle::verify(&attempt, current).await? {
            return Err(AppError::field("current", Msg::ErrCurrentPasswordWrong));
        }
        throttle::succeeded(&call.ctx, &attempt).await?;
        // Hash with no connection held; only then one short transaction.
        let new_hash = password::hash_async(new).await?;
        drop(admission);
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
