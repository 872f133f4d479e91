//! The outbox, channels, recipient groups and inbox (issue 8, R-MON-5).
//!
//! `notify` and `notify_user` are what every area calls, inside the
//! transaction of the change they report: the message, its deliveries and
//! its inbox rows commit (or roll back) with that change. The outbox worker
//! claims due deliveries with `FOR UPDATE SKIP LOCKED` and a claim token, so
//! several opsdeck processes never send one delivery at the same time.

use super::audit::{self, Actor};
use crate::i18n::Lang;
use crate::model::Page;
use crate::notify::channel::{self, ChannelKind, ChannelSecret, ChannelSettings};
use crate::notify::send::{ChannelTarget, Outcome, Outgoing};
use crate::notify::view::{AttemptView, ChannelView, DeliveryView, GroupView, InboxItem};
use crate::notify::Event;
use crate::role::Role;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};

/// Largest stored event, as JSON. Events are short texts; anything bigger is a bug upstream.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// The groups areas address by name: they can be edited but not deleted.
pub const RESERVED_GROUPS: [&str; 4] = ["finance-team", "tech-lead", "stakeholders", "oncall"];

/// The Postgres channel the worker listens on for new messages.
pub const WAKE_CHANNEL: &str = "opsdeck_outbox";

/// Why a message could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("unknown recipient group `{0}`")]
    UnknownGroup(String),
    #[error("message of {0} bytes is over the limit of {MAX_EVENT_BYTES}")]
    TooLarge(usize),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<NotifyError> for crate::error::AppError {
    fn from(e: NotifyError) -> Self {
        // An area addressing a group that does not exist, or an oversized
        // event, is a programming error: logged here, answered as 500.
        tracing::error!(error = %e, "notification not queued");
        crate::error::AppError::Internal
    }
}

