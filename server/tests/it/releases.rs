//! Releases (issue 11, R-REL-1..5): planning with version and cadence
//! checks, notes revisions that never silently overwrite, sanitised
//! rendering, publishing, and the iCalendar feed read back by an
//! independent parser.

use crate::support::*;
use chrono::{Datelike, TimeDelta, Utc};
use opsdeck_app::error::AppError;
use opsdeck_app::i18n::Msg;
use opsdeck_app::model::releases::{
    DiffLine, PlanCheck, PlanSaved, ReleaseDetail, ReleasesView, SaveNotesOutcome,
};
use opsdeck_app::role::Role;
use sqlx::PgPool;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

fn day_in(days: i64) -> String {
    (Utc::now().with_timezone(&TZ).date_naive() + TimeDelta::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn manager(app: &TestApp, pool: &PgPool) -> reqwest::Client {
    create_user(pool, "rm", &[Role::ReleaseManager]).await;
    app.signed_in("rm").await
}

async fn plan(app: &TestApp, c: &reqwest::Client, version: &str, date: &str) -> PlanSaved {
    let res = app
        .rpc(
            c,
            "/rpc/releases/plan",
            &[
                ("version", version),
                ("planned_date", date),
                ("summary", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn publish(app: &TestApp, c: &reqwest::Client, id: i64) {
    let res = app
        .rpc(c, "/rpc/releases/publish", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn save_notes(
    app: &TestApp,
    c: &reqwest::Client,
    id: i64,
    base: i32,
    features: &str,
    known: &str,
) -> reqwest::Response {
    app.rpc(
        c,
        "/rpc/releases/notes/save",
        &[
            ("id", &id.to_string()),
            ("base_revision", &base.to_string()),
            ("new_features", features),
            ("known_issues", known),
        ],
    )
    .await
}

async fn detail(app: &TestApp, c: &reqwest::Client, id: i64) -> ReleaseDetail {
    let res = app
        .rpc(c, "/rpc/releases/get", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_plan_gets_its_milestones_and_the_list_shows_it_r_rel_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    let date = day_in(30);
    let saved = plan(&app, &rm, "v1.3.0", &date).await;
    let viewer = {
        create_user(&pool, "v", &[Role::Viewer]).await;
        app.signed_in("v").await
    };
    let view: ReleasesView = app
        .rpc(&viewer, "/rpc/releases/list", &[])
        .await
        .json()
        .await
        .unwrap();
    let r = view
        .releases
        .iter()
        .find(|r| r.id == saved.id)
        .expect("planned release listed");
    assert_eq!(r.version, "1.3.0");
    let dates: Vec<String> = r
        .milestones
        .iter()
        .map(|m| m.date.format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(
        dates,
        vec![day_in(16), day_in(23), day_in(27), day_in(29), day_in(30)],
        "T−14, T−7, T−3, T−1, release day"
    );
    // The plan is audited.
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'release.plan'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn bad_versions_and_dates_are_refused_and_nothing_is_saved_r_rel_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    let first = plan(&app, &rm, "1.2.0", &day_in(10)).await;
    publish(&app, &rm, first.id).await;

    for (version, date, field, msg) in [
        ("1.2", day_in(20), "version", Msg::ErrVersion),
        ("1.2.0-rc.1", day_in(20), "version", Msg::ErrVersion),
        ("1.1.9", day_in(20), "version", Msg::ErrVersionNotGreater),
        ("1.2.0", day_in(20), "version", Msg::ErrVersionNotGreater),
        ("1.3.0", day_in(-1), "planned_date", Msg::ErrDateInPast),
        (
            "1.3.0",
            "2026-02-30".to_string(),
            "planned_date",
            Msg::ErrDate,
        ),
    ] {
        let res = app
            .rpc(
                &rm,
                "/rpc/releases/plan",
                &[("version", version), ("planned_date", &date)],
            )
            .await;
        let (status, err) = app_error(res).await;
        assert_eq!(status, 422, "{version} {date}");
        match err {
            AppError::Validation(fields) => assert!(
                fields.iter().any(|f| f.field == field && f.msg == msg),
                "{version} {date}: {fields:?}"
            ),
            other => panic!("{version}: {other:?}"),
        }
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM releases")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing saved");

    // The live check names both versions.
    let check: PlanCheck = app
        .rpc(
            &rm,
            "/rpc/releases/check",
            &[("version", "1.1.0"), ("planned_date", &day_in(20))],
        )
        .await
        .json()
        .await
        .unwrap();
    let problem = check.version_problem.expect("refused");
    assert!(
        problem.contains("1.1.0") && problem.contains("1.2.0"),
        "{problem}"
    );
    // A duplicate version is a conflict.
    plan(&app, &rm, "1.3.0", &day_in(40)).await;
    let res = app
        .rpc(
            &rm,
            "/rpc/releases/plan",
            &[("version", "1.3.0"), ("planned_date", &day_in(50))],
        )
        .await;
    assert_eq!(res.status(), 409);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_next_version_is_proposed_and_cadence_and_freeze_overlaps_warn_r_rel_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    let first = plan(&app, &rm, "1.2.0", &day_in(1)).await;
    publish(&app, &rm, first.id).await;

    let check = |args: Vec<(&'static str, String)>| {
        let app = &app;
        let rm = &rm;
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.rpc(rm, "/rpc/releases/check", &args).await;
            assert_eq!(res.status(), 200);
            res.json::<PlanCheck>().await.unwrap()
        }
    };
    let c = check(vec![
        ("version", String::new()),
        ("planned_date", String::new()),
        ("features", "true".into()),
    ])
    .await;
    assert_eq!(c.proposed.as_deref(), Some("1.3.0"));
    let c = check(vec![
        ("version", String::new()),
        ("planned_date", String::new()),
        ("breaking", "true".into()),
        ("features", "true".into()),
    ])
    .await;
    assert_eq!(c.proposed.as_deref(), Some("2.0.0"));

    // Two minors planned in one month; a third warns (max 2 per month), and
    // its freeze overlaps the others'. Saving is still allowed.
    let base = Utc::now().with_timezone(&TZ).date_naive() + TimeDelta::days(60);
    let month_day = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(base.year(), base.month(), d)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    plan(&app, &rm, "1.3.0", &month_day(10)).await;
    plan(&app, &rm, "1.4.0", &month_day(14)).await;
    let c = check(vec![
        ("version", "1.5.0".into()),
        ("planned_date", month_day(16)),
    ])
    .await;
    assert!(
        c.cadence_warnings
            .iter()
            .any(|w| w.contains("minors per month")),
        "{:?}",
        c.cadence_warnings
    );
    assert!(
        c.overlapping_freezes.contains(&"1.4.0".to_string()),
        "{:?}",
        c.overlapping_freezes
    );
    let saved = plan(&app, &rm, "1.5.0", &month_day(16)).await;
    assert!(!saved.warnings.is_empty());

    // Milestones already past are flagged: release in 5 days → feature freeze (T−14) and code freeze (T−7) are past.
    let c = check(vec![
        ("version", "1.6.0".into()),
        ("planned_date", day_in(5)),
    ])
    .await;
    let past: Vec<bool> = c.milestones.iter().map(|(_, p)| *p).collect();
    assert_eq!(past, vec![true, true, false, false, false]);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_stale_save_is_refused_with_both_texts_r_rel_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    create_user(&pool, "rm2", &[Role::ReleaseManager]).await;
    let rm2 = app.signed_in("rm2").await;
    let r = plan(&app, &rm, "1.3.0", &day_in(30)).await;

    let res = save_notes(&app, &rm, r.id, 0, "デッキ共有機能を追加 (#123)", "").await;
    assert_eq!(res.status(), 200);
    let out: SaveNotesOutcome = res.json().await.unwrap();
    assert_eq!(out, SaveNotesOutcome::Saved { revision: 1 });

    // rm2 still edits revision 0.
    let res = save_notes(&app, &rm2, r.id, 0, "別の変更 (#7)", "").await;
    assert_eq!(res.status(), 200);
    match res.json::<SaveNotesOutcome>().await.unwrap() {
        SaveNotesOutcome::Conflict {
            head_revision,
            head_author,
            theirs,
            yours,
            ..
        } => {
            assert_eq!(head_revision, 1);
            assert_eq!(head_author, "rm");
            assert!(theirs.contains("- デッキ共有機能を追加 (#123)"), "{theirs}");
            assert!(yours.contains("- 別の変更 (#7)"), "{yours}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let d = detail(&app, &rm, r.id).await;
    assert_eq!(d.release.notes_revision, 1, "nothing saved over revision 1");
    assert!(d.markdown.contains("デッキ共有機能を追加"));

    // Two concurrent saves on the same base: exactly one wins.
    let (a, b) = tokio::join!(
        save_notes(&app, &rm, r.id, 1, "A", ""),
        save_notes(&app, &rm2, r.id, 1, "B", ""),
    );
    let a: SaveNotesOutcome = a.json().await.unwrap();
    let b: SaveNotesOutcome = b.json().await.unwrap();
    let saved = [&a, &b]
        .iter()
        .filter(|o| matches!(o, SaveNotesOutcome::Saved { revision: 2 }))
        .count();
    let conflicts = [&a, &b]
        .iter()
        .filter(|o| matches!(o, SaveNotesOutcome::Conflict { .. }))
        .count();
    assert_eq!((saved, conflicts), (1, 1), "{a:?} {b:?}");
    let revisions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM release_note_revisions WHERE release_id = $1")
            .bind(r.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(revisions, 2);

    // History and a diff between revisions.
    let d = detail(&app, &rm, r.id).await;
    assert_eq!(
        d.revisions.iter().map(|r| r.revision).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let diff: Vec<DiffLine> = app
        .rpc(
            &rm,
            "/rpc/releases/notes/diff",
            &[("id", &r.id.to_string()), ("from", "1"), ("to", "2")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(diff
        .iter()
        .any(|l| l.tag == '-' && l.text.contains("デッキ共有機能を追加")));
    assert!(diff.iter().any(|l| l.tag == '+'));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn notes_render_sanitised_with_issue_links_and_over_200_kb_is_refused_r_rel_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    let r = plan(&app, &rm, "1.3.0", &day_in(30)).await;
    let evil = "shared decks (#123)\n<script>alert(1)</script> x\n<img src=x onerror=alert(2)>\n[click](javascript:alert(3))";
    let res = app
        .rpc(
            &rm,
            "/rpc/releases/notes/preview",
            &[("id", &r.id.to_string()), ("new_features", evil)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html: String = res.json().await.unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("onerror"), "{html}");
    assert!(!html.to_lowercase().contains("javascript:"), "{html}");
    assert!(
        html.contains("https://github.com/mythologia/mythologia/issues/123"),
        "{html}"
    );
    // Saved notes render through the same sanitiser.
    assert_eq!(save_notes(&app, &rm, r.id, 0, evil, "").await.status(), 200);
    let d = detail(&app, &rm, r.id).await;
    assert!(!d.html.contains("<script"), "{}", d.html);
    assert!(!d.html.contains("onerror"), "{}", d.html);

    let huge = "x".repeat(1000) + "\n";
    let res = save_notes(&app, &rm, r.id, 1, &huge.repeat(210), "").await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(err, AppError::field("notes", Msg::ErrNotesTooLarge));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn publishing_records_who_notifies_once_and_leaves_only_known_issues_editable_r_rel_5(
    pool: PgPool,
) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    let r = plan(&app, &rm, "1.3.0", &day_in(3)).await;
    assert_eq!(
        save_notes(&app, &rm, r.id, 0, "feature (#1)", "leak (#2)")
            .await
            .status(),
        200
    );
    publish(&app, &rm, r.id).await;
    let d = detail(&app, &rm, r.id).await;
    assert_eq!(d.release.released_by.as_deref(), Some("rm"));
    assert!(d.release.released_at.is_some());
    // Publishing twice is refused; one message to stakeholders.
    let res = app
        .rpc(&rm, "/rpc/releases/publish", &[("id", &r.id.to_string())])
        .await;
    assert_eq!(res.status(), 422);
    let messages: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_messages WHERE kind = 'releases.published'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(messages, 1);

    // Changing a feature after publishing is refused; known issues may change.
    let res = save_notes(&app, &rm, r.id, 1, "another feature", "leak (#2)").await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(
        err,
        AppError::field("notes", Msg::ErrReleasePublishedReadOnly)
    );
    let res = save_notes(
        &app,
        &rm,
        r.id,
        1,
        "feature (#1)",
        "leak (#2)\nslow start (#3)",
    )
    .await;
    assert_eq!(
        res.json::<SaveNotesOutcome>().await.unwrap(),
        SaveNotesOutcome::Saved { revision: 2 }
    );
    // The plan of a published release cannot change either.
    let res = app
        .rpc(
            &rm,
            "/rpc/releases/update",
            &[
                ("id", &r.id.to_string()),
                ("version", "1.4.0"),
                ("planned_date", &day_in(20)),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
}

fn feed_events(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for cal in ical::IcalParser::new(std::io::BufReader::new(body.as_bytes())) {
        let cal = cal.expect("a valid iCalendar");
        for e in cal.events {
            let prop = |name: &str| {
                e.properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            out.push((prop("UID"), prop("SUMMARY")));
        }
    }
    out.sort();
    out
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_ics_feed_parses_has_stable_uids_and_a_regenerated_secret_retires_the_old_r_rel_3(
    pool: PgPool,
) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    plan(&app, &rm, "1.3.0", &day_in(30)).await;
    // The maintenance windows come from the same source as the SLA's exclusions.
    opsdeck_app::store::maintenance_windows::scheduler_pass(&pool, TZ, Utc::now())
        .await
        .unwrap();

    let path: String = app
        .rpc(&rm, "/rpc/releases/feed", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(path.starts_with("/calendar.ics?k=odc_"), "{path}");
    let anonymous = browser();
    let res = app.get(&anonymous, &path).await;
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/calendar")));
    let first = feed_events(&res.text().await.unwrap());
    let second = feed_events(&app.get(&anonymous, &path).await.text().await.unwrap());
    assert_eq!(first, second, "UIDs and events are stable across fetches");
    let release_events: Vec<_> = first
        .iter()
        .filter(|(uid, _)| uid.starts_with("release-"))
        .collect();
    assert_eq!(release_events.len(), 5, "four milestones and release day");
    assert!(release_events
        .iter()
        .any(|(_, s)| s.contains("コードフリーズ") && s.contains("1.3.0")));
    assert!(
        first
            .iter()
            .filter(|(uid, _)| uid.starts_with("maintenance-"))
            .count()
            >= 12,
        "the monthly maintenance windows"
    );
    let uids: std::collections::BTreeSet<_> = first.iter().map(|(u, _)| u).collect();
    assert_eq!(uids.len(), first.len(), "UIDs are unique");

    // The secret is stored hashed, never as itself.
    let secret = path.trim_start_matches("/calendar.ics?k=");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_hash FROM calendar_feeds")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(stored, secret.as_bytes());

    // Regenerating retires the old URL.
    let new_path: String = app
        .rpc(&rm, "/rpc/releases/feed", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(new_path, path);
    assert_eq!(app.get(&anonymous, &path).await.status(), 404);
    assert_eq!(app.get(&anonymous, &new_path).await.status(), 200);
    for bad in [
        "/calendar.ics",
        "/calendar.ics?k=",
        "/calendar.ics?k=odc_wrong",
    ] {
        assert_eq!(app.get(&anonymous, bad).await.status(), 404, "{bad}");
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_calendar_month_shows_milestones_freeze_band_and_maintenance_r_rel_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let rm = manager(&app, &pool).await;
    opsdeck_app::store::maintenance_windows::scheduler_pass(&pool, TZ, Utc::now())
        .await
        .unwrap();
    // A release on the 25th of next month.
    let today = Utc::now().with_timezone(&TZ).date_naive();
    let next = today
        .with_day(1)
        .unwrap()
        .checked_add_months(chrono::Months::new(1))
        .unwrap();
    let release_day = next.with_day(25).unwrap();
    plan(
        &app,
        &rm,
        "1.3.0",
        &release_day.format("%Y-%m-%d").to_string(),
    )
    .await;
    let month = next.format("%Y-%m").to_string();
    let cal: opsdeck_app::model::releases::CalendarMonth = app
        .rpc(&rm, "/rpc/releases/calendar", &[("month", &month)])
        .await
        .json()
        .await
        .unwrap();
    use opsdeck_app::model::releases::CalendarItem;
    let on = |d: chrono::NaiveDate| {
        cal.days
            .iter()
            .find(|(day, _)| *day == d)
            .map(|(_, items)| items.clone())
            .unwrap_or_default()
    };
    assert!(on(release_day).iter().any(|i| matches!(
        i,
        CalendarItem::Milestone {
            kind: opsdeck::release_calendar::MilestoneKind::Release,
            ..
        }
    )));
    let freeze_days = cal
        .days
        .iter()
        .filter(|(_, items)| {
            items
                .iter()
                .any(|i| matches!(i, CalendarItem::Freeze { .. }))
        })
        .count();
    assert_eq!(freeze_days, 7, "T−7 up to release day");
    assert!(
        cal.days.iter().any(|(_, items)| items
            .iter()
            .any(|i| matches!(i, CalendarItem::Maintenance { .. }))),
        "the first-Sunday window"
    );
    let bad = app
        .rpc(&rm, "/rpc/releases/calendar", &[("month", "2026-13")])
        .await;
    assert_eq!(bad.status(), 422);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn demo_releases_have_a_year_of_notes_and_one_release_in_its_freeze(pool: PgPool) {
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM releases")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let first = count().await;
    opsdeck_server::demo::seed(&pool).await.unwrap();
    assert_eq!(count().await, first, "seeding again adds nothing");
    let app = spawn(pool.clone()).await;
    create_user(&pool, "v", &[Role::Viewer]).await;
    let viewer = app.signed_in("v").await;
    let view: ReleasesView = app
        .rpc(&viewer, "/rpc/releases/list", &[])
        .await
        .json()
        .await
        .unwrap();
    use opsdeck_app::model::releases::ReleaseStatus;
    let released = view
        .releases
        .iter()
        .filter(|r| r.status == ReleaseStatus::Released)
        .count();
    assert!(released >= 8, "{released}");
    assert_eq!(
        view.active_freeze.as_ref().map(|r| r.version.as_str()),
        Some("1.2.4")
    );
    assert_eq!(view.last_released.as_deref(), Some("1.2.3"));
    // v1.2.0 carries the policy's example, which parses back into the same notes.
    let id = view
        .releases
        .iter()
        .find(|r| r.version == "1.2.0")
        .unwrap()
        .id;
    let d = detail(&app, &viewer, id).await;
    assert!(d
        .markdown
        .starts_with("# v1.2.0 リリースノート\n\n## 新機能\n- デッキ共有機能を追加 (#123)\n"));
    assert_eq!(
        opsdeck::release_notes::parse_markdown(&d.markdown).unwrap(),
        d.notes
    );
    // Production shows the freeze.
    let envs: Vec<opsdeck_app::model::EnvironmentRow> = app
        .rpc(&viewer, "/rpc/overview/environments", &[])
        .await
        .json()
        .await
        .unwrap();
    let prod = envs.iter().find(|e| e.name == "Production").unwrap();
    assert_eq!(prod.code_freeze.as_deref(), Some("1.2.4"));
}
