//! Backups and recovery (issue 13, R-BAK-1..3): everyone reads; operators
//! run backups and drills, edit the schedule, retention and objectives, and
//! prune; only admins change a runner (it runs programs on the server).

// Forms post one argument per field; the `#[server]` macro copies them into
// the browser-side stub too, where a per-function allow does not reach.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use crate::model::backups::{
    BackupCard, BackupsView, DrillView, PruneOutcome, PrunePreview, RetentionView, RunView,
    TimelineView,
};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::{rpc, rpc_read},
    error::FieldError,
    i18n::Msg,
    role::{Access, Role},
    store::audit::Actor,
    store::backups::{self as store, runner},
};
use leptos::prelude::*;

/// How long "run now" and "run drill" wait for the end before answering
/// with the run still under way (it goes on; reload to see it finish).
#[cfg(feature = "ssr")]
const WAIT_FOR_RUN: std::time::Duration = std::time::Duration::from_secs(20);

#[cfg(feature = "ssr")]
const OPERATOR: Access = Access::AnyOf(&[Role::Operator]);

#[cfg(feature = "ssr")]
impl From<runner::RunError> for AppError {
    fn from(e: runner::RunError) -> Self {
        use runner::RunError as E;
        match e {
            E::NoTarget => AppError::NotFound,
            E::NoRunner => AppError::field("target_id", Msg::ErrBackupNoRunner),
            E::Running => AppError::Conflict(FieldError::new("target_id", Msg::ErrBackupRunning)),
            E::NoDatabase => AppError::field("database_url", Msg::ErrBackupNoDatabase),
            E::BadCommand => AppError::field("command", Msg::ErrBackupCommand),
            E::NothingToRestore => AppError::field("run_id", Msg::ErrBackupNothingToRestore),
            E::Db(e) => e.into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<store::PruneError> for AppError {
    fn from(e: store::PruneError) -> Self {
        use store::PruneError as E;
        match e {
            E::NoTarget => AppError::NotFound,
            E::UnknownRuns(_) => AppError::field("ids", Msg::ErrBackupUnknownRun),
            E::StillKept(_) => AppError::field("ids", Msg::ErrBackupStillKept),
            E::NotBuiltIn(_) => AppError::field("ids", Msg::ErrBackupNotBuiltIn),
            E::Db(e) => e.into(),
        }
    }
}

/// `""` → `None`; a number → `Some`; anything else is a field error.
#[cfg(feature = "ssr")]
fn optional_id(check: &mut crate::validate::Check, field: &str, s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let id = s.parse::<i64>().ok();
    check.field(field, id.is_none().then_some(Msg::ErrChoice));
    id
}

/// The backups page: targets (schedule, retention, runner, RPO, last run and
/// drill), a page of runs filtered by target, kind and outcome (empty = any),
/// the latest drills.
#[server(prefix = "/rpc", endpoint = "backups/page")]
pub async fn load_backups(
    #[server(default)] target_id: String,
    #[server(default)] kind: String,
    #[server(default)] outcome: String,
    #[server(default)] page: u32,
) -> Result<BackupsView, AppError> {
    use crate::model::backups::{parse_kind, Outcome, RunFilter};
    rpc(Access::SignedIn, |call| async move {
        let mut check = crate::validate::Check::default();
        let target_id = optional_id(&mut check, "target_id", &target_id);
        let kind = kind.trim();
        let kind = (!kind.is_empty()).then(|| parse_kind(kind));
        check.field("kind", matches!(kind, Some(None)).then_some(Msg::ErrChoice));
        let outcome = outcome.trim();
        let outcome = (!outcome.is_empty()).then(|| Outcome::parse(outcome));
        check.field(
            "outcome",
            matches!(outcome, Some(None)).then_some(Msg::ErrChoice),
        );
        check.finish()?;
        let filter = RunFilter {
            target_id,
            kind: kind.flatten(),
            outcome: outcome.flatten(),
        };
        Ok(store::page(
            &call.ctx.pool,
            call.ctx.time_zone,
            &filter,
            page.max(1),
            50,
            chrono::Utc::now(),
        )
        .await?)
    })
    .await
}

/// The overview's card: newest restorable point vs RPO, last drill vs RTO.
#[server(prefix = "/rpc", endpoint = "backups/card")]
pub async fn load_backup_card() -> Result<BackupCard, AppError> {
    rpc_read("backups/card".into(), Access::SignedIn, |call| async move {
        Ok(store::card(&call.ctx.pool, call.ctx.time_zone, chrono::Utc::now()).await?)
    })
    .await
}

/// One run with its whole output (lists shorten it).
#[server(prefix = "/rpc", endpoint = "backups/run")]
pub async fn load_run(id: i64) -> Result<RunView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        store::run(&call.ctx.pool, id)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Expected vs actual runs of each schedule entry of a target over the last
/// `days` (1–31, default 2) and the next day.
#[server(prefix = "/rpc", endpoint = "backups/timeline")]
pub async fn load_timeline(
    target_id: i64,
    #[server(default)] days: u32,
) -> Result<Vec<TimelineView>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        if store::target(&mut *conn, target_id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let days = if days == 0 { 2 } else { days.min(31) };
        let now = chrono::Utc::now();
        let from = now - chrono::TimeDelta::days(i64::from(days));
        let to = now + chrono::TimeDelta::days(1);
        Ok(store::timeline(&mut conn, target_id, call.ctx.time_zone, from, to, now).await?)
    })
    .await
}

/// The retention report of a target (R-BAK-2): a page of 100 decisions,
/// newest first, each with the rules and dependants that keep it and until when.
#[server(prefix = "/rpc", endpoint = "backups/retention")]
pub async fn load_retention(
    target_id: i64,
    #[server(default)] page: u32,
) -> Result<RetentionView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        store::retention_view(
            &mut conn,
            target_id,
            call.ctx.time_zone,
            chrono::Utc::now(),
            page.max(1),
            100,
        )
        .await?
        .ok_or(AppError::NotFound)
    })
    .await
}