async fn insert_message(
    conn: &mut PgConnection,
    event: &Event,
    group: Option<&str>,
    idempotency_key: &str,
) -> Result<Option<i64>, NotifyError> {
    let json = serde_json::to_value(event).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let size = json.to_string().len();
    if size > MAX_EVENT_BYTES {
        return Err(NotifyError::TooLarge(size));
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO notification_messages (event, kind, severity, group_name, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(json)
    .bind(event.kind())
    .bind(event.severity().as_str())
    .bind(group)
    .bind(idempotency_key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id)
}

/// Queues `event` for every channel and user of `group`, in the caller's
/// transaction. The same `idempotency_key` twice is one message (`None` the
/// second time). Channels that are not configured or are switched off get a
/// `skipped` delivery, so the deliveries page shows why nobody heard.
pub async fn notify(
    conn: &mut PgConnection,
    group: &str,
    event: &Event,
    idempotency_key: &str,
) -> Result<Option<i64>, NotifyError> {
    let group_id: i64 = sqlx::query_scalar("SELECT id FROM recipient_groups WHERE name = $1")
        .bind(group)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| NotifyError::UnknownGroup(group.to_string()))?;
    let Some(message_id) = insert_message(conn, event, Some(group), idempotency_key).await? else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO notification_deliveries (message_id, channel_id, status, last_error) \
         SELECT $1, c.id, \
                CASE WHEN c.configured AND c.enabled THEN 'pending' ELSE 'skipped' END, \
                CASE WHEN NOT c.configured THEN 'channel not configured' \
                     WHEN NOT c.enabled THEN 'channel switched off' END \
         FROM recipient_group_channels gc JOIN notification_channels c ON c.id = gc.channel_id \
         WHERE gc.group_id = $2",
    )
    .bind(message_id)
    .bind(group_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO inbox_items (message_id, user_id) \
         SELECT $1, u.id FROM users u WHERE NOT u.disabled AND ( \
           EXISTS (SELECT 1 FROM recipient_group_users gu WHERE gu.group_id = $2 AND gu.user_id = u.id) \
           OR EXISTS (SELECT 1 FROM recipient_group_roles gr JOIN user_roles ur ON ur.role = gr.role \
                      WHERE gr.group_id = $2 AND ur.user_id = u.id)) \
         ON CONFLICT DO NOTHING",
    )
    .bind(message_id)
    .bind(group_id)
    .execute(&mut *conn)
    .await?;
    // Delivered to listeners at commit; a rolled-back change wakes nobody.
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(WAKE_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(Some(message_id))
}

/// Puts `event` in one user's inbox only (no channels), in the caller's transaction.
pub async fn notify_user(
    conn: &mut PgConnection,
    user_id: i64,
    event: &Event,
    idempotency_key: &str,
) -> Result<Option<i64>, NotifyError> {
    let Some(message_id) = insert_message(conn, event, None, idempotency_key).await? else {
        return Ok(None);
    };
    sqlx::query("INSERT INTO inbox_items (message_id, user_id) VALUES ($1, $2)")
        .bind(message_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(message_id))
}

// ---------------------------------------------------------------- worker side

/// Deliveries one worker claimed for one channel.
#[derive(Debug)]
pub struct ClaimedBatch {
    pub target: ChannelTarget,
    pub deliveries: Vec<ClaimedDelivery>,
}

#[derive(Debug)]
pub struct ClaimedDelivery {
    pub delivery_id: i64,
    /// Attempts including this one.
    pub attempt: i32,
    pub message: Outgoing,
}

fn target_from_row(r: &sqlx::postgres::PgRow) -> Result<ChannelTarget, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let settings: serde_json::Value = r.try_get("settings")?;
    let secrets: serde_json::Value = r.try_get("secrets")?;
    let lang: String = r.try_get("lang")?;
    Ok(ChannelTarget {
        id: r.try_get("channel_id")?,
        name: r.try_get("channel_name")?,
        kind: ChannelKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Protocol(format!("unknown channel kind {kind}")))?,
        lang: Lang::from_code(&lang).unwrap_or(Lang::Ja),
        settings: serde_json::from_value::<ChannelSettings>(settings).unwrap_or_default(),
        secret: serde_json::from_value::<ChannelSecret>(secrets).unwrap_or_default(),
        max_in_flight: usize::try_from(r.try_get::<i32, _>("max_in_flight")?)
            .unwrap_or(1)
            .max(1),
    })
}

/// How many rounds of `max_in_flight` sends one claimed batch holds at most:
/// bigger batches spread the cost of claiming and recording over more
/// messages (the outbox benchmark measured ×1.6 from 8 to 32). A batch that
/// meets slow receivers does not hold its claim longer: what cannot start
/// in time is released (see the worker).
pub const WAVES_PER_BATCH: i64 = 32;

