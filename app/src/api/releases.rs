//! Releases (issue 11, R-REL-1..5): everyone signed in reads; release
//! managers plan, edit notes, publish and cancel; an admin sets the
//! issue-tracker link.

#[cfg(feature = "ssr")]
pub mod ics;
#[cfg(feature = "ssr")]
pub mod render;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::model::releases::NotesForm;
use crate::model::releases::{
    CalendarMonth, DiffLine, PlanCheck, PlanSaved, ReleaseDetail, ReleasesView, SaveNotesOutcome,
};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::{rpc, rpc_read, Call},
    i18n::Msg,
    role::{Access, Role},
    store::audit::Actor,
    store::releases as store,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const MANAGERS: Access = Access::AnyOf(&[Role::ReleaseManager]);

/// Longest summary of a release.
#[cfg(feature = "ssr")]
const SUMMARY_MAX: usize = 500;

/// `/releases`: every release with its milestones, and the active freeze.
#[server(prefix = "/rpc", endpoint = "releases/list")]
pub async fn load_releases() -> Result<ReleasesView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let pool = &call.ctx.pool;
        let tz = call.ctx.time_zone;
        let now = chrono::Utc::now();
        let s = store::settings(pool).await?;
        let releases = store::list(pool, tz, &s.calendar, now).await?;
        let active = store::active_freeze(pool, tz, &s.calendar, now).await?;
        Ok(ReleasesView {
            now,
            today: now.with_timezone(&tz).date_naive(),
            active_freeze: active
                .and_then(|f| releases.iter().find(|r| r.id == f.release_id).cloned()),
            last_released: store::last_released(pool).await?.map(|v| v.to_string()),
            releases,
            settings: s.view,
        })
    })
    .await
}

/// The overview's releases card: next release, freeze in force, last published.
#[server(prefix = "/rpc", endpoint = "releases/card")]
pub async fn load_releases_card() -> Result<crate::model::releases::ReleasesCard, AppError> {
    use crate::model::releases::ReleaseStatus;
    rpc_read(
        "releases/card".into(),
        Access::SignedIn,
        |call| async move {
            let pool = &call.ctx.pool;
            let now = chrono::Utc::now();
            let s = store::settings(pool).await?;
            let releases = store::list(pool, call.ctx.time_zone, &s.calendar, now).await?;
            let upcoming = |r: &&crate::model::releases::ReleaseRow| {
                matches!(r.status, ReleaseStatus::Planned | ReleaseStatus::Frozen)
            };
            Ok(crate::model::releases::ReleasesCard {
                now,
                next: releases
                    .iter()
                    .filter(upcoming)
                    .min_by_key(|r| r.planned_date)
                    .cloned(),
                active_freeze: releases
                    .iter()
                    .find(|r| r.status == ReleaseStatus::Frozen)
                    .cloned(),
                last_released: releases
                    .iter()
                    .filter(|r| r.status == ReleaseStatus::Released)
                    .max_by_key(|r| r.released_at)
                    .cloned(),
            })
        },
    )
    .await
}

/// `/releases/{id}`: one release, its current notes (rendered safely) and their history.
#[server(prefix = "/rpc", endpoint = "releases/get")]
pub async fn load_release(id: i64) -> Result<ReleaseDetail, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let pool = &call.ctx.pool;
        let tz = call.ctx.time_zone;
        let now = chrono::Utc::now();
        let s = store::settings(pool).await?;
        let release = store::get(pool, id, tz, &s.calendar, now)
            .await?
            .ok_or(AppError::NotFound)?;
        let (_, notes, markdown) = store::notes_head(pool, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let notes = match notes {
            Some(n) => n,
            None => {
                NotesForm::default().to_notes(parse_version(&release.version)?, release.breaking)
            }
        };
        let html = render::to_safe_html(&markdown, &s.view.issue_url_template);
        Ok(ReleaseDetail {
            now,
            release,
            notes,
            markdown,
            html,
            revisions: store::revisions(pool, id).await?,
            issue_url_template: s.view.issue_url_template,
        })
    })
    .await
}

#[cfg(feature = "ssr")]
fn parse_version(v: &str) -> Result<opsdeck::versions::Version, AppError> {
    opsdeck::versions::Version::parse(v).map_err(|_| AppError::field("version", Msg::ErrVersion))
}