/// Every target's timeline in one call (the backups page). One call, not
/// one per target after the page's data: the server renders a lazy page
/// twice and drops the first instance, whose later calls would find no
/// server context and resolve differently from the rendered instance.
#[server(prefix = "/rpc", endpoint = "backups/timelines")]
pub async fn load_timelines(
    #[server(default)] days: u32,
) -> Result<Vec<(i64, Vec<TimelineView>)>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        let days = if days == 0 { 2 } else { days.min(31) };
        let now = chrono::Utc::now();
        let from = now - chrono::TimeDelta::days(i64::from(days));
        let to = now + chrono::TimeDelta::days(1);
        let mut out = Vec::new();
        for t in store::targets(&mut *conn).await? {
            let lines = store::timeline(&mut conn, t.id, call.ctx.time_zone, from, to, now).await?;
            out.push((t.id, lines));
        }
        Ok(out)
    })
    .await
}

/// Every target's retention report in one call (the backups page, see
/// `load_timelines`): the first page of each, except `paged_target`'s,
/// which shows page `page` (0 = none paged).
#[server(prefix = "/rpc", endpoint = "backups/retentions")]
pub async fn load_retentions(
    #[server(default)] paged_target: i64,
    #[server(default)] page: u32,
) -> Result<Vec<RetentionView>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        let now = chrono::Utc::now();
        let mut out = Vec::new();
        for t in store::targets(&mut *conn).await? {
            let page = if t.id == paged_target { page.max(1) } else { 1 };
            if let Some(view) =
                store::retention_view(&mut conn, t.id, call.ctx.time_zone, now, page, 100).await?
            {
                out.push(view);
            }
        }
        Ok(out)
    })
    .await
}

/// Runs the target's built-in backup now. Answers the finished run, or the
/// run still under way after 20 s (it goes on; `backups/run` shows it later).
#[server(prefix = "/rpc", endpoint = "backups/run_now")]
pub async fn run_backup_now(target_id: i64) -> Result<RunView, AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let pool = call.ctx.pool.clone();
        let prepared = runner::begin_backup(
            &pool,
            &call.ctx.backups,
            &actor,
            target_id,
            chrono::Utc::now(),
        )
        .await?;
        let run_id = prepared.run_id;
        let task_pool = pool.clone();
        let finished = runner::finish_within(
            async move { runner::execute_backup(&task_pool, prepared).await },
            WAIT_FOR_RUN,
        )
        .await;
        match finished {
            Some(done) => Ok(done?),
            None => store::run(&pool, run_id).await?.ok_or(AppError::NotFound),
        }
    })
    .await
}