/// Claims due deliveries: per channel that is not busy in this process and
/// whose rate limit allows it, up to `per_channel` and `WAVES_PER_BATCH`
/// times its `max_in_flight` (one for a rate-limited channel, whose next
/// slot moves on by its interval). A claim lasts `claim_secs`; a worker that
/// dies holding one lets it lapse.
pub async fn claim_due(
    pool: &PgPool,
    busy_channels: &[i64],
    per_channel: i64,
    claim_secs: f64,
    claim_token: &str,
) -> Result<Vec<ClaimedBatch>, sqlx::Error> {
    let rows = sqlx::query(
        "WITH due_channels AS ( \
            SELECT c.id, c.min_interval_ms, c.max_in_flight FROM notification_channels c \
            WHERE c.next_send_at <= now() AND c.enabled AND c.configured AND NOT (c.id = ANY($1)) \
              AND EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.channel_id = c.id \
                          AND d.status = 'pending' AND d.next_attempt_at <= now()) \
            FOR UPDATE SKIP LOCKED \
         ), picked AS ( \
            SELECT p.id FROM due_channels c CROSS JOIN LATERAL ( \
                SELECT d.id FROM notification_deliveries d \
                WHERE d.channel_id = c.id AND d.status = 'pending' AND d.next_attempt_at <= now() \
                  AND (d.claimed_until IS NULL OR d.claimed_until < now()) \
                ORDER BY d.next_attempt_at, d.id \
                LIMIT CASE WHEN c.min_interval_ms > 0 THEN 1 ELSE LEAST(c.max_in_flight * $5, $2) END \
                FOR UPDATE SKIP LOCKED) p \
         ), claimed AS ( \
            UPDATE notification_deliveries d \
            SET claimed_until = now() + make_interval(secs => $3), claim_token = $4, attempts = d.attempts + 1 \
            FROM picked WHERE d.id = picked.id \
            RETURNING d.id, d.channel_id, d.message_id, d.attempts \
         ), paced AS ( \
            UPDATE notification_channels c \
            SET next_send_at = now() + make_interval(secs => c.min_interval_ms / 1000.0) \
            WHERE c.min_interval_ms > 0 AND c.id IN (SELECT channel_id FROM claimed) \
         ) \
         SELECT cl.id AS delivery_id, cl.attempts, m.id AS message_id, m.idempotency_key, \
                m.created_at, m.event, c.id AS channel_id, c.name AS channel_name, c.kind, \
                c.lang, c.settings, c.secrets, c.max_in_flight \
         FROM claimed cl JOIN notification_messages m ON m.id = cl.message_id \
         JOIN notification_channels c ON c.id = cl.channel_id \
         ORDER BY c.id, cl.id",
    )
    .bind(busy_channels)
    .bind(per_channel)
    .bind(claim_secs)
    .bind(claim_token)
    .bind(WAVES_PER_BATCH)
    .fetch_all(pool)
    .await?;
    let mut batches: Vec<ClaimedBatch> = Vec::new();
    for r in &rows {
        let channel_id: i64 = r.try_get("channel_id")?;
        let event: serde_json::Value = r.try_get("event")?;
        let event: Event = serde_json::from_value(event)
            .map_err(|e| sqlx::Error::Protocol(format!("stored event unreadable: {e}")))?;
        let delivery = ClaimedDelivery {
            delivery_id: r.try_get("delivery_id")?,
            attempt: r.try_get("attempts")?,
            message: Outgoing {
                message_id: r.try_get("message_id")?,
                idempotency_key: r.try_get("idempotency_key")?,
                created_at: r.try_get("created_at")?,
                event,
            },
        };
        match batches.last_mut() {
            Some(b) if b.target.id == channel_id => b.deliveries.push(delivery),
            _ => batches.push(ClaimedBatch {
                target: target_from_row(r)?,
                deliveries: vec![delivery],
            }),
        }
    }
    Ok(batches)
}

/// When to try again, or `None` to give up: exponential back-off from
/// `base` (doubling per attempt, capped at `cap`) with "equal jitter" (half
/// fixed, half random) so a receiver that comes back is not hit by every
/// retry at once; no retry starts later than `give_up_after` from the message.
pub fn next_attempt(
    attempt: i32,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    base: std::time::Duration,
    cap: std::time::Duration,
    give_up_after: std::time::Duration,
    random_unit: f64,
) -> Option<DateTime<Utc>> {
    let exp = 2f64.powi(attempt.clamp(1, 30) - 1);
    let full = (base.as_secs_f64() * exp).min(cap.as_secs_f64());
    let wait = full / 2.0 + full / 2.0 * random_unit.clamp(0.0, 1.0);
    let at = now + chrono::Duration::milliseconds((wait * 1000.0) as i64);
    let deadline = created_at + chrono::Duration::from_std(give_up_after).ok()?;
    (at <= deadline).then_some(at)
}

