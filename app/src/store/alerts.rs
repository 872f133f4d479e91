//! Alert rules (issue 10 item 7, R-MON-3, R-MON-4): the rules with their
//! states per environment, creating and editing them (checked against the
//! table of metrics and their units, the notification channels and the
//! recipient groups), YAML import and export, each rule's history, and
//! acknowledgements. Silences are in [`silences`], the evaluator's pass in
//! [`eval`].
//!
//! Every change is audited in its own transaction. An import is one
//! transaction: every rule of the document is checked first, and any
//! problem stores nothing.

pub mod eval;
pub mod silences;

use super::audit::{self, Actor};
use crate::error::FieldError;
use crate::i18n::Msg;
use crate::model::alerts::{
    condition_problem, AlertsView, EventKind, EventView, HistoryView, ImportOutcome, MetricView,
    RuleStateView, RuleView, StateKind,
};
use crate::model::Page;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use opsdeck::alert_rule::{
    import_alert_rules, write_alert_rules, AlertCondition, AlertDuration, AlertRule, ImportProblem,
    ImportProblemKind, MetricUnit, Severity,
};
use opsdeck::deploy_gate::Environment;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, Row};
use std::collections::{HashMap, HashSet};

/// The group a new rule addresses unless told otherwise (seeded: operators' inbox).
pub const DEFAULT_GROUP: &str = "alerts";
/// Longest acknowledgement comment.
pub const COMMENT_MAX_CHARS: usize = 1000;
const NAME_MAX_CHARS: usize = 100;
/// Most channels one rule may name.
const MAX_CHANNELS: usize = 20;

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("name taken")]
    NameTaken,
    #[error("the alert is not firing")]
    NotFiring,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<AlertError> for crate::error::AppError {
    fn from(e: AlertError) -> Self {
        use crate::error::AppError;
        match e {
            AlertError::Invalid(f) => AppError::Validation(f),
            AlertError::NotFound => AppError::NotFound,
            AlertError::NameTaken => {
                AppError::Conflict(FieldError::new("name", Msg::ErrAlertNameTaken))
            }
            AlertError::NotFiring => {
                AppError::Conflict(FieldError::new("environment", Msg::ErrAlertNotFiring))
            }
            AlertError::Db(e) => e.into(),
        }
    }
}

/// A rule as a form or an import states it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleInput {
    pub name: String,
    pub condition: String,
    pub duration: String,
    pub severity: String,
    pub channels: Vec<String>,
    /// Empty: [`DEFAULT_GROUP`].
    pub recipient_group: String,
}

/// A checked rule, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRule {
    pub rule: AlertRule,
    pub metric: String,
    pub recipient_group: String,
}

/// What rules are checked against: the metrics with their units, the
/// channels and the groups.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub units: HashMap<String, MetricUnit>,
    pub channels: HashSet<String>,
    pub groups: HashSet<String>,
}

impl Catalogue {
    pub async fn load(conn: &mut PgConnection) -> Result<Catalogue, sqlx::Error> {
        let metrics: Vec<(String, String)> = sqlx::query_as("SELECT name, unit FROM alert_metrics")
            .fetch_all(&mut *conn)
            .await?;
        let channels: Vec<String> = sqlx::query_scalar("SELECT name FROM notification_channels")
            .fetch_all(&mut *conn)
            .await?;
        let groups: Vec<String> = sqlx::query_scalar("SELECT name FROM recipient_groups")
            .fetch_all(&mut *conn)
            .await?;
        Ok(Catalogue {
            units: metrics
                .into_iter()
                .filter_map(|(n, u)| u.parse().ok().map(|u| (n, u)))
                .collect(),
            channels: channels.into_iter().collect(),
            groups: groups.into_iter().collect(),
        })
    }
}

/// Field name `f` under `prefix` (`alerts[0] (A).condition`), or `f` alone.
fn at(prefix: &str, f: &str) -> String {
    if prefix.is_empty() {
        f.to_string()
    } else {
        format!("{prefix}.{f}")
    }
}