/// Runs a restore drill: `pg_restore` of a built-in full backup (`run_id`,
/// or the newest when empty) into a scratch database, a sanity query, timed
/// against the RTO, then dropped. Answers like `run_now`.
#[server(prefix = "/rpc", endpoint = "backups/run_drill")]
pub async fn run_drill(
    target_id: i64,
    #[server(default)] run_id: String,
) -> Result<DrillView, AppError> {
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let run_id = optional_id(&mut check, "run_id", &run_id);
        check.finish()?;
        let actor = Actor::user(call.user()?);
        let pool = call.ctx.pool.clone();
        let objectives = store::recovery(&store::settings(&pool).await?);
        let prepared = runner::begin_drill(
            &pool,
            &call.ctx.backups,
            &actor,
            target_id,
            run_id,
            chrono::Utc::now(),
        )
        .await?;
        let drill_id = prepared.drill_id;
        let task_pool = pool.clone();
        let task_objectives = objectives.clone();
        let finished = runner::finish_within(
            async move { runner::execute_drill(&task_pool, prepared, &task_objectives).await },
            WAIT_FOR_RUN,
        )
        .await;
        match finished {
            Some(done) => Ok(done?),
            None => store::drill(&pool, drill_id, &objectives)
                .await?
                .ok_or(AppError::NotFound),
        }
    })
    .await
}