/// One finished attempt, to be recorded.
#[derive(Debug)]
pub struct Finished {
    pub delivery_id: i64,
    pub outcome: Outcome,
    /// `None`: delivered or given up.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Records attempts and moves each delivery on: delivered, retried later, or
/// failed. Only rows still holding `claim_token` change, so a worker whose
/// claim lapsed cannot overwrite the worker that took over.
pub async fn record(
    pool: &PgPool,
    claim_token: &str,
    done: &[Finished],
) -> Result<(), sqlx::Error> {
    if done.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = done.iter().map(|f| f.delivery_id).collect();
    let ok: Vec<bool> = done.iter().map(|f| f.outcome.ok).collect();
    let codes: Vec<Option<i32>> = done
        .iter()
        .map(|f| f.outcome.status_code.map(i32::from))
        .collect();
    let errors: Vec<Option<String>> = done.iter().map(|f| f.outcome.error.clone()).collect();
    let latency: Vec<i32> = done.iter().map(|f| f.outcome.latency_ms).collect();
    let retry: Vec<Option<DateTime<Utc>>> = done.iter().map(|f| f.retry_at).collect();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "WITH input AS ( \
            SELECT * FROM unnest($1::bigint[], $2::bool[], $3::int[], $4::text[], $5::int[], $6::timestamptz[]) \
                AS t(id, ok, code, error, latency, retry_at) \
         ), moved AS ( \
            UPDATE notification_deliveries d SET \
                status = CASE WHEN i.ok THEN 'delivered' WHEN i.retry_at IS NULL THEN 'failed' ELSE 'pending' END, \
                delivered_at = CASE WHEN i.ok THEN now() END, \
                next_attempt_at = COALESCE(i.retry_at, d.next_attempt_at), \
                last_error = i.error, claimed_until = NULL, claim_token = NULL \
            FROM input i WHERE d.id = i.id AND d.claim_token = $7 \
            RETURNING d.id \
         ) \
         INSERT INTO notification_attempts (delivery_id, ok, status_code, error, latency_ms) \
         SELECT i.id, i.ok, i.code, i.error, i.latency FROM input i",
    )
    .bind(&ids)
    .bind(&ok)
    .bind(&codes)
    .bind(&errors)
    .bind(&latency)
    .bind(&retry)
    .bind(claim_token)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Gives back claimed deliveries that were not attempted (the claim would
/// have run out first): due again at once, the attempt not counted.
pub async fn release(pool: &PgPool, claim_token: &str, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE notification_deliveries SET claimed_until = NULL, claim_token = NULL, attempts = attempts - 1 \
         WHERE id = ANY($1) AND claim_token = $2",
    )
    .bind(ids)
    .bind(claim_token)
    .execute(pool)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- channels

fn channel_view(r: &sqlx::postgres::PgRow) -> Result<ChannelView, sqlx::Error> {
    let settings: serde_json::Value = r.try_get("settings")?;
    let s: ChannelSettings = serde_json::from_value(settings).unwrap_or_default();
    Ok(ChannelView {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        configured: r.try_get("configured")?,
        enabled: r.try_get("enabled")?,
        lang: r.try_get("lang")?,
        min_interval_ms: r.try_get("min_interval_ms")?,
        url: s.url,
        smtp_host: s.smtp_host,
        smtp_port: s.smtp_port,
        smtp_security: s.smtp_security,
        smtp_username: s.smtp_username,
        email_from: s.email_from,
        email_to: s.email_to,
        secret_set: r.try_get("secret_set")?,
        pending: r.try_get("pending")?,
        failed_24h: r.try_get("failed_24h")?,
    })
}

const CHANNEL_VIEW_SQL: &str = "SELECT c.id, c.name, c.kind, c.configured, c.enabled, c.lang, \
    c.min_interval_ms, c.settings, (c.secrets ->> 'value') IS NOT NULL AND (c.secrets ->> 'value') <> '' AS secret_set, \
    (SELECT count(*) FROM notification_deliveries d WHERE d.channel_id = c.id AND d.status = 'pending') AS pending, \
    (SELECT count(*) FROM notification_deliveries d JOIN notification_messages m ON m.id = d.message_id \
     WHERE d.channel_id = c.id AND d.status = 'failed' AND m.created_at > now() - interval '24 hours') AS failed_24h \
    FROM notification_channels c";

/// Every channel, by name; secrets only as "set or not".
pub async fn list_channels<'e>(db: impl PgExecutor<'e>) -> Result<Vec<ChannelView>, sqlx::Error> {
    let rows = sqlx::query(&format!("{CHANNEL_VIEW_SQL} ORDER BY c.name"))
        .fetch_all(db)
        .await?;
    rows.iter().map(channel_view).collect()
}

/// A channel with its secret, for sending.
pub async fn channel_target<'e>(
    db: impl PgExecutor<'e>,
    id: i64,
) -> Result<Option<ChannelTarget>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id AS channel_id, name AS channel_name, kind, lang, settings, secrets, max_in_flight \
         FROM notification_channels WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(target_from_row).transpose()
}