/// Checks a rule against the catalogue; problems are named `prefix.field`
/// (the form's field names when `prefix` is empty).
pub fn check_rule(
    input: &RuleInput,
    cat: &Catalogue,
    prefix: &str,
) -> Result<CheckedRule, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut bad = |f: &str, m: Msg| errors.push(FieldError::new(&at(prefix, f), m));
    let name = input.name.trim();
    if name.is_empty() {
        bad("name", Msg::ErrRequired);
    } else if name.chars().count() > NAME_MAX_CHARS
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        bad("name", Msg::ErrAlertName);
    }
    let condition = input.condition.trim();
    let parsed = match condition_problem(condition, |m| cat.units.get(m).copied()) {
        Some(msg) => {
            bad("condition", msg);
            None
        }
        None => AlertCondition::parse(condition).ok(),
    };
    let metric = parsed
        .as_ref()
        .map(|c| c.metric().to_string())
        .unwrap_or_default();
    let duration = match AlertDuration::parse(&input.duration) {
        Ok(d) if d.as_timedelta().is_some() => Some(d),
        _ if input.duration.trim().is_empty() => {
            bad("duration", Msg::ErrRequired);
            None
        }
        _ => {
            bad("duration", Msg::ErrAlertDuration);
            None
        }
    };
    let severity = match input.severity.parse::<Severity>() {
        Ok(s) => Some(s),
        Err(_) => {
            bad("severity", Msg::ErrChoice);
            None
        }
    };
    let mut channels: Vec<String> = Vec::new();
    for c in input
        .channels
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    {
        if !cat.channels.contains(c) {
            bad("channels", Msg::ErrAlertChannel);
            break;
        }
        if !channels.iter().any(|x| x == c) {
            channels.push(c.to_string());
        }
    }
    if channels.len() > MAX_CHANNELS {
        bad("channels", Msg::ErrTooLong);
    }
    let group = match input.recipient_group.trim() {
        "" => DEFAULT_GROUP.to_string(),
        g => g.to_string(),
    };
    if !cat.groups.contains(&group) {
        bad("recipient_group", Msg::ErrAlertGroup);
    }
    match (parsed, duration, severity) {
        (Some(condition), Some(duration), Some(severity)) if errors.is_empty() => Ok(CheckedRule {
            rule: AlertRule {
                name: name.to_string(),
                condition,
                duration,
                severity,
                notify: channels,
            },
            metric,
            recipient_group: group,
        }),
        _ => Err(errors),
    }
}

fn rule_json(r: &CheckedRule) -> serde_json::Value {
    json!({
        "name": r.rule.name,
        "condition": r.rule.condition.to_string(),
        "duration": r.rule.duration.to_string(),
        "severity": r.rule.severity.as_str(),
        "channels": r.rule.notify,
        "recipient_group": r.recipient_group,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "23505")
}

/// Creates a rule; returns its id.
pub async fn create_rule(
    conn: &mut PgConnection,
    actor: &Actor,
    input: &RuleInput,
) -> Result<i64, AlertError> {
    let cat = Catalogue::load(conn).await?;
    let r = check_rule(input, &cat, "").map_err(AlertError::Invalid)?;
    let id = insert_rule(conn, actor, &r).await?;
    audit::append(
        conn,
        actor,
        "alert_rule.create",
        &format!("alert_rule:{id}"),
        None,
        Some(rule_json(&r)),
    )
    .await?;
    Ok(id)
}

async fn insert_rule(
    conn: &mut PgConnection,
    actor: &Actor,
    r: &CheckedRule,
) -> Result<i64, AlertError> {
    let res = sqlx::query_scalar(
        "INSERT INTO alert_rules (name, condition, metric, duration, severity, channels, \
                                  recipient_group, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&r.rule.name)
    .bind(r.rule.condition.to_string())
    .bind(&r.metric)
    .bind(r.rule.duration.to_string())
    .bind(r.rule.severity.as_str())
    .bind(&r.rule.notify)
    .bind(&r.recipient_group)
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await;
    match res {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(AlertError::NameTaken),
        Err(e) => Err(e.into()),
    }
}

async fn rule_before(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT name, condition, duration, severity, channels, recipient_group, enabled \
         FROM alert_rules WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(json!({
            "name": r.try_get::<String, _>("name")?,
            "condition": r.try_get::<String, _>("condition")?,
            "duration": r.try_get::<String, _>("duration")?,
            "severity": r.try_get::<String, _>("severity")?,
            "channels": r.try_get::<Vec<String>, _>("channels")?,
            "recipient_group": r.try_get::<String, _>("recipient_group")?,
            "enabled": r.try_get::<bool, _>("enabled")?,
        }))
    })
    .transpose()
}

