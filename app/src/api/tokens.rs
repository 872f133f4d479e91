//! API tokens for machines (R-AUTH-3): admin only.

use crate::error::AppError;
use crate::i18n::Msg;
use crate::model::{CreatedToken, TokenRow};
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc, role::Access, store::audit::Actor};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;

/// The furthest a token may expire: ten years ahead.
pub const MAX_EXPIRY_DAYS: i64 = 3650;

/// The expiry choices the admin page offers besides "never" and a date.
pub const EXPIRY_DAY_CHOICES: [i64; 3] = [30, 90, 365];

/// Reads the expiry of a new token. `""` or `never`: never expires; a number of
/// days (`90`, `90d`) from `now`; a date (`2027-03-01`, the start of that day in
/// `tz`) or a `datetime-local` value (`2027-03-01T09:00`, in `tz`). The result
/// must lie after `now` and at most `MAX_EXPIRY_DAYS` ahead.
pub fn parse_expiry(input: &str, now: DateTime<Utc>, tz: Tz) -> Result<Option<DateTime<Utc>>, Msg> {
    let s = input.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let at = if let Ok(days) = s.strip_suffix('d').unwrap_or(s).trim().parse::<i64>() {
        if days <= 0 {
            return Err(Msg::ErrExpiryInPast);
        }
        if days > MAX_EXPIRY_DAYS {
            return Err(Msg::ErrExpiryTooFar);
        }
        now + Duration::days(days)
    } else if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).ok_or(Msg::ErrExpiryFormat)?;
        // A zone whose clocks skip midnight starts that day an hour later.
        tz.from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(midnight + Duration::hours(1)))
                    .earliest()
            })
            .ok_or(Msg::ErrExpiryFormat)?
            .with_timezone(&Utc)
    } else {
        crate::time::parse_local(s, tz)
            .map_err(|_| Msg::ErrExpiryFormat)?
            .ok_or(Msg::ErrExpiryFormat)?
    };
    if at <= now {
        Err(Msg::ErrExpiryInPast)
    } else if at > now + Duration::days(MAX_EXPIRY_DAYS + 1) {
        Err(Msg::ErrExpiryTooFar)
    } else {
        Ok(Some(at))
    }
}

#[server(prefix = "/rpc", endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenRow>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        Ok(crate::store::tokens::list(&call.ctx.pool).await?)
    })
    .await
}

/// Creates a token with comma-separated scopes and an optional expiry (see
/// [`parse_expiry`]; missing or `never`: never expires); the secret is in the answer, once.
#[server(prefix = "/rpc", endpoint = "tokens/create")]
pub async fn create_token(
    name: String,
    scopes: String,
    #[server(default)] expires: String,
) -> Result<CreatedToken, AppError> {
    use crate::validate;
    rpc(Access::ADMIN, |call| async move {
        let name = name.trim().to_string();
        let parsed = validate::scopes(&scopes);
        let expires_at = parse_expiry(&expires, Utc::now(), call.ctx.time_zone);
        validate::Check::default()
            .field("name", validate::required_text(&name, 80))
            .field("scopes", parsed.as_ref().err().copied())
            .field("expires", expires_at.as_ref().err().copied())
            .finish()?;
        let scopes = parsed.map_err(|m| AppError::field("scopes", m))?;
        let expires_at = expires_at.map_err(|m| AppError::field("expires", m))?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let created =
            crate::store::tokens::create(&mut tx, &actor, &name, &scopes, expires_at).await?;
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

/// The tokens a user created that still work (neither revoked nor expired), for
/// the admin page after disabling them. 404 if there is no such user.
#[server(prefix = "/rpc", endpoint = "tokens/active_of_user")]
pub async fn active_tokens_of_user(user_id: i64) -> Result<Vec<TokenRow>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        crate::store::tokens::username_of(&mut conn, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(crate::store::tokens::active_of_user(&mut conn, user_id).await?)
    })
    .await
}

/// Revokes every token a user created that still works, each audited in the
/// same transaction; answers the revoked tokens' ids. 404 if there is no such user.
#[server(prefix = "/rpc", endpoint = "tokens/revoke_all_of_user")]
pub async fn revoke_all_tokens_of_user(user_id: i64) -> Result<Vec<i64>, AppError> {
    rpc(Access::ADMIN, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let username = crate::store::tokens::username_of(&mut tx, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let ids =
            crate::store::tokens::revoke_all_of_user(&mut tx, &actor, user_id, &username).await?;
        tx.commit().await?;
        tracing::info!(user_id, revoked = ids.len(), "revoked all tokens of a user");
        Ok(ids)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn expiry_choices() {
        let tz = chrono_tz::Asia::Tokyo;
        let now = at("2026-11-29T03:00:00Z");
        assert_eq!(parse_expiry("", now, tz), Ok(None));
        assert_eq!(parse_expiry(" never ", now, tz), Ok(None));
        assert_eq!(
            parse_expiry("90", now, tz),
            Ok(Some(at("2027-02-27T03:00:00Z")))
        );
        assert_eq!(
            parse_expiry("30d", now, tz),
            Ok(Some(now + Duration::days(30)))
        );
        // A date is the start of that day in the display zone.
        assert_eq!(
            parse_expiry("2027-03-01", now, tz),
            Ok(Some(at("2027-02-28T15:00:00Z")))
        );
        assert_eq!(
            parse_expiry("2027-03-01T09:30", now, tz),
            Ok(Some(at("2027-03-01T00:30:00Z")))
        );
    }

    #[test]
    fn expiry_must_be_future_and_within_ten_years() {
        let tz = chrono_tz::Asia::Tokyo;
        let now = at("2026-11-29T03:00:00Z");
        // Today in Tokyo started before now.
        assert_eq!(
            parse_expiry("2026-11-29", now, tz),
            Err(Msg::ErrExpiryInPast)
        );
        assert_eq!(
            parse_expiry("2020-01-01", now, tz),
            Err(Msg::ErrExpiryInPast)
        );
        assert_eq!(parse_expiry("0", now, tz), Err(Msg::ErrExpiryInPast));
        assert_eq!(parse_expiry("-5", now, tz), Err(Msg::ErrExpiryInPast));
        assert_eq!(parse_expiry("3651", now, tz), Err(Msg::ErrExpiryTooFar));
        assert_eq!(
            parse_expiry("9999-01-01", now, tz),
            Err(Msg::ErrExpiryTooFar)
        );
        assert!(parse_expiry("3650", now, tz).unwrap().is_some());
        assert_eq!(parse_expiry("soon", now, tz), Err(Msg::ErrExpiryFormat));
        assert_eq!(
            parse_expiry("2027-02-30", now, tz),
            Err(Msg::ErrExpiryFormat)
        );
        assert_eq!(
            parse_expiry("99999999999999999999", now, tz),
            Err(Msg::ErrExpiryFormat)
        );
    }
}