/// A validated channel to save. `secret: None` keeps the stored one.
#[derive(Debug, Clone)]
pub struct ChannelInput {
    pub name: String,
    pub kind: ChannelKind,
    pub enabled: bool,
    pub lang: Lang,
    pub min_interval_ms: i32,
    pub settings: ChannelSettings,
    pub secret: Option<ChannelSecret>,
}

/// Creates (`id = None`) or updates a channel; audited without its secret.
/// `Ok(None)`: no channel with that id. A duplicate name is a unique violation.
pub async fn save_channel(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Option<i64>,
    input: &ChannelInput,
) -> Result<Option<i64>, sqlx::Error> {
    let before = match id {
        Some(id) => {
            let row = sqlx::query(&format!(
                "{CHANNEL_VIEW_SQL} WHERE c.id = $1 FOR UPDATE OF c"
            ))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                Some(r) => Some(channel_view(&r)?),
                None => return Ok(None),
            }
        }
        None => None,
    };
    let secret_set = match (&input.secret, &before) {
        (Some(s), _) => !s.value.is_empty(),
        (None, Some(b)) => b.secret_set,
        (None, None) => false,
    };
    let configured = channel::is_configured(input.kind, &input.settings, secret_set);
    let settings =
        serde_json::to_value(&input.settings).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let secret_json = input.secret.as_ref().map(|s| json!({ "value": s.value }));
    let saved_id: i64 = match id {
        Some(id) => {
            sqlx::query_scalar(
                "UPDATE notification_channels SET name = $2, kind = $3, enabled = $4, lang = $5, \
                 min_interval_ms = $6, settings = $7, secrets = COALESCE($8, secrets), configured = $9, \
                 updated_at = now() WHERE id = $1 RETURNING id",
            )
            .bind(id)
            .bind(&input.name)
            .bind(input.kind.as_str())
            .bind(input.enabled)
            .bind(input.lang.code())
            .bind(input.min_interval_ms)
            .bind(&settings)
            .bind(&secret_json)
            .bind(configured)
            .fetch_one(&mut *conn)
            .await?
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO notification_channels (name, kind, enabled, lang, min_interval_ms, settings, secrets, configured) \
                 VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::jsonb), $8) RETURNING id",
            )
            .bind(&input.name)
            .bind(input.kind.as_str())
            .bind(input.enabled)
            .bind(input.lang.code())
            .bind(input.min_interval_ms)
            .bind(&settings)
            .bind(&secret_json)
            .bind(configured)
            .fetch_one(&mut *conn)
            .await?
        }
    };
    let after = sqlx::query(&format!("{CHANNEL_VIEW_SQL} WHERE c.id = $1"))
        .bind(saved_id)
        .fetch_one(&mut *conn)
        .await?;
    let after = channel_view(&after)?;
    let mut after_json = serde_json::to_value(&after).ok();
    if let Some(a) = after_json.as_mut() {
        a["secret_changed"] = json!(input.secret.is_some());
    }
    audit::append(
        conn,
        actor,
        if id.is_some() {
            "channel.update"
        } else {
            "channel.create"
        },
        &format!("channel:{}", input.name),
        before.and_then(|b| serde_json::to_value(b).ok()),
        after_json,
    )
    .await?;
    Ok(Some(saved_id))
}