/// Edits a rule. Its states go on under the new condition (a pending alert
/// is judged by the new threshold from its next sample).
pub async fn update_rule(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    input: &RuleInput,
) -> Result<(), AlertError> {
    let before = rule_before(conn, id).await?.ok_or(AlertError::NotFound)?;
    let cat = Catalogue::load(conn).await?;
    let r = check_rule(input, &cat, "").map_err(AlertError::Invalid)?;
    let res = sqlx::query(
        "UPDATE alert_rules SET name = $2, condition = $3, metric = $4, duration = $5, \
                severity = $6, channels = $7, recipient_group = $8, updated_at = now(), \
                updated_by = $9 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(&r.rule.name)
    .bind(r.rule.condition.to_string())
    .bind(&r.metric)
    .bind(r.rule.duration.to_string())
    .bind(r.rule.severity.as_str())
    .bind(&r.rule.notify)
    .bind(&r.recipient_group)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await;
    match res {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(AlertError::NameTaken),
        Err(e) => return Err(e.into()),
    }
    audit::append(
        conn,
        actor,
        "alert_rule.update",
        &format!("alert_rule:{id}"),
        Some(before),
        Some(rule_json(&r)),
    )
    .await?;
    Ok(())
}

/// Switches a rule on or off. Switching off forgets its current states (a
/// disabled rule neither pends nor fires; its history stays), so the page
/// shows no alert nobody evaluates any more.
pub async fn set_enabled(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    enabled: bool,
) -> Result<(), AlertError> {
    let before = rule_before(conn, id).await?.ok_or(AlertError::NotFound)?;
    sqlx::query(
        "UPDATE alert_rules SET enabled = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(enabled)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    if !enabled {
        sqlx::query("DELETE FROM alert_states WHERE rule_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    audit::append(
        conn,
        actor,
        if enabled {
            "alert_rule.enable"
        } else {
            "alert_rule.disable"
        },
        &format!("alert_rule:{id}"),
        Some(before),
        Some(json!({ "enabled": enabled })),
    )
    .await?;
    Ok(())
}

/// The message of an import problem found by the core's reader.
fn import_msg(kind: &ImportProblemKind) -> Msg {
    use ImportProblemKind as K;
    match kind {
        K::Syntax { .. } => Msg::ErrAlertYamlSyntax,
        K::TooLarge => Msg::ErrAlertYamlTooLarge,
        K::SeveralDocuments
        | K::NoAlertsList
        | K::UnknownTopKey(_)
        | K::AlertsNotAList
        | K::RuleNotAMapping => Msg::ErrAlertYamlShape,
        K::UnknownKey(_) => Msg::ErrAlertYamlKey,
        K::MissingKey => Msg::ErrRequired,
        K::WrongType => Msg::ErrAlertYamlType,
        K::BadName => Msg::ErrAlertName,
        K::DuplicateName => Msg::ErrAlertNameTaken,
        K::BadCondition(_) => Msg::ErrAlertCondition,
        K::BadDuration => Msg::ErrAlertDuration,
        K::BadSeverity => Msg::ErrChoice,
        K::BadChannel(_) => Msg::ErrAlertChannel,
    }
}

/// Where an import problem is, as the page lists it: `line 3, column 5`,
/// `alerts[1] (SlowResponse).condition`, `alerts[0] (A).extra`.
fn import_location(p: &ImportProblem) -> String {
    match &p.kind {
        ImportProblemKind::Syntax { line, col, .. } => format!("line {line}, column {col}"),
        ImportProblemKind::UnknownKey(k) => format!("{}.{k}", p.location()),
        ImportProblemKind::UnknownTopKey(k) => k.clone(),
        ImportProblemKind::BadChannel(c) => format!("{} “{c}”", p.location()),
        _ => p.location(),
    }
}

/// Imports rules from the policy's YAML: a rule whose name exists is
/// updated (condition, duration, severity, channels; its group and switch
/// stay), others are created with the default group. Any problem — in the
/// YAML, or a metric, unit or channel this opsdeck does not know — stores
/// nothing, and every problem names the rule and field.
pub async fn import(
    conn: &mut PgConnection,
    actor: &Actor,
    yaml: &str,
) -> Result<ImportOutcome, AlertError> {
    let rules = import_alert_rules(yaml).map_err(|problems| {
        AlertError::Invalid(
            problems
                .iter()
                .map(|p| FieldError::new(&import_location(p), import_msg(&p.kind)))
                .collect(),
        )
    })?;
    let cat = Catalogue::load(conn).await?;
    let existing: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, recipient_group FROM alert_rules FOR UPDATE")
            .fetch_all(&mut *conn)
            .await?;
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let group = existing
            .iter()
            .find(|(_, n, _)| *n == rule.name)
            .map(|(_, _, g)| g.clone())
            .unwrap_or_default();
        let input = RuleInput {
            name: rule.name.clone(),
            condition: rule.condition.to_string(),
            duration: rule.duration.to_string(),
            severity: rule.severity.as_str().to_string(),
            channels: rule.notify.clone(),
            recipient_group: group,
        };
        let prefix = format!("alerts[{i}] ({})", rule.name);
        match check_rule(&input, &cat, &prefix) {
            Ok(r) => checked.push(r),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(AlertError::Invalid(errors));
    }
    let mut outcome = ImportOutcome {
        created: Vec::new(),
        updated: Vec::new(),
    };
    for r in &checked {
        match existing.iter().find(|(_, n, _)| *n == r.rule.name) {
            Some((id, _, _)) => {
                sqlx::query(
                    "UPDATE alert_rules SET condition = $2, metric = $3, duration = $4, \
                            severity = $5, channels = $6, updated_at = now(), updated_by = $7 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(r.rule.condition.to_string())
                .bind(&r.metric)
                .bind(r.rule.duration.to_string())
                .bind(r.rule.severity.as_str())
                .bind(&r.rule.notify)
                .bind(&actor.name)
                .execute(&mut *conn)
                .await?;
                outcome.updated.push(r.rule.name.clone());
            }
            None => {
                insert_rule(conn, actor, r).await?;
                outcome.created.push(r.rule.name.clone());
            }
        }
    }
    audit::append(
        conn,
        actor,
        "alert_rule.import",
        "alert_rules",
        None,
        Some(json!({
            "created": outcome.created,
            "updated": outcome.updated,
            "rules": checked.iter().map(rule_json).collect::<Vec<_>>(),
        })),
    )
    .await?;
    Ok(outcome)
}

/// Every rule in the policy's YAML layout, oldest first (the policy's
/// three come first, as in the policy).
pub async fn export<'e>(db: impl PgExecutor<'e>) -> Result<String, sqlx::Error> {
    let rows: Vec<(String, String, String, String, Vec<String>)> = sqlx::query_as(
        "SELECT name, condition, duration, severity, channels FROM alert_rules ORDER BY id",
    )
    .fetch_all(db)
    .await?;
    let rules: Vec<AlertRule> = rows
        .into_iter()
        .filter_map(|(name, condition, duration, severity, notify)| {
            // Every stored rule was checked on the way in; one that no
            // longer parses (a hand edit of the table) is left out, not guessed.
            Some(AlertRule {
                name,
                condition: AlertCondition::parse(&condition).ok()?,
                duration: AlertDuration::parse(&duration).ok()?,
                severity: severity.parse().ok()?,
                notify,
            })
        })
        .collect();
    Ok(write_alert_rules(&rules))
}

// ---------------------------------------------------------------- reading

fn state_from_row(r: &PgRow, unit: MetricUnit) -> Result<RuleStateView, sqlx::Error> {
    let state: String = r.try_get("state")?;
    let value: Option<f64> = r.try_get("last_value")?;
    Ok(RuleStateView {
        environment: r.try_get("environment")?,
        state: StateKind::parse(&state).unwrap_or(StateKind::Inactive),
        since: r.try_get("since")?,
        fired_at: r.try_get("fired_at")?,
        resolved_at: r.try_get("resolved_at")?,
        last_value: value.map(|v| unit.from_base(v)),
        last_observed_at: r.try_get("last_observed_at")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        acknowledged_by: r.try_get("acknowledged_by")?,
        ack_comment: r.try_get("ack_comment")?,
        silenced: false,
    })
}

fn env_rank(key: &str) -> usize {
    Environment::ALL
        .iter()
        .position(|e| e.key() == key)
        .unwrap_or(usize::MAX)
}

/// The rules with their states, oldest rule first.
pub async fn rules(
    conn: &mut PgConnection,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<RuleView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.name, r.condition, r.metric, m.unit, r.duration, r.severity, r.channels, \
                r.recipient_group, r.enabled, r.builtin, r.updated_at, r.updated_by \
         FROM alert_rules r JOIN alert_metrics m ON m.name = r.metric ORDER BY r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let unit: String = r.try_get("unit")?;
        out.push(RuleView {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            condition: r.try_get("condition")?,
            metric: r.try_get("metric")?,
            unit: unit.parse().unwrap_or(MetricUnit::Count),
            duration: r.try_get("duration")?,
            severity: r.try_get("severity")?,
            channels: r.try_get("channels")?,
            recipient_group: r.try_get("recipient_group")?,
            enabled: r.try_get("enabled")?,
            builtin: r.try_get("builtin")?,
            updated_at: r.try_get("updated_at")?,
            updated_by: r.try_get("updated_by")?,
            states: Vec::new(),
        });
    }
    let states = sqlx::query(
        "SELECT rule_id, environment, state, since, fired_at, resolved_at, last_value, \
                last_observed_at, acknowledged_at, acknowledged_by, ack_comment \
         FROM alert_states",
    )
    .fetch_all(&mut *conn)
    .await?;
    let silences = silences::active(conn, tz, now).await?;
    for s in &states {
        let rule_id: i64 = s.try_get("rule_id")?;
        if let Some(rule) = out.iter_mut().find(|r| r.id == rule_id) {
            let mut view = state_from_row(s, rule.unit)?;
            view.silenced = silences.silences(rule_id, &view.environment);
            rule.states.push(view);
        }
    }
    for r in &mut out {
        r.states.sort_by_key(|s| env_rank(&s.environment));
    }
    Ok(out)
}

/// The alerts firing now, by environment key (the overview, R-UI-1): one
/// query, most severe first, then oldest first.
pub async fn firing_by_environment<'e>(
    db: impl PgExecutor<'e>,
) -> Result<HashMap<String, Vec<crate::model::FiringAlert>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.environment, r.name, r.severity, s.fired_at \
         FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id \
         WHERE s.state = 'firing' AND r.enabled \
         ORDER BY s.environment, \
                  CASE r.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, \
                  s.fired_at, r.name",
    )
    .fetch_all(db)
    .await?;
    let mut out: HashMap<String, Vec<crate::model::FiringAlert>> = HashMap::new();
    for r in &rows {
        out.entry(r.try_get("environment")?)
            .or_default()
            .push(crate::model::FiringAlert {
                rule: r.try_get("name")?,
                severity: r.try_get("severity")?,
                since: r.try_get("fired_at")?,
            });
    }
    Ok(out)
}

