//! Alert rules (issue 10 item 7, R-MON-3, R-MON-4): everyone signed in
//! reads the rules, their states, history and silences and exports the
//! YAML; operators (and admins) create, edit, switch off and import rules,
//! acknowledge firing alerts and create or delete silences. Every change is
//! audited in its transaction.

// Forms post one argument per field; the `#[server]` macro copies them into
// the browser-side stub too, where a per-function allow does not reach.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use crate::model::alerts::{AlertsView, ExportView, HistoryView, ImportOutcome, SilenceView};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc,
    i18n::Msg,
    role::{Access, Role},
    store::alerts::{self as store, silences, RuleInput},
    store::audit::Actor,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const OPERATOR: Access = Access::AnyOf(&[Role::Operator]);

/// History entries per page.
pub const HISTORY_PER_PAGE: u32 = 25;

/// `pagerduty, slack-critical` (or one per line) → the names.
pub fn split_channels(s: &str) -> Vec<String> {
    s.split([',', '\n', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// The page: rules with their states, the metrics and units, silences,
/// the channels and groups a rule may name.
#[server(prefix = "/rpc", endpoint = "alerts/page")]
pub async fn load_alerts() -> Result<AlertsView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        Ok(store::view(&mut conn, call.ctx.time_zone, chrono::Utc::now()).await?)
    })
    .await
}

/// A rule's history, newest first (pages of [`HISTORY_PER_PAGE`]).
#[server(prefix = "/rpc", endpoint = "alerts/history")]
pub async fn load_history(
    rule_id: i64,
    #[server(default)] page: u32,
) -> Result<HistoryView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        store::history(&mut conn, rule_id, page.max(1), HISTORY_PER_PAGE)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Every rule in the policy's YAML layout.
#[server(prefix = "/rpc", endpoint = "alerts/export")]
pub async fn export_rules() -> Result<ExportView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let yaml = store::export(&call.ctx.pool).await?;
        Ok(ExportView {
            filename: "alert-rules.yaml".into(),
            yaml,
        })
    })
    .await
}

/// Creates a rule; returns its id. `channels`: names separated by commas.
#[server(prefix = "/rpc", endpoint = "alerts/create")]
pub async fn create_rule(
    name: String,
    condition: String,
    duration: String,
    severity: String,
    #[server(default)] channels: String,
    #[server(default)] recipient_group: String,
) -> Result<i64, AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let input = RuleInput {
            name,
            condition,
            duration,
            severity,
            channels: split_channels(&channels),
            recipient_group,
        };
        let mut tx = call.ctx.pool.begin().await?;
        let id = store::create_rule(&mut tx, &actor, &input).await?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

/// Edits a rule.
#[server(prefix = "/rpc", endpoint = "alerts/update")]
pub async fn update_rule(
    id: i64,
    name: String,
    condition: String,
    duration: String,
    severity: String,
    #[server(default)] channels: String,
    #[server(default)] recipient_group: String,
) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let input = RuleInput {
            name,
            condition,
            duration,
            severity,
            channels: split_channels(&channels),
            recipient_group,
        };
        let mut tx = call.ctx.pool.begin().await?;
        store::update_rule(&mut tx, &actor, id, &input).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Switches a rule on or off (off forgets its current states).
#[server(prefix = "/rpc", endpoint = "alerts/set_enabled")]
pub async fn set_rule_enabled(id: i64, enabled: bool) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        store::set_enabled(&mut tx, &actor, id, enabled).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Imports rules from the policy's YAML: all or nothing; every problem
/// names the rule and field (422).
#[server(prefix = "/rpc", endpoint = "alerts/import")]
pub async fn import_rules(yaml: String) -> Result<ImportOutcome, AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        if yaml.trim().is_empty() {
            return Err(AppError::field("yaml", Msg::ErrRequired));
        }
        let mut tx = call.ctx.pool.begin().await?;
        let outcome = store::import(&mut tx, &actor, &yaml).await?;
        tx.commit().await?;
        Ok(outcome)
    })
    .await
}

/// Acknowledges the firing alert of a rule in an environment, with a comment.
#[server(prefix = "/rpc", endpoint = "alerts/acknowledge")]
pub async fn acknowledge(
    rule_id: i64,
    environment: String,
    #[server(default)] comment: String,
) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        store::acknowledge(
            &mut tx,
            &actor,
            rule_id,
            environment.trim(),
            &comment,
            chrono::Utc::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Silences that have not ended, soonest end first.
#[server(prefix = "/rpc", endpoint = "alerts/silences")]
pub async fn list_silences() -> Result<Vec<SilenceView>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        Ok(silences::list(&mut conn, call.ctx.time_zone, chrono::Utc::now()).await?)
    })
    .await
}

/// Creates a silence. `rule_id` empty: every rule; `environment` empty:
/// every environment; times as `datetime-local` values in the configured
/// zone (`starts_at` empty: now); `recurrence` `once`, `monthly` (with the
/// week, weekday 0 = Monday … 6 = Sunday, `HH:MM` and minutes) or
/// `maintenance` (while a planned maintenance window is open).
#[server(prefix = "/rpc", endpoint = "alerts/create_silence")]
pub async fn create_silence(
    #[server(default)] rule_id: String,
    #[server(default)] environment: String,
    #[server(default)] starts_at: String,
    #[server(default)] ends_at: String,
    #[server(default)] recurrence: String,
    #[server(default)] monthly_week: String,
    #[server(default)] monthly_weekday: String,
    #[server(default)] monthly_start: String,
    #[server(default)] monthly_minutes: String,
    #[server(default)] comment: String,
) -> Result<i64, AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let tz = call.ctx.time_zone;
        let mut check = crate::validate::Check::default();
        let rule_id = match rule_id.trim() {
            "" => None,
            s => {
                let id = s.parse::<i64>().ok();
                check.field("rule_id", id.is_none().then_some(Msg::ErrChoice));
                id
            }
        };
        let starts = crate::time::parse_local(&starts_at, tz);
        check.field("starts_at", starts.as_ref().err().copied());
        let ends = crate::time::parse_local(&ends_at, tz);
        check.field("ends_at", ends.as_ref().err().copied());
        check.finish()?;
        let input = silences::SilenceInput {
            rule_id,
            environment,
            starts_at: starts.ok().flatten(),
            ends_at: ends.ok().flatten(),
            recurrence,
            monthly_week,
            monthly_weekday,
            monthly_start,
            monthly_minutes,
            comment,
        };
        let mut tx = call.ctx.pool.begin().await?;
        let id = silences::create(&mut tx, &actor, &input, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

/// Deletes a silence.
#[server(prefix = "/rpc", endpoint = "alerts/delete_silence")]
pub async fn delete_silence(id: i64) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        silences::delete(&mut tx, &actor, id).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_split_on_commas_spaces_and_lines() {
        assert_eq!(
            split_channels("pagerduty, slack-critical\nemail-oncall  "),
            vec!["pagerduty", "slack-critical", "email-oncall"]
        );
        assert!(split_channels(" , ").is_empty());
    }
}