/// Deletes a channel and its deliveries; audited. `false`: no such channel.
pub async fn delete_channel(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(&format!("{CHANNEL_VIEW_SQL} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(false) };
    let before = channel_view(&row)?;
    sqlx::query("DELETE FROM notification_channels WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::append(
        conn,
        actor,
        "channel.delete",
        &format!("channel:{}", before.name),
        serde_json::to_value(&before).ok(),
        None,
    )
    .await?;
    Ok(true)
}

/// Audits a "Send test" (who tested which channel, and the outcome).
pub async fn audit_test(
    conn: &mut PgConnection,
    actor: &Actor,
    channel_name: &str,
    outcome: &Outcome,
) -> Result<(), sqlx::Error> {
    audit::append(
        conn,
        actor,
        "channel.test",
        &format!("channel:{channel_name}"),
        None,
        Some(json!({"ok": outcome.ok, "status_code": outcome.status_code, "error": outcome.error})),
    )
    .await
}

// ---------------------------------------------------------------- groups

/// Every group with its members, by name.
pub async fn list_groups<'e>(db: impl PgExecutor<'e>) -> Result<Vec<GroupView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT g.id, g.name, g.description, \
           COALESCE((SELECT json_agg(json_build_array(u.id, u.username) ORDER BY u.username) \
                     FROM recipient_group_users gu JOIN users u ON u.id = gu.user_id WHERE gu.group_id = g.id), '[]') AS users, \
           COALESCE((SELECT json_agg(gr.role ORDER BY gr.role) FROM recipient_group_roles gr WHERE gr.group_id = g.id), '[]') AS roles, \
           COALESCE((SELECT json_agg(json_build_array(c.id, c.name) ORDER BY c.name) \
                     FROM recipient_group_channels gc JOIN notification_channels c ON c.id = gc.channel_id WHERE gc.group_id = g.id), '[]') AS channels \
         FROM recipient_groups g ORDER BY g.name",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("name")?;
            let users: serde_json::Value = r.try_get("users")?;
            let roles: serde_json::Value = r.try_get("roles")?;
            let channels: serde_json::Value = r.try_get("channels")?;
            Ok(GroupView {
                id: r.try_get("id")?,
                reserved: RESERVED_GROUPS.contains(&name.as_str()),
                name,
                description: r.try_get("description")?,
                users: serde_json::from_value(users).unwrap_or_default(),
                roles: serde_json::from_value(roles).unwrap_or_default(),
                channels: serde_json::from_value(channels).unwrap_or_default(),
            })
        })
        .collect()
}

/// A group as it should be after saving.
#[derive(Debug, Clone)]
pub struct GroupInput {
    pub name: String,
    pub description: String,
    pub user_ids: Vec<i64>,
    pub roles: Vec<Role>,
    pub channel_ids: Vec<i64>,
}