/// Everything the page shows first.
pub async fn view(
    conn: &mut PgConnection,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<AlertsView, sqlx::Error> {
    let rules = rules(conn, tz, now).await?;
    let metrics = sqlx::query(
        "SELECT name, unit, label_en, label_ja FROM alert_metrics ORDER BY position, name",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let unit: String = r.try_get("unit")?;
        Ok(MetricView {
            name: r.try_get("name")?,
            unit: unit.parse().unwrap_or(MetricUnit::Count),
            label_en: r.try_get("label_en")?,
            label_ja: r.try_get("label_ja")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let silences = silences::list(conn, tz, now).await?;
    let channels: Vec<String> =
        sqlx::query_scalar("SELECT name FROM notification_channels ORDER BY name")
            .fetch_all(&mut *conn)
            .await?;
    let groups: Vec<String> = sqlx::query_scalar("SELECT name FROM recipient_groups ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    let stale: i32 = sqlx::query_scalar("SELECT stale_after_seconds FROM alert_settings")
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(180);
    Ok(AlertsView {
        now,
        rules,
        metrics,
        silences,
        channels,
        groups,
        stale_after_seconds: stale,
    })
}

/// A rule's history, newest first, `per_page` entries from page `page` (1-based).
pub async fn history(
    conn: &mut PgConnection,
    rule_id: i64,
    page: u32,
    per_page: u32,
) -> Result<Option<HistoryView>, sqlx::Error> {
    let rule: Option<(String, String)> = sqlx::query_as(
        "SELECT r.name, m.unit FROM alert_rules r JOIN alert_metrics m ON m.name = r.metric \
         WHERE r.id = $1",
    )
    .bind(rule_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((rule_name, unit)) = rule else {
        return Ok(None);
    };
    let unit: MetricUnit = unit.parse().unwrap_or(MetricUnit::Count);
    let page = page.max(1);
    let per_page = per_page.clamp(1, 200);
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM alert_events WHERE rule_id = $1")
        .bind(rule_id)
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(
        "SELECT id, environment, kind, at, value, comment, actor, silenced, message_id \
         FROM alert_events WHERE rule_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(rule_id)
    .bind(i64::from(per_page))
    .bind(i64::from(page - 1) * i64::from(per_page))
    .fetch_all(&mut *conn)
    .await?;
    let events = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let value: Option<f64> = r.try_get("value")?;
            let message: Option<i64> = r.try_get("message_id")?;
            Ok(EventView {
                id: r.try_get("id")?,
                environment: r.try_get("environment")?,
                kind: EventKind::parse(&kind).unwrap_or(EventKind::Pending),
                at: r.try_get("at")?,
                value: value.map(|v| unit.from_base(v)),
                comment: r.try_get("comment")?,
                actor: r.try_get("actor")?,
                silenced: r.try_get("silenced")?,
                notified: message.is_some(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(HistoryView {
        rule_id,
        rule_name,
        unit,
        events: Page {
            rows: events,
            page,
            per_page,
            total,
        },
    }))
}

/// Acknowledges the firing alert of `rule_id` in `environment` with a
/// comment (R-MON-4): stored on the state (until it fires again) and in
/// the history.
pub async fn acknowledge(
    conn: &mut PgConnection,
    actor: &Actor,
    rule_id: i64,
    environment: &str,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<(), AlertError> {
    let mut errors = Vec::new();
    let comment = comment.trim();
    if comment.is_empty() {
        errors.push(FieldError::new("comment", Msg::ErrRequired));
    } else if comment.chars().count() > COMMENT_MAX_CHARS {
        errors.push(FieldError::new("comment", Msg::ErrTooLong));
    }
    if environment.parse::<Environment>().is_err() {
        errors.push(FieldError::new("environment", Msg::ErrChoice));
    }
    if !errors.is_empty() {
        return Err(AlertError::Invalid(errors));
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM alert_rules WHERE id = $1")
        .bind(rule_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Err(AlertError::NotFound);
    }
    let state: Option<(String, Option<f64>)> = sqlx::query_as(
        "SELECT state, last_value FROM alert_states WHERE rule_id = $1 AND environment = $2 \
         FOR UPDATE",
    )
    .bind(rule_id)
    .bind(environment)
    .fetch_optional(&mut *conn)
    .await?;
    let value = match state {
        Some((s, v)) if s == "firing" => v,
        _ => return Err(AlertError::NotFiring),
    };
    sqlx::query(
        "UPDATE alert_states SET acknowledged_at = $3, acknowledged_by = $4, ack_comment = $5, \
                updated_at = now() \
         WHERE rule_id = $1 AND environment = $2",
    )
    .bind(rule_id)
    .bind(environment)
    .bind(now)
    .bind(&actor.name)
    .bind(comment)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO alert_events (rule_id, environment, kind, at, value, comment, actor) \
         VALUES ($1, $2, 'acknowledged', $3, $4, $5, $6)",
    )
    .bind(rule_id)
    .bind(environment)
    .bind(now)
    .bind(value)
    .bind(comment)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "alert.acknowledge",
        &format!("alert_rule:{rule_id}:{environment}"),
        None,
        Some(json!({ "comment": comment })),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalogue {
        Catalogue {
            units: [
                ("disk_usage", MetricUnit::Percent),
                ("response_time_p95", MetricUnit::Ms),
                ("connections", MetricUnit::Count),
            ]
            .into_iter()
            .map(|(n, u)| (n.to_string(), u))
            .collect(),
            channels: ["pagerduty".to_string()].into_iter().collect(),
            groups: [DEFAULT_GROUP.to_string()].into_iter().collect(),
        }
    }

    fn input(condition: &str) -> RuleInput {
        RuleInput {
            name: "DiskFull".into(),
            condition: condition.into(),
            duration: "5m".into(),
            severity: "critical".into(),
            channels: vec!["pagerduty".into()],
            recipient_group: String::new(),
        }
    }

    fn fields(r: Result<CheckedRule, Vec<FieldError>>) -> Vec<(String, Msg)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.msg))
            .collect()
    }

    #[test]
    fn r_mon_3_units_are_checked_against_the_metric() {
        let ok = check_rule(&input("disk_usage > 90"), &cat(), "");
        assert_eq!(ok.map(|r| r.metric).ok().as_deref(), Some("disk_usage"));
        assert_eq!(
            fields(check_rule(&input("disk_usage > 90ms"), &cat(), "")),
            vec![("condition".to_string(), Msg::ErrAlertUnitPercent)]
        );
        assert_eq!(
            fields(check_rule(&input("connections > 5%"), &cat(), "")),
            vec![("condition".to_string(), Msg::ErrAlertUnitBare)]
        );
        assert_eq!(
            fields(check_rule(&input("response_time_p95 > 5%"), &cat(), "")),
            vec![("condition".to_string(), Msg::ErrAlertUnitMs)]
        );
        assert_eq!(
            fields(check_rule(&input("disk_space > 90"), &cat(), "x")),
            vec![("x.condition".to_string(), Msg::ErrAlertMetric)]
        );
    }

    #[test]
    fn r_mon_3_every_bad_field_is_named() {
        let bad = RuleInput {
            name: "bad name".into(),
            condition: "error_rate >".into(),
            duration: "5 minutes".into(),
            severity: "loud".into(),
            channels: vec!["#ops".into()],
            recipient_group: "nobody".into(),
        };
        let got: Vec<String> = fields(check_rule(&bad, &cat(), ""))
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            got,
            vec![
                "name",
                "condition",
                "duration",
                "severity",
                "channels",
                "recipient_group"
            ]
        );
    }
}