/// What the plan form checks, live and again on save.
#[cfg(feature = "ssr")]
struct Checked {
    check: PlanCheck,
    version: Option<opsdeck::versions::Version>,
    date: Option<chrono::NaiveDate>,
}

/// R-REL-1/2/3 for a version and date: proposal, refusal naming both
/// versions, cadence warnings, overlapping freezes and past milestones.
#[cfg(feature = "ssr")]
async fn check_release(
    call: &Call,
    id: Option<i64>,
    version: &str,
    planned_date: &str,
    breaking: bool,
    features: bool,
    fixes: bool,
) -> Result<Checked, AppError> {
    use opsdeck::release_calendar as cal;
    use opsdeck::versions::{self as ver, ChangeKind, Version};
    let pool = &call.ctx.pool;
    let tz = call.ctx.time_zone;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let lang = crate::request_lang();
    let settings = store::settings(pool).await?;
    let last = store::last_released(pool).await?;
    let mut check = PlanCheck {
        last_released: last.as_ref().map(|v| v.to_string()),
        ..PlanCheck::default()
    };
    let mut changes = Vec::new();
    if breaking {
        changes.push(ChangeKind::Breaking);
    }
    if features {
        changes.push(ChangeKind::Feature);
    }
    if fixes {
        changes.push(ChangeKind::Fix);
    }
    let base = last.clone().unwrap_or_else(|| Version::new(0, 0, 0));
    check.proposed = ver::propose_next(&base, &changes)
        .ok()
        .map(|v| v.to_string());
    let parsed = if version.trim().is_empty() {
        None
    } else {
        match Version::parse(version) {
            Ok(v) => Some(v),
            Err(e) => {
                check.version_problem = Some(e.to_string());
                None
            }
        }
    };
    if let Some(v) = &parsed {
        if let Err(e) = ver::check_new_release(last.as_ref(), v) {
            check.version_problem = Some(match lang {
                crate::i18n::Lang::Ja => format!(
                    "v{v} は最後にリリースした v{} より大きくしてください。",
                    check.last_released.clone().unwrap_or_default()
                ),
                crate::i18n::Lang::En => e.to_string(),
            });
        }
        check.kind = Some(match &last {
            Some(l) => v.kind_since(l).unwrap_or(ver::ReleaseKind::Patch),
            None if v.major() > 0 && v.minor() == 0 && v.patch() == 0 => ver::ReleaseKind::Major,
            None if v.patch() == 0 => ver::ReleaseKind::Minor,
            None => ver::ReleaseKind::Patch,
        });
    }
    let date = if planned_date.trim().is_empty() {
        None
    } else {
        match chrono::NaiveDate::parse_from_str(planned_date.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                check.date_problem = Some(Msg::ErrDate.text(lang).to_string());
                None
            }
        }
    };
    if let Some(d) = date {
        if d < today {
            check.date_problem = Some(Msg::ErrDateInPast.text(lang).to_string());
        }
        check.milestones = cal::milestones(d, &settings.calendar)
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let past = m.date < today;
                (m, past)
            })
            .collect();
        if let Ok(mine) = cal::code_freeze_interval(d, tz, &settings.calendar) {
            check.overlapping_freezes = store::freezes(pool, tz, &settings.calendar)
                .await?
                .into_iter()
                .filter(|f| Some(f.release_id) != id && f.window.overlaps(&mine))
                .map(|f| f.version)
                .collect();
        }
        // Cadence over every planned or released release, this one included.
        let others = store::list(pool, tz, &settings.calendar, now).await?;
        let mut planned: Vec<cal::PlannedRelease> = others
            .iter()
            .filter(|r| {
                Some(r.id) != id && r.status != crate::model::releases::ReleaseStatus::Cancelled
            })
            .map(|r| cal::PlannedRelease {
                date: r.planned_date,
                kind: r.kind,
            })
            .collect();
        let before: Vec<String> = cal::check_cadence(&planned, &settings.cadence, today)
            .iter()
            .map(|w| w.to_string())
            .collect();
        if let Some(kind) = check.kind {
            planned.push(cal::PlannedRelease { date: d, kind });
            // Only what this plan adds or changes: old years' shortfalls are not news.
            check.cadence_warnings = cal::check_cadence(&planned, &settings.cadence, today)
                .iter()
                .map(|w| w.to_string())
                .filter(|w| !before.contains(w))
                .collect();
        }
    }
    Ok(Checked {
        check,
        version: parsed,
        date,
    })
}