/// Creates or replaces a group's members; audited. `Ok(None)`: no such group.
/// Unknown user or channel ids are a foreign-key violation (the caller answers 422).
pub async fn save_group(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Option<i64>,
    input: &GroupInput,
) -> Result<Option<i64>, sqlx::Error> {
    let before = match id {
        Some(id) => {
            let all = list_groups(&mut *conn).await?;
            match all.into_iter().find(|g| g.id == id) {
                Some(g) => Some(g),
                None => return Ok(None),
            }
        }
        None => None,
    };
    let gid: i64 = match id {
        Some(id) => sqlx::query_scalar(
            "UPDATE recipient_groups SET name = $2, description = $3 WHERE id = $1 RETURNING id",
        )
        .bind(id)
        .bind(&input.name)
        .bind(&input.description)
        .fetch_one(&mut *conn)
        .await?,
        None => {
            sqlx::query_scalar(
                "INSERT INTO recipient_groups (name, description) VALUES ($1, $2) RETURNING id",
            )
            .bind(&input.name)
            .bind(&input.description)
            .fetch_one(&mut *conn)
            .await?
        }
    };
    for table in [
        "recipient_group_users",
        "recipient_group_roles",
        "recipient_group_channels",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE group_id = $1"))
            .bind(gid)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("INSERT INTO recipient_group_users (group_id, user_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING")
        .bind(gid)
        .bind(&input.user_ids)
        .execute(&mut *conn)
        .await?;
    let roles: Vec<&str> = input.roles.iter().map(|r| r.as_str()).collect();
    sqlx::query("INSERT INTO recipient_group_roles (group_id, role) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING")
        .bind(gid)
        .bind(&roles)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO recipient_group_channels (group_id, channel_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING")
        .bind(gid)
        .bind(&input.channel_ids)
        .execute(&mut *conn)
        .await?;
    let after = list_groups(&mut *conn)
        .await?
        .into_iter()
        .find(|g| g.id == gid);
    audit::append(
        conn,
        actor,
        if id.is_some() {
            "group.update"
        } else {
            "group.create"
        },
        &format!("group:{}", input.name),
        before.and_then(|b| serde_json::to_value(b).ok()),
        after.and_then(|a| serde_json::to_value(a).ok()),
    )
    .await?;
    Ok(Some(gid))
}

/// Why a group was not deleted.
#[derive(Debug, PartialEq, Eq)]
pub enum DeleteGroup {
    Deleted,
    NotFound,
    Reserved,
}

/// Deletes a group that no area addresses; audited.
pub async fn delete_group(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<DeleteGroup, sqlx::Error> {
    let Some(g) = list_groups(&mut *conn)
        .await?
        .into_iter()
        .find(|g| g.id == id)
    else {
        return Ok(DeleteGroup::NotFound);
    };
    if g.reserved {
        return Ok(DeleteGroup::Reserved);
    }
    sqlx::query("DELETE FROM recipient_groups WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::append(
        conn,
        actor,
        "group.delete",
        &format!("group:{}", g.name),
        serde_json::to_value(&g).ok(),
        None,
    )
    .await?;
    Ok(DeleteGroup::Deleted)
}

// ---------------------------------------------------------------- deliveries

/// Filters of the deliveries page; empty means any.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub status: String,
    pub channel: String,
    pub kind: String,
}

/// Deliveries, newest message first, with their attempts; rendered in `lang`.
pub async fn list_deliveries(
    pool: &PgPool,
    filter: &DeliveryFilter,
    lang: Lang,
    page: u32,
    per_page: u32,
) -> Result<Page<DeliveryView>, sqlx::Error> {
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(per_page);
    let rows = sqlx::query(
        "SELECT d.id, d.message_id, m.created_at, m.kind, m.event, m.group_name, c.name AS channel, \
                d.status, d.attempts, CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at, \
                d.delivered_at, d.last_error, \
                COALESCE((SELECT json_agg(json_build_object('at', a.at, 'ok', a.ok, 'status_code', a.status_code, \
                          'error', a.error, 'latency_ms', a.latency_ms) ORDER BY a.at DESC) \
                          FROM (SELECT * FROM notification_attempts a WHERE a.delivery_id = d.id ORDER BY a.at DESC LIMIT 20) a), '[]') AS history, \
                count(*) OVER () AS total \
         FROM notification_deliveries d \
         JOIN notification_messages m ON m.id = d.message_id \
         JOIN notification_channels c ON c.id = d.channel_id \
         WHERE ($1 = '' OR d.status = $1) AND ($2 = '' OR c.name = $2) AND ($3 = '' OR m.kind = $3) \
         ORDER BY m.created_at DESC, d.id DESC LIMIT $4 OFFSET $5",
    )
    .bind(&filter.status)
    .bind(&filter.channel)
    .bind(&filter.kind)
    .bind(i64::from(per_page))
    .bind(offset)
    .fetch_all(pool)
    .await?;
    // Past the last page there is no row to carry the count: the pager then shows page 1 of 1.
    let total = rows
        .first()
        .map(|r| r.try_get::<i64, _>("total"))
        .transpose()?
        .unwrap_or(0);
    let rows = rows
        .iter()
        .map(|r| {
            let event: serde_json::Value = r.try_get("event")?;
            let title = serde_json::from_value::<Event>(event)
                .map(|e| e.render(lang).title)
                .unwrap_or_default();
            let history: serde_json::Value = r.try_get("history")?;
            Ok(DeliveryView {
                id: r.try_get("id")?,
                message_id: r.try_get("message_id")?,
                created_at: r.try_get("created_at")?,
                kind: r.try_get("kind")?,
                title,
                group_name: r.try_get("group_name")?,
                channel: r.try_get("channel")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                delivered_at: r.try_get("delivered_at")?,
                last_error: r.try_get("last_error")?,
                history: serde_json::from_value::<Vec<AttemptView>>(history).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Page {
        rows,
        page,
        per_page,
        total,
    })
}

/// Puts a failed delivery back in the queue now; audited. `false`: not a failed delivery.
pub async fn retry_delivery(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE notification_deliveries SET status = 'pending', next_attempt_at = now(), \
         claimed_until = NULL, claim_token = NULL WHERE id = $1 AND status = 'failed'",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done {
        audit::append(
            conn,
            actor,
            "delivery.retry",
            &format!("delivery:{id}"),
            None,
            None,
        )
        .await?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKE_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(done)
}

// ---------------------------------------------------------------- inbox

/// Unread messages of a user (the bell's number).
pub async fn unread_count<'e>(db: impl PgExecutor<'e>, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM inbox_items WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id)
        .fetch_one(db)
        .await
}

/// A user's inbox, newest first, in `lang`.
pub async fn inbox(
    pool: &PgPool,
    user_id: i64,
    unread_only: bool,
    lang: Lang,
    page: u32,
    per_page: u32,
) -> Result<Page<InboxItem>, sqlx::Error> {
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(per_page);
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inbox_items WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL)",
    )
    .bind(user_id)
    .bind(unread_only)
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query(
        "SELECT m.id, m.created_at, m.severity, m.kind, m.event, i.read_at IS NOT NULL AS read \
         FROM inbox_items i JOIN notification_messages m ON m.id = i.message_id \
         WHERE i.user_id = $1 AND (NOT $2 OR i.read_at IS NULL) \
         ORDER BY m.created_at DESC, m.id DESC LIMIT $3 OFFSET $4",
    )
    .bind(user_id)
    .bind(unread_only)
    .bind(i64::from(per_page))
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let rows = rows
        .iter()
        .map(|r| {
            let event: serde_json::Value = r.try_get("event")?;
            let rendered = serde_json::from_value::<Event>(event)
                .map(|e| e.render(lang))
                .map_err(|e| sqlx::Error::Protocol(format!("stored event unreadable: {e}")))?;
            Ok(InboxItem {
                message_id: r.try_get("id")?,
                created_at: r.try_get("created_at")?,
                severity: r.try_get("severity")?,
                kind: r.try_get("kind")?,
                title: rendered.title,
                body: rendered.body,
                link: rendered.link,
                read: r.try_get("read")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Page {
        rows,
        page,
        per_page,
        total,
    })
}

/// Marks one message (`Some(id)`) or all of a user's messages read; returns how many changed.
pub async fn mark_read<'e>(
    db: impl PgExecutor<'e>,
    user_id: i64,
    message_id: Option<i64>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE inbox_items SET read_at = now() \
         WHERE user_id = $1 AND read_at IS NULL AND ($2::bigint IS NULL OR message_id = $2)",
    )
    .bind(user_id)
    .bind(message_id)
    .execute(db)
    .await?
    .rows_affected())
}
