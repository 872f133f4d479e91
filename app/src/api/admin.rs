//! User administration (R-AUTH-1, R-AUTH-2): admin only.

use crate::error::AppError;
use crate::model::UserRow;
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc,
    role::{Access, Role},
    store::audit::Actor,
};
use leptos::prelude::*;

/// Every user with their roles.
#[server(prefix = "/rpc", endpoint = "admin/list_users")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        Ok(crate::store::users::list(&call.ctx.pool).await?)
    })
    .await
}

/// Creates a user. `roles` is comma-separated, e.g. `viewer,operator`.
#[server(prefix = "/rpc", endpoint = "admin/create_user")]
pub async fn create_user(
    username: String,
    display_name: String,
    password: String,
    roles: String,
) -> Result<i64, AppError> {
    use crate::i18n::Msg;
    use crate::validate;
    rpc(Access::ADMIN, |call| async move {
        let username = username.trim().to_lowercase();
        let display_name = if display_name.trim().is_empty() {
            username.clone()
        } else {
            display_name.trim().to_string()
        };
        let parsed_roles = validate::roles(&roles);
        let mut check = validate::Check::default();
        check
            .field("username", validate::username(&username))
            .field(
                "display_name",
                (display_name.chars().count() > 80).then_some(Msg::ErrTooLong),
            )
            .field("password", validate::new_password(&password))
            .field("roles", parsed_roles.as_ref().err().copied())
            .finish()?;
        let roles = parsed_roles.map_err(|m| AppError::field("roles", m))?;
        let hash = crate::auth::password::hash_async(password).await?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let id =
            crate::store::users::create(&mut tx, &actor, &username, &display_name, &hash, &roles)
                .await?
                .ok_or_else(|| {
                    AppError::Conflict(crate::error::FieldError::new(
                        "username",
                        Msg::ErrUsernameTaken,
                    ))
                })?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

/// Replaces a user's roles (comma-separated).
#[server(prefix = "/rpc", endpoint = "admin/set_roles")]
pub async fn set_roles(user_id: i64, roles: String) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let roles = crate::validate::roles(&roles).map_err(|m| AppError::field("roles", m))?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !roles.contains(&Role::Admin)
            && !crate::store::users::another_admin_exists(&mut tx, user_id).await?
        {
            return Err(AppError::field("roles", crate::i18n::Msg::ErrLastAdmin));
        }
        if !crate::store::users::set_roles(&mut tx, &actor, user_id, &roles).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Disables (ending their sessions) or re-enables a user. Admins cannot disable themselves.
#[server(prefix = "/rpc", endpoint = "admin/set_disabled")]
pub async fn set_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let me = call.user()?;
        if disabled && me.id == user_id {
            return Err(AppError::field(
                "user",
                crate::i18n::Msg::ErrCannotDisableSelf,
            ));
        }
        let actor = Actor::user(me);
        let mut tx = call.ctx.pool.begin().await?;
        if disabled && !crate::store::users::another_admin_exists(&mut tx, user_id).await? {
            return Err(AppError::field("user", crate::i18n::Msg::ErrLastAdmin));
        }
        if !crate::store::users::set_disabled(&mut tx, &actor, user_id, disabled).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Sets a new password for a user and ends their sessions.
#[server(prefix = "/rpc", endpoint = "admin/reset_password")]
pub async fn reset_password(user_id: i64, password: String) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        crate::validate::Check::default()
            .field("password", crate::validate::new_password(&password))
            .finish()?;
        let hash = crate::auth::password::hash_async(password).await?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        crate::store::users::set_password(&mut tx, &actor, user_id, &hash, "user.password_reset")
            .await?
            .ok_or(AppError::NotFound)?;
        // The user learns of it in their inbox when they next sign in (issue 8).
        let event = crate::notify::Event::PasswordReset {
            by: actor.name.clone(),
        };
        let key = format!(
            "password-reset-{user_id}-{}",
            chrono::Utc::now().timestamp_micros()
        );
        crate::store::notifications::notify_user(&mut tx, user_id, &event, &key).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}