/// The plan form's live check, shown before saving.
#[server(prefix = "/rpc", endpoint = "releases/check")]
pub async fn check_plan(
    #[server(default)] id: Option<i64>,
    version: String,
    planned_date: String,
    #[server(default)] breaking: bool,
    #[server(default)] features: bool,
    #[server(default)] fixes: bool,
) -> Result<PlanCheck, AppError> {
    rpc(MANAGERS, |call| async move {
        Ok(check_release(
            &call,
            id,
            &version,
            &planned_date,
            breaking,
            features,
            fixes,
        )
        .await?
        .check)
    })
    .await
}

/// Validates a plan into what the store saves, or field errors.
#[cfg(feature = "ssr")]
async fn plan_input(
    call: &Call,
    id: Option<i64>,
    version: &str,
    planned_date: &str,
    breaking: bool,
    summary: &str,
) -> Result<(store::PlanInput, Vec<String>), AppError> {
    let c = check_release(call, id, version, planned_date, breaking, false, false).await?;
    let mut v = crate::validate::Check::default();
    v.field(
        "version",
        match (&c.version, &c.check.version_problem) {
            (None, None) => Some(Msg::ErrRequired),
            (None, Some(_)) => Some(Msg::ErrVersion),
            (Some(_), Some(_)) => Some(Msg::ErrVersionNotGreater),
            (Some(_), None) => None,
        },
    );
    v.field(
        "planned_date",
        match (&c.date, &c.check.date_problem) {
            (None, None) => Some(Msg::ErrRequired),
            (None, Some(_)) => Some(Msg::ErrDate),
            (Some(_), Some(_)) => Some(Msg::ErrDateInPast),
            (Some(_), None) => None,
        },
    );
    v.field(
        "summary",
        (summary.chars().count() > SUMMARY_MAX).then_some(Msg::ErrTooLong),
    );
    v.finish()?;
    let (Some(version), Some(planned_date), Some(kind)) = (c.version, c.date, c.check.kind) else {
        return Err(AppError::Internal);
    };
    let mut warnings = c.check.cadence_warnings;
    warnings.extend(
        c.check
            .overlapping_freezes
            .iter()
            .map(|v| format!("code freeze overlaps v{v}")),
    );
    Ok((
        store::PlanInput {
            version,
            kind,
            planned_date,
            breaking,
            summary: summary.trim().to_string(),
        },
        warnings,
    ))
}

#[cfg(feature = "ssr")]
fn plan_error(e: store::PlanError) -> AppError {
    match e {
        store::PlanError::Duplicate(_) => AppError::Conflict(crate::error::FieldError::new(
            "version",
            Msg::ErrVersionTaken,
        )),
        store::PlanError::NotPlanned => AppError::field("version", Msg::ErrReleaseNotPlanned),
        store::PlanError::Db(e) => e.into(),
    }
}

/// Plans a release (release_manager). Cadence warnings do not stop it.
#[server(prefix = "/rpc", endpoint = "releases/plan")]
pub async fn plan_release(
    version: String,
    planned_date: String,
    #[server(default)] breaking: bool,
    #[server(default)] summary: String,
) -> Result<PlanSaved, AppError> {
    rpc(MANAGERS, |call| async move {
        let (input, warnings) =
            plan_input(&call, None, &version, &planned_date, breaking, &summary).await?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let id = store::create(&mut tx, &actor, &input)
            .await
            .map_err(plan_error)?;
        tx.commit().await?;
        Ok(PlanSaved { id, warnings })
    })
    .await
}

/// Changes a planned release (release_manager).
#[server(prefix = "/rpc", endpoint = "releases/update")]
pub async fn update_release(
    id: i64,
    version: String,
    planned_date: String,
    #[server(default)] breaking: bool,
    #[server(default)] summary: String,
) -> Result<PlanSaved, AppError> {
    rpc(MANAGERS, |call| async move {
        let (input, warnings) =
            plan_input(&call, Some(id), &version, &planned_date, breaking, &summary).await?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        store::update(&mut tx, &actor, id, &input)
            .await
            .map_err(plan_error)?;
        tx.commit().await?;
        Ok(PlanSaved { id, warnings })
    })
    .await
}