/// Records a drill done by hand: start and end in the display zone
/// (`YYYY-MM-DDTHH:MM`), outcome `ok` or `failed`, the backup restored
/// (optional run id) and notes.
#[server(prefix = "/rpc", endpoint = "backups/record_drill")]
pub async fn record_drill(
    target_id: i64,
    started: String,
    finished: String,
    outcome: String,
    #[server(default)] run_id: String,
    #[server(default)] notes: String,
) -> Result<DrillView, AppError> {
    use crate::model::backups::Outcome;
    rpc(OPERATOR, |call| async move {
        let tz = call.ctx.time_zone;
        let mut check = crate::validate::Check::default();
        let time = |check: &mut crate::validate::Check, field: &str, s: &str| {
            match crate::time::parse_local(s, tz) {
                Ok(Some(t)) => Some(t),
                Ok(None) => {
                    check.field(field, Some(Msg::ErrRequired));
                    None
                }
                Err(m) => {
                    check.field(field, Some(m));
                    None
                }
            }
        };
        let started_at = time(&mut check, "started", &started);
        let finished_at = time(&mut check, "finished", &finished);
        if let (Some(s), Some(f)) = (started_at, finished_at) {
            check.field("finished", (f < s).then_some(Msg::ErrEndBeforeStart));
        }
        let outcome = match Outcome::parse(&outcome) {
            Some(o @ (Outcome::Ok | Outcome::Failed)) => Some(o),
            _ => None,
        };
        check.field("outcome", outcome.is_none().then_some(Msg::ErrChoice));
        let run_id = optional_id(&mut check, "run_id", &run_id);
        check.field(
            "notes",
            (notes.chars().count() > 4000).then_some(Msg::ErrTooLong),
        );
        check.finish()?;
        let (Some(started_at), Some(finished_at), Some(outcome)) =
            (started_at, finished_at, outcome)
        else {
            return Err(AppError::Internal);
        };
        let input = store::DrillInput {
            target_id,
            run_id,
            started_at,
            finished_at,
            outcome,
            notes: notes.trim().to_string(),
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let id = match store::record_drill(&mut tx, &actor, &input).await? {
            Ok(id) => id,
            Err(store::DrillRefusal::NoTarget) => return Err(AppError::NotFound),
            Err(store::DrillRefusal::NoRun) => {
                return Err(AppError::field("run_id", Msg::ErrBackupUnknownRun))
            }
        };
        let objectives = store::recovery(&store::settings(&mut *tx).await?);
        let view = store::drill(&mut *tx, id, &objectives)
            .await?
            .ok_or(AppError::Internal)?;
        tx.commit().await?;
        Ok(view)
    })
    .await
}

/// Adds (`id` empty) or changes a schedule entry of a target: kind, cadence
/// (`daily`, `every`, `continuous`, `git`), local time `HH:MM`, minutes
/// between runs (every / continuous), on or off, a note. Returns its id.
#[server(prefix = "/rpc", endpoint = "backups/save_schedule")]
pub async fn save_schedule(
    target_id: i64,
    #[server(default)] id: String,
    kind: String,
    cadence: String,
    #[server(default)] at_local: String,
    #[server(default)] every_minutes: String,
    #[server(default)] enabled: bool,
    #[server(default)] note: String,
) -> Result<i64, AppError> {
    use crate::model::backups::{parse_kind, Cadence};
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let id = optional_id(&mut check, "id", &id);
        let kind = parse_kind(&kind);
        check.field("kind", kind.is_none().then_some(Msg::ErrChoice));
        let cadence = Cadence::parse(&cadence);
        check.field("cadence", cadence.is_none().then_some(Msg::ErrChoice));
        let at = if at_local.trim().is_empty() {
            Some(chrono::NaiveTime::MIN)
        } else {
            chrono::NaiveTime::parse_from_str(at_local.trim(), "%H:%M").ok()
        };
        check.field("at_local", at.is_none().then_some(Msg::ErrTime));
        let needs_interval = cadence.is_some_and(Cadence::has_interval);
        let every = every_minutes
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|m| (1..=1440).contains(m));
        check.field(
            "every_minutes",
            (needs_interval && every.is_none()).then_some(Msg::ErrNumberRange),
        );
        check.field(
            "note",
            (note.chars().count() > 500).then_some(Msg::ErrTooLong),
        );
        check.finish()?;
        let (Some(kind), Some(cadence), Some(at)) = (kind, cadence, at) else {
            return Err(AppError::Internal);
        };
        let input = store::ScheduleInput {
            target_id,
            kind,
            cadence,
            at_local: at,
            every_minutes: every,
            enabled,
            note: note.trim().to_string(),
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let saved = store::save_schedule(&mut tx, &actor, id, &input, chrono::Utc::now())
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

/// Deletes a schedule entry.
#[server(prefix = "/rpc", endpoint = "backups/delete_schedule")]
pub async fn delete_schedule(id: i64) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !store::delete_schedule(&mut tx, &actor, id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Changes a target's retention (R-BAK-2): mode `within` (spans such as
/// `7d`, `4w`, `12m`, `5y`) or `count` (numbers of periods); both sets are saved.
#[server(prefix = "/rpc", endpoint = "backups/save_retention")]
pub async fn save_retention(
    target_id: i64,
    mode: String,
    within_daily: String,
    within_weekly: String,
    within_monthly: String,
    within_yearly: String,
    keep_daily: String,
    keep_weekly: String,
    keep_monthly: String,
    keep_yearly: String,
) -> Result<(), AppError> {
    use opsdeck::backup_retention::{
        RetentionCounts, RetentionMode, RetentionPolicy, RetentionSpans,
    };
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let mode = match mode.trim() {
            "within" => Some(RetentionMode::Within),
            "count" => Some(RetentionMode::Count),
            _ => None,
        };
        check.field("mode", mode.is_none().then_some(Msg::ErrChoice));
        let mut span = |field: &str, s: &str| {
            let v = store::parse_span(s);
            check.field(field, v.is_none().then_some(Msg::ErrSpan));
            v
        };
        let spans = (
            span("within_daily", &within_daily),
            span("within_weekly", &within_weekly),
            span("within_monthly", &within_monthly),
            span("within_yearly", &within_yearly),
        );
        let mut count = |field: &str, s: &str| {
            let v = s.trim().parse::<u32>().ok().filter(|n| *n <= 10_000);
            check.field(field, v.is_none().then_some(Msg::ErrNumberRange));
            v
        };
        let counts = (
            count("keep_daily", &keep_daily),
            count("keep_weekly", &keep_weekly),
            count("keep_monthly", &keep_monthly),
            count("keep_yearly", &keep_yearly),
        );
        check.finish()?;
        let (
            Some(mode),
            (Some(wd), Some(ww), Some(wm), Some(wy)),
            (Some(kd), Some(kw), Some(km), Some(ky)),
        ) = (mode, spans, counts)
        else {
            return Err(AppError::Internal);
        };
        let policy = RetentionPolicy {
            mode,
            counts: RetentionCounts {
                daily: kd,
                weekly: kw,
                monthly: km,
                yearly: ky,
            },
            within: RetentionSpans {
                daily: wd,
                weekly: ww,
                monthly: wm,
                yearly: wy,
            },
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !store::save_retention(&mut tx, &actor, target_id, &policy).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Changes the objectives and the missed-run grace: RPO and RTO in minutes
/// (1–10080), grace in minutes (1–1440).
#[server(prefix = "/rpc", endpoint = "backups/save_settings")]
pub async fn save_backup_settings(
    rpo_minutes: String,
    rto_minutes: String,
    missed_grace_minutes: String,
) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let mut num = |field: &str, s: &str, hi: i32| {
            let v = s
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|v| (1..=hi).contains(v));
            check.field(field, v.is_none().then_some(Msg::ErrNumberRange));
            v
        };
        let rpo = num("rpo_minutes", &rpo_minutes, 10_080);
        let rto = num("rto_minutes", &rto_minutes, 10_080);
        let grace = num("missed_grace_minutes", &missed_grace_minutes, 1440);
        check.finish()?;
        let (Some(rpo), Some(rto), Some(grace)) = (rpo, rto, grace) else {
            return Err(AppError::Internal);
        };
        let v = crate::model::backups::BackupSettingsView {
            rpo_minutes: rpo,
            rto_minutes: rto,
            missed_grace_minutes: grace,
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        store::save_settings(&mut tx, &actor, &v).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Changes a target's built-in runner (admins: it runs a program on the
/// server). The command must contain `{file}`; the database URL may be
/// empty (opsdeck's own database) or a `postgres://` URL, and sent back
/// redacted it keeps the stored one; timeouts in seconds (1–86400).
#[server(prefix = "/rpc", endpoint = "backups/save_runner")]
pub async fn save_runner(
    target_id: i64,
    #[server(default)] enabled: bool,
    command: String,
    #[server(default)] database_url: String,
    #[server(default)] directory: String,
    timeout_seconds: String,
    drill_timeout_seconds: String,
) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let mut check = crate::validate::Check::default();
        let command = command.trim().to_string();
        check.field(
            "command",
            (command.chars().count() > 2000 || !runner::command_ok(&command))
                .then_some(Msg::ErrBackupCommand),
        );
        let url = database_url.trim().to_string();
        let url_ok = url.is_empty()
            || runner::is_redacted(&url)
            || (url.len() <= 2000 && runner::DbUrl::parse(&url).is_some());
        check.field("database_url", (!url_ok).then_some(Msg::ErrDatabaseUrl));
        let directory = directory.trim().to_string();
        check.field(
            "directory",
            (directory.chars().count() > 1000).then_some(Msg::ErrTooLong),
        );
        let mut secs = |field: &str, s: &str| {
            let v = s
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|v| (1..=86_400).contains(v));
            check.field(field, v.is_none().then_some(Msg::ErrNumberRange));
            v
        };
        let timeout = secs("timeout_seconds", &timeout_seconds);
        let drill_timeout = secs("drill_timeout_seconds", &drill_timeout_seconds);
        check.finish()?;
        let (Some(timeout), Some(drill_timeout)) = (timeout, drill_timeout) else {
            return Err(AppError::Internal);
        };
        let input = store::RunnerConfig {
            enabled,
            command,
            database_url: url,
            directory,
            timeout_seconds: timeout,
            drill_timeout_seconds: drill_timeout,
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !store::save_runner(&mut tx, &actor, target_id, &input).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// A prune dry run: the target's backups due for deletion now, built-in
/// ones (deleted on confirm) and agent-reported ones (delete with the agent).
#[server(prefix = "/rpc", endpoint = "backups/prune_preview")]
pub async fn preview_prune(target_id: i64) -> Result<PrunePreview, AppError> {
    rpc(OPERATOR, |call| async move {
        let mut conn = call.ctx.pool.acquire().await?;
        store::prune_preview(&mut conn, target_id, call.ctx.time_zone, chrono::Utc::now())
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Confirms a prune: `ids` are the run ids of the preview's `deletable`,
/// comma-separated. Refused, with nothing changed, if any of them is kept
/// by now, was reported by an agent, or is not this target's.
#[server(prefix = "/rpc", endpoint = "backups/prune")]
pub async fn prune_backups(target_id: i64, ids: String) -> Result<PruneOutcome, AppError> {
    rpc(OPERATOR, |call| async move {
        let parsed: Option<Vec<i64>> = ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<i64>().ok())
            .collect();
        let ids = match parsed {
            Some(v) if !v.is_empty() => v,
            Some(_) => return Err(AppError::field("ids", Msg::ErrRequired)),
            None => return Err(AppError::field("ids", Msg::ErrBackupUnknownRun)),
        };
        let actor = Actor::user(call.user()?);
        Ok(store::prune(
            &call.ctx.pool,
            &actor,
            target_id,
            &ids,
            call.ctx.time_zone,
            chrono::Utc::now(),
        )
        .await?)
    })
    .await
}
