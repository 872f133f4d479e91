//! Notification server functions: channels, recipient groups and deliveries
//! (admins), and every user's inbox (issue 8, R-MON-5).

// `save_channel` takes the channel form's fields one by one, as the form posts
// them; the browser-side stub the `#[server]` macro generates has them too.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use crate::model::Page;
use crate::notify::view::{ChannelView, DeliveryView, GroupsPage, InboxItem, TestOutcome};
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc, i18n::Msg, role::Access, store::audit::Actor};
use leptos::prelude::*;

/// Rows per page on the deliveries and inbox pages.
pub const PER_PAGE: u32 = 25;

#[server(prefix = "/rpc", endpoint = "notifications/channels")]
pub async fn list_channels() -> Result<Vec<ChannelView>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        Ok(crate::store::notifications::list_channels(&call.ctx.pool).await?)
    })
    .await
}

/// A unique-name violation is the user's mistake (409), not a server error.
#[cfg(feature = "ssr")]
fn name_conflict(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            AppError::Conflict(crate::error::FieldError::new("name", Msg::ErrNameTaken))
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            AppError::field("members", Msg::ErrUnknownMember)
        }
        _ => e.into(),
    }
}

/// Creates (`id = 0`) or updates a channel. `secret` replaces the stored
/// secret when not empty; `clear_secret` removes it. Returns the channel id.
#[server(prefix = "/rpc", endpoint = "notifications/save_channel")]
pub async fn save_channel(
    id: i64,
    name: String,
    kind: String,
    #[server(default)] enabled: bool,
    lang: String,
    min_interval_ms: String,
    #[server(default)] url: String,
    #[server(default)] smtp_host: String,
    #[server(default)] smtp_port: String,
    #[server(default)] smtp_security: String,
    #[server(default)] smtp_username: String,
    #[server(default)] email_from: String,
    #[server(default)] email_to: String,
    #[server(default)] secret: String,
    #[server(default)] clear_secret: bool,
) -> Result<i64, AppError> {
    use crate::notify::channel::{self, ChannelKind, ChannelSecret, ChannelSettings};
    rpc(Access::ADMIN, |call| async move {
        let mut check = crate::validate::Check::default();
        let name = name.trim().to_string();
        check.field("name", crate::validate::required_text(&name, 64));
        check.field(
            "name",
            (!name.is_empty()
                && !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .then_some(Msg::ErrUsernameFormat),
        );
        let kind = ChannelKind::parse(kind.trim());
        check.field("kind", kind.is_none().then_some(Msg::ErrChoice));
        let lang = crate::i18n::Lang::from_code(&lang);
        check.field("lang", lang.is_none().then_some(Msg::ErrChoice));
        let interval = min_interval_ms
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|v| (0..=3_600_000).contains(v));
        check.field(
            "min_interval_ms",
            interval.is_none().then_some(Msg::ErrNumberRange),
        );
        let mut settings = ChannelSettings::default();
        let me = call.ctx.notify.me.clone();
        let secret = secret.trim().to_string();
        match kind {
            // Slack's URL is the credential: kept as the secret, checked like any URL.
            Some(ChannelKind::Slack) if !secret.is_empty() => {
                check.field("secret", channel::check_url(&secret, &me).err());
            }
            Some(ChannelKind::Slack) => {}
            Some(ChannelKind::Pagerduty) => {
                let raw = if url.trim().is_empty() {
                    channel::PAGERDUTY_EVENTS_URL
                } else {
                    url.trim()
                };
                match channel::check_url(raw, &me) {
                    Ok(u) => settings.url = u.to_string(),
                    Err(m) => {
                        check.field("url", Some(m));
                    }
                }
                check.field("secret", (secret.len() > 200).then_some(Msg::ErrTooLong));
            }
            Some(ChannelKind::Webhook) => {
                match channel::check_url(&url, &me) {
                    Ok(u) => settings.url = u.to_string(),
                    Err(m) => {
                        check.field("url", Some(m));
                    }
                }
                check.field("secret", (secret.len() > 200).then_some(Msg::ErrTooLong));
            }
            Some(ChannelKind::Email) => {
                let host = smtp_host.trim();
                check.field("smtp_host", crate::validate::required_text(host, 253));
                check.field(
                    "smtp_host",
                    host.contains(['/', ':', ' ', '@'])
                        .then_some(Msg::ErrChoice),
                );
                settings.smtp_host = host.to_string();
                match smtp_port.trim().parse::<u16>() {
                    Ok(p) if p > 0 => settings.smtp_port = Some(p),
                    _ => {
                        check.field("smtp_port", Some(Msg::ErrPort));
                    }
                }
                let security = smtp_security.trim();
                check.field(
                    "smtp_security",
                    (!matches!(security, "starttls" | "tls" | "none")).then_some(Msg::ErrChoice),
                );
                settings.smtp_security = security.to_string();
                settings.smtp_username = smtp_username.trim().to_string();
                check.field("email_from", channel::check_mailbox(&email_from).err());
                settings.email_from = email_from.trim().to_string();
                let to: Vec<String> = email_to
                    .split([',', '\n', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                check.field(
                    "email_to",
                    (to.is_empty()
                        || to.len() > 50
                        || to.iter().any(|t| channel::check_mailbox(t).is_err()))
                    .then_some(Msg::ErrEmail),
                );
                settings.email_to = to;
            }
            None => {}
        }
        check.finish()?;
        let (Some(kind), Some(lang), Some(min_interval_ms)) = (kind, lang, interval) else {
            return Err(AppError::Internal);
        };
        let secret = if clear_secret {
            Some(ChannelSecret::default())
        } else if secret.is_empty() {
            None
        } else {
            Some(ChannelSecret { value: secret })
        };
        let input = crate::store::notifications::ChannelInput {
            name,
            kind,
            enabled,
            lang,
            min_interval_ms,
            settings,
            secret,
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let saved = crate::store::notifications::save_channel(
            &mut tx,
            &actor,
            (id > 0).then_some(id),
            &input,
        )
        .await
        .map_err(name_conflict)?
        .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "notifications/delete_channel")]
pub async fn delete_channel(id: i64) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !crate::store::notifications::delete_channel(&mut tx, &actor, id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Sends a test message to one channel now, bypassing the queue, and says how it went.
#[server(prefix = "/rpc", endpoint = "notifications/test_channel")]
pub async fn test_channel(id: i64) -> Result<TestOutcome, AppError> {
    rpc(Access::ADMIN, |call| async move {
        let user = call.user()?;
        let target = crate::store::notifications::channel_target(&call.ctx.pool, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let message = crate::notify::send::Outgoing {
            message_id: 0,
            idempotency_key: format!("test-{}-{}", id, chrono::Utc::now().timestamp_millis()),
            created_at: chrono::Utc::now(),
            event: crate::notify::Event::ChannelTest {
                channel: target.name.clone(),
                by: user.username.clone(),
            },
        };
        let outcome = call.ctx.notify.sender.send(&target, &message).await;
        let actor = Actor::user(user);
        let mut tx = call.ctx.pool.begin().await?;
        crate::store::notifications::audit_test(&mut tx, &actor, &target.name, &outcome).await?;
        tx.commit().await?;
        Ok(TestOutcome {
            ok: outcome.ok,
            status_code: outcome.status_code,
            error: outcome.error,
            latency_ms: outcome.latency_ms,
        })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "notifications/groups")]
pub async fn list_groups() -> Result<GroupsPage, AppError> {
    rpc(Access::ADMIN, |call| async move {
        let pool = &call.ctx.pool;
        let groups = crate::store::notifications::list_groups(pool).await?;
        let users = crate::store::users::list(pool)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        let channels = crate::store::notifications::list_channels(pool)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        Ok(GroupsPage {
            groups,
            users,
            channels,
        })
    })
    .await
}

#[cfg(feature = "ssr")]
fn id_list(s: &str) -> Result<Vec<i64>, ()> {
    s.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<i64>().map_err(|_| ()))
        .collect()
}

/// Creates (`id = 0`) or updates a group; members as comma-separated ids and role names.
#[server(prefix = "/rpc", endpoint = "notifications/save_group")]
pub async fn save_group(
    id: i64,
    name: String,
    #[server(default)] description: String,
    #[server(default)] user_ids: String,
    #[server(default)] roles: String,
    #[server(default)] channel_ids: String,
) -> Result<i64, AppError> {
    rpc(Access::ADMIN, |call| async move {
        let name = name.trim().to_string();
        let mut check = crate::validate::Check::default();
        check.field("name", crate::validate::required_text(&name, 64));
        check.field(
            "description",
            (description.chars().count() > 500).then_some(Msg::ErrTooLong),
        );
        let user_ids = id_list(&user_ids);
        let channel_ids = id_list(&channel_ids);
        check.field(
            "members",
            (user_ids.is_err() || channel_ids.is_err()).then_some(Msg::ErrUnknownMember),
        );
        let roles = if roles.trim().is_empty() {
            Ok(vec![])
        } else {
            crate::validate::roles(&roles)
        };
        check.field("roles", roles.as_ref().err().copied());
        check.finish()?;
        let pool = &call.ctx.pool;
        if id > 0 {
            let groups = crate::store::notifications::list_groups(pool).await?;
            let current = groups
                .iter()
                .find(|g| g.id == id)
                .ok_or(AppError::NotFound)?;
            if current.reserved && current.name != name {
                return Err(AppError::field("name", Msg::ErrReservedGroup));
            }
        }
        let input = crate::store::notifications::GroupInput {
            name,
            description: description.trim().to_string(),
            user_ids: user_ids.unwrap_or_default(),
            roles: roles.unwrap_or_default(),
            channel_ids: channel_ids.unwrap_or_default(),
        };
        let actor = Actor::user(call.user()?);
        let mut tx = pool.begin().await?;
        let saved = crate::store::notifications::save_group(
            &mut tx,
            &actor,
            (id > 0).then_some(id),
            &input,
        )
        .await
        .map_err(name_conflict)?
        .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "notifications/delete_group")]
pub async fn delete_group(id: i64) -> Result<(), AppError> {
    use crate::store::notifications::DeleteGroup;
    rpc(Access::ADMIN, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        match crate::store::notifications::delete_group(&mut tx, &actor, id).await? {
            DeleteGroup::Deleted => {}
            DeleteGroup::NotFound => return Err(AppError::NotFound),
            DeleteGroup::Reserved => {
                return Err(AppError::Conflict(crate::error::FieldError::new(
                    "name",
                    Msg::ErrReservedGroup,
                )))
            }
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The deliveries page: filters by status, channel name and event kind; paged.
#[server(prefix = "/rpc", endpoint = "notifications/deliveries")]
pub async fn list_deliveries(
    page: u32,
    #[server(default)] status: String,
    #[server(default)] channel: String,
    #[server(default)] kind: String,
) -> Result<Page<DeliveryView>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        let status = status.trim().to_string();
        if !matches!(
            status.as_str(),
            "" | "pending" | "delivered" | "failed" | "skipped"
        ) {
            return Err(AppError::field("status", Msg::ErrChoice));
        }
        let filter = crate::store::notifications::DeliveryFilter {
            status,
            channel: channel.trim().to_string(),
            kind: kind.trim().to_string(),
        };
        let lang = crate::request_lang();
        Ok(crate::store::notifications::list_deliveries(
            &call.ctx.pool,
            &filter,
            lang,
            page,
            PER_PAGE,
        )
        .await?)
    })
    .await
}

/// Queues a failed delivery again.
#[server(prefix = "/rpc", endpoint = "notifications/retry_delivery")]
pub async fn retry_delivery(id: i64) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !crate::store::notifications::retry_delivery(&mut tx, &actor, id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The signed-in user's inbox, in their language.
#[server(prefix = "/rpc", endpoint = "inbox/list")]
pub async fn list_inbox(
    page: u32,
    #[server(default)] unread_only: bool,
) -> Result<Page<InboxItem>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let user = call.user()?;
        let lang = crate::request_lang();
        Ok(crate::store::notifications::inbox(
            &call.ctx.pool,
            user.id,
            unread_only,
            lang,
            page,
            PER_PAGE,
        )
        .await?)
    })
    .await
}

/// Marks one message (`message_id > 0`) or every message (`0`) read; returns how many changed.
#[server(prefix = "/rpc", endpoint = "inbox/mark_read")]
pub async fn mark_read(message_id: i64) -> Result<u64, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let user = call.user()?;
        Ok(crate::store::notifications::mark_read(
            &call.ctx.pool,
            user.id,
            (message_id > 0).then_some(message_id),
        )
        .await?)
    })
    .await
}