/// Cancels a planned release (release_manager); its freeze is lifted.
#[server(prefix = "/rpc", endpoint = "releases/cancel")]
pub async fn cancel_release(id: i64) -> Result<(), AppError> {
    rpc(MANAGERS, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !store::cancel(&mut tx, &actor, id).await? {
            return Err(AppError::field("version", Msg::ErrReleaseNotPlanned));
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Publishes a planned release (R-REL-5): released, with who and when;
/// stakeholders are notified. From then on only Known issues can change.
#[server(prefix = "/rpc", endpoint = "releases/publish")]
pub async fn publish_release(id: i64) -> Result<(), AppError> {
    rpc(MANAGERS, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        // R-REL-1 again at the moment of publishing: another release may have
        // been published with a higher version since this one was planned.
        let last = store::last_released(&mut *tx).await?;
        let version: Option<String> =
            sqlx::query_scalar("SELECT version FROM releases WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let version = parse_version(&version.ok_or(AppError::NotFound)?)?;
        if opsdeck::versions::check_new_release(last.as_ref(), &version).is_err() {
            return Err(AppError::field("version", Msg::ErrVersionNotGreater));
        }
        if store::publish(&mut tx, &actor, id).await?.is_none() {
            return Err(AppError::field("version", Msg::ErrReleaseNotPlanned));
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Checks the editor's form and turns it into notes for `release`.
#[cfg(feature = "ssr")]
fn notes_from_form(
    release: &crate::model::releases::ReleaseRow,
    form: &NotesForm,
) -> Result<opsdeck::release_notes::ReleaseNotes, AppError> {
    let version = parse_version(&release.version)?;
    let notes = form.to_notes(version, release.breaking);
    if let Err(e) = notes.validate() {
        use opsdeck::release_notes::NotesError;
        return Err(match e {
            NotesError::TooLarge { .. } => AppError::field("notes", Msg::ErrNotesTooLarge),
            _ => AppError::field("notes", Msg::ErrNotesItem),
        });
    }
    Ok(notes)
}

/// Saves the notes on top of `base_revision` (release_manager). If someone
/// saved a newer revision since, nothing is saved and both texts come back.
#[server(prefix = "/rpc", endpoint = "releases/notes/save")]
pub async fn save_release_notes(
    id: i64,
    base_revision: i32,
    #[server(default)] new_features: String,
    #[server(default)] improvements: String,
    #[server(default)] bug_fixes: String,
    #[server(default)] known_issues: String,
    #[server(default)] upgrade_steps: String,
) -> Result<SaveNotesOutcome, AppError> {
    rpc(MANAGERS, |call| async move {
        let form = NotesForm {
            new_features,
            improvements,
            bug_fixes,
            known_issues,
            upgrade_steps,
        };
        let tz = call.ctx.time_zone;
        let now = chrono::Utc::now();
        let s = store::settings(&call.ctx.pool).await?;
        let release = store::get(&call.ctx.pool, id, tz, &s.calendar, now)
            .await?
            .ok_or(AppError::NotFound)?;
        let notes = notes_from_form(&release, &form)?;
        use crate::model::releases::ReleaseStatus;
        match release.status {
            ReleaseStatus::Cancelled => {
                return Err(AppError::field("notes", Msg::ErrReleaseNotPlanned))
            }
            ReleaseStatus::Released => {
                // Published: only Known issues may change (R-REL-5).
                let (_, head, _) = store::notes_head(&call.ctx.pool, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let head_form = head.as_ref().map(NotesForm::from_notes).unwrap_or_default();
                let mine = NotesForm::from_notes(&notes);
                let other_changed = opsdeck::release_notes::Section::ALL
                    .into_iter()
                    .filter(|s| *s != opsdeck::release_notes::Section::KnownIssues)
                    .any(|s| head_form.get(s) != mine.get(s));
                if other_changed {
                    return Err(AppError::field("notes", Msg::ErrReleasePublishedReadOnly));
                }
            }
            ReleaseStatus::Planned | ReleaseStatus::Frozen => {}
        }
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let outcome = store::save_notes(&mut tx, &actor, id, base_revision, &notes)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(outcome)
    })
    .await
}

/// The live preview: the form rendered exactly as the notes will be, sanitised.
#[server(prefix = "/rpc", endpoint = "releases/notes/preview")]
pub async fn preview_release_notes(
    id: i64,
    #[server(default)] new_features: String,
    #[server(default)] improvements: String,
    #[server(default)] bug_fixes: String,
    #[server(default)] known_issues: String,
    #[server(default)] upgrade_steps: String,
) -> Result<String, AppError> {
    rpc(MANAGERS, |call| async move {
        let form = NotesForm {
            new_features,
            improvements,
            bug_fixes,
            known_issues,
            upgrade_steps,
        };
        let tz = call.ctx.time_zone;
        let s = store::settings(&call.ctx.pool).await?;
        let release = store::get(&call.ctx.pool, id, tz, &s.calendar, chrono::Utc::now())
            .await?
            .ok_or(AppError::NotFound)?;
        let notes = notes_from_form(&release, &form)?;
        Ok(render::to_safe_html(
            &notes.render_markdown(),
            &s.view.issue_url_template,
        ))
    })
    .await
}

/// A line diff between two revisions of a release's notes (0 = empty).
#[server(prefix = "/rpc", endpoint = "releases/notes/diff")]
pub async fn diff_release_notes(id: i64, from: i32, to: i32) -> Result<Vec<DiffLine>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let pool = &call.ctx.pool;
        let text = |rev: i32| async move {
            if rev == 0 {
                Ok::<_, AppError>(String::new())
            } else {
                store::revision_markdown(pool, id, rev)
                    .await?
                    .ok_or(AppError::NotFound)
            }
        };
        let (old, new) = (text(from).await?, text(to).await?);
        let diff = similar::TextDiff::from_lines(&old, &new);
        Ok(diff
            .iter_all_changes()
            .map(|c| DiffLine {
                tag: match c.tag() {
                    similar::ChangeTag::Equal => ' ',
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                },
                text: c.value().trim_end_matches('\n').to_string(),
            })
            .collect())
    })
    .await
}

/// The issue-tracker link for `#123` (admin): an http(s) URL with `{n}`.
#[server(prefix = "/rpc", endpoint = "releases/settings")]
pub async fn save_release_settings(issue_url_template: String) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let t = issue_url_template.trim();
        let ok = t.len() <= 500
            && t.contains("{n}")
            && url::Url::parse(&t.replace("{n}", "1"))
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(AppError::field(
                "issue_url_template",
                Msg::ErrIssueUrlTemplate,
            ));
        }
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        store::save_issue_url_template(&mut tx, &actor, t).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// `/releases/calendar`: the month grid (`YYYY-MM`, empty for this month)
/// with milestones, freeze bands and maintenance windows, in the configured zone.
#[server(prefix = "/rpc", endpoint = "releases/calendar")]
pub async fn load_calendar(#[server(default)] month: String) -> Result<CalendarMonth, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let tz = call.ctx.time_zone;
        let now = chrono::Utc::now();
        let today = now.with_timezone(&tz).date_naive();
        let (year, month) = match month.trim() {
            "" => {
                use chrono::Datelike;
                (today.year(), today.month())
            }
            m => parse_month(m).ok_or(AppError::field("month", Msg::ErrMonth))?,
        };
        let user_id = call.user()?.id;
        let mut cal = ics::month(&call.ctx.pool, tz, now, year, month).await?;
        cal.feed_created_at = store::feed_created_at(&call.ctx.pool, user_id).await?;
        Ok(cal)
    })
    .await
}

#[cfg(feature = "ssr")]
fn parse_month(m: &str) -> Option<(i32, u32)> {
    let (y, mo) = m.split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let mo: u32 = mo.parse().ok()?;
    ((1970..=9999).contains(&y) && (1..=12).contains(&mo)).then_some((y, mo))
}

/// Makes a new secret feed URL for the signed-in user and returns its path
/// (shown once). The previous URL stops working at once.
#[server(prefix = "/rpc", endpoint = "releases/feed")]
pub async fn regenerate_calendar_feed() -> Result<String, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let user = call.user()?;
        let actor = Actor::user(user);
        let mut tx = call.ctx.pool.begin().await?;
        let secret = store::regenerate_feed(&mut tx, &actor, user.id).await?;
        tx.commit().await?;
        // The path only: the page puts its own origin in front.
        Ok(format!("/calendar.ics?k={secret}"))
    })
    .await
}
