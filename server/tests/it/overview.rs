//! The overview's data (R-UI-1, R-DEP-1, R-MNT-1, R-SLA-1).

use crate::support::*;
use chrono::{Datelike, Timelike};
use opsdeck_app::role::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn summary_gives_the_next_first_sunday_window_and_the_months_downtime(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "viewer", &[Role::Viewer]).await;
    let tz = chrono_tz::Asia::Tokyo;
    // This month's first-Sunday window exists, and is excluded from the SLA (R-SLA-2, R-MNT-1).
    opsdeck_app::store::maintenance_windows::scheduler_pass(&pool, tz, chrono::Utc::now())
        .await
        .unwrap();
    let c = app.signed_in("viewer").await;
    let res = app.rpc(&c, "/rpc/overview/summary", &[]).await;
    assert_eq!(res.status(), 200);
    let s: opsdeck_app::model::OverviewSummary = res.json().await.unwrap();
    assert_eq!(s.sla_target_percent, 99.9);
    let allowed = s.allowed_downtime_minutes.unwrap();
    let local = s.now.with_timezone(&tz);
    let month = opsdeck::sla::local_month(tz, local.year(), local.month()).unwrap();
    let windows =
        opsdeck_app::store::maintenance_windows::intervals(&pool, month.start, month.end, None)
            .await
            .unwrap();
    let excluded: i64 = windows
        .iter()
        .filter_map(|w| w.intersection(&month))
        .map(|w| w.length().num_minutes())
        .sum();
    assert!(excluded >= 120, "the monthly window: {excluded}");
    let expected = ((month.end - month.start).num_minutes() - excluded) as f64 * 0.001;
    assert!(
        (allowed - expected).abs() < 1e-6,
        "{allowed} vs {expected}: 0.1 % of the month's minutes outside maintenance"
    );
    let (start, end) = s.next_maintenance.unwrap();
    let local = start.with_timezone(&chrono_tz::Asia::Tokyo);
    assert!(start > s.now);
    assert_eq!(local.weekday(), chrono::Weekday::Sun);
    assert!(local.day() <= 7, "first Sunday");
    assert_eq!((local.hour(), local.minute()), (2, 0));
    assert_eq!(end - start, chrono::Duration::hours(2));
    assert_eq!(s.announce_at.unwrap(), start - chrono::Duration::days(7));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn environments_are_listed_in_pipeline_order(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let c = app
        .signed_in_with("viewer", &opsdeck_server::demo::demo_password("viewer"))
        .await;
    let envs: Vec<opsdeck_app::model::EnvironmentRow> = app
        .rpc(&c, "/rpc/overview/environments", &[])
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Local", "Development", "Staging", "Production"]);
    assert_eq!(envs[3].live_colour.as_deref(), Some("blue"));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_top_bar_shows_environment_health_only_to_signed_in_users(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let anonymous: opsdeck_app::model::ShellState = app
        .rpc(&browser(), "/rpc/auth/load_shell", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(anonymous.environments.is_empty());
    let c = app
        .signed_in_with("viewer", &opsdeck_server::demo::demo_password("viewer"))
        .await;
    let shell: opsdeck_app::model::ShellState = app
        .rpc(&c, "/rpc/auth/load_shell", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shell.environments.len(), 4);
    assert_eq!(shell.environments[3].0, "Production");
}

/// The `<tr>` of environment `key` in the overview's HTML (the resolved one:
/// a streamed page may carry its fallback first).
fn env_row<'a>(html: &'a str, key: &str) -> &'a str {
    let marker = format!("data-testid=\"env-{key}\"");
    let start = html
        .rfind(&marker)
        .unwrap_or_else(|| panic!("no row for {key} in {html}"));
    let end = html[start..]
        .find("</tr>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The inner text of the cell with `data-testid=testid` in `row`.
fn cell<'a>(row: &'a str, testid: &str) -> &'a str {
    let marker = format!("data-testid=\"{testid}\"");
    let start = row
        .find(&marker)
        .unwrap_or_else(|| panic!("no {testid} in {row}"));
    let end = row[start..].find("</td>").map_or(row.len(), |e| start + e);
    &row[start..end]
}

async fn overview_environments(
    app: &TestApp,
    c: &reqwest::Client,
) -> Vec<opsdeck_app::model::EnvironmentRow> {
    let res = app.rpc(c, "/rpc/overview/environments", &[]).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Production has a public probe target whose every minute of this month
/// (Tokyo) is up but the last ten before now (down: 0 of 6 probes answered),
/// and one rule firing; Staging has neither a target nor data. By hand, with
/// M minutes in the month and D = 10 down (no exclusions, no minute without
/// data: the future minutes are pending, still counted):
/// allowed = M × 60 000 ms × 0.1 % = 60·M ms; remaining = 60·M − 600 000 ms;
/// availability = ⌊(M − D) × 10⁶ / M⌋ ppm.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_overview_shows_sla_month_to_date_budget_left_and_firing_alerts_per_environment_r_ui_1(
    pool: PgPool,
) {
    use chrono::{DurationRound, TimeDelta, Utc};
    let app = spawn(pool.clone()).await;
    create_user(&pool, "viewer", &[Role::Viewer]).await;
    let tz = chrono_tz::Asia::Tokyo;
    for (name, position) in [("Staging", 2), ("Production", 3)] {
        sqlx::query(
            "INSERT INTO environments (name, key, position, health) VALUES ($1, lower($1), $2, 'ok')",
        )
        .bind(name)
        .bind(position)
        .execute(&pool)
        .await
        .unwrap();
    }
    // No planned window this month: every minute of it counts.
    sqlx::query("DELETE FROM maintenance_windows")
        .execute(&pool)
        .await
        .unwrap();
    let local = Utc::now().with_timezone(&tz);
    let month = opsdeck::sla::local_month(tz, local.year(), local.month()).unwrap();
    // Ten whole minutes must have passed this month (a few minutes a month: wait).
    let ready = month.start + TimeDelta::minutes(11);
    if Utc::now() < ready {
        tokio::time::sleep((ready - Utc::now()).to_std().unwrap_or_default()).await;
    }
    let now = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
    let target: i64 = sqlx::query_scalar(
        "INSERT INTO probe_targets (environment, colour, url, enabled) \
         VALUES ('production', NULL, 'http://127.0.0.1:9/health', FALSE) RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
         SELECT $1, g, 6, CASE WHEN g >= $4 AND g < $5 THEN 0 ELSE 6 END, 120, 30 \
         FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 minute', interval '1 minute') g",
    )
    .bind(target)
    .bind(month.start)
    .bind(month.end)
    .bind(now - TimeDelta::minutes(10))
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    // Firing in Production: DiskSpaceLow. Not firing: SlowResponse pending
    // in Production, ErrorBudgetSlowBurn resolved in Staging.
    for (rule, env, state) in [
        ("DiskSpaceLow", "production", "firing"),
        ("SlowResponse", "production", "pending"),
        ("ErrorBudgetSlowBurn", "staging", "resolved"),
    ] {
        sqlx::query(
            "INSERT INTO alert_states (rule_id, environment, state, since, fired_at) \
             SELECT id, $2, $3, now() - interval '5 minutes', \
                    CASE WHEN $3 <> 'pending' THEN now() - interval '4 minutes' END \
             FROM alert_rules WHERE name = $1",
        )
        .bind(rule)
        .bind(env)
        .bind(state)
        .execute(&pool)
        .await
        .unwrap();
    }

    let m = (month.end - month.start).num_minutes();
    let d = 10i64;
    let allowed = m * 60;
    let remaining = allowed - d * 60_000;
    let ppm = u32::try_from((m - d) * 1_000_000 / m).unwrap();
    assert!(remaining > 0, "43.2 min or more allowed, 10 used");

    let c = app.signed_in("viewer").await;
    let envs = overview_environments(&app, &c).await;
    let names: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Staging", "Production"]);
    assert_eq!(
        envs[1].sla,
        Some(opsdeck_app::model::EnvSla {
            availability_ppm: Some(ppm),
            remaining_millis: remaining,
            allowed_millis: u64::try_from(allowed).unwrap(),
            target_met: true,
        })
    );
    let firing: Vec<_> = envs[1]
        .firing_alerts
        .iter()
        .map(|a| (a.rule.as_str(), a.severity.as_str()))
        .collect();
    assert_eq!(firing, [("DiskSpaceLow", "critical")]);
    assert_eq!(envs[0].sla, None, "no probe target: no figures");
    assert!(envs[0].firing_alerts.is_empty());

    // The page, rendered on the server.
    let res = app.get(&c, "/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let prod = env_row(&html, "production");
    let sla = cell(prod, "env-sla");
    let three = format!("{}.{:03} %", ppm / 10_000, (ppm % 10_000) / 10);
    assert!(sla.contains(&three), "{three} in {sla}");
    assert!(
        sla.contains("href=\"/sla?environment=production\""),
        "{sla}"
    );
    assert!(sla.contains("env-figure ok"), "{sla}");
    let budget = cell(prod, "env-budget");
    assert!(
        budget.contains(&format!("data-remaining-ms=\"{remaining}\"")),
        "{budget}"
    );
    let minutes = opsdeck_app::model::sla::millis_minutes(remaining);
    assert!(budget.contains(&format!("{minutes} min")), "{budget}");
    let alerts = cell(prod, "env-alerts");
    assert!(alerts.contains("data-count=\"1\""), "{alerts}");
    assert!(alerts.contains("DiskSpaceLow"), "{alerts}");
    assert!(alerts.contains("href=\"/alerts\""), "{alerts}");
    assert!(!alerts.contains("SlowResponse"), "pending is not firing");
    let staging = env_row(&html, "staging");
    assert!(cell(staging, "env-sla").contains("—"), "{staging}");
    assert!(cell(staging, "env-budget").contains("—"), "{staging}");
    assert!(cell(staging, "env-alerts").contains("data-count=\"0\""));
    assert!(html.contains("Some environments need attention"));

    // A stricter target (99.9995 %: 0.3 ms a minute) is overspent by the same
    // ten minutes: the budget reads "over by", the figure is marked missed.
    sqlx::query("UPDATE sla_settings SET target_ppm = 999995")
        .execute(&pool)
        .await
        .unwrap();
    let envs = overview_environments(&app, &c).await;
    let sla = envs[1].sla.clone().unwrap();
    let allowed = m * 60_000 * 5 / 1_000_000;
    assert_eq!(sla.allowed_millis, u64::try_from(allowed).unwrap());
    assert_eq!(sla.remaining_millis, allowed - d * 60_000);
    assert!(!sla.target_met);
    let html = app.get(&c, "/").await.text().await.unwrap();
    let prod = env_row(&html, "production");
    assert!(cell(prod, "env-sla").contains("env-figure warn"));
    let over = opsdeck_app::model::sla::millis_minutes(d * 60_000 - allowed);
    let budget = cell(prod, "env-budget");
    assert!(budget.contains(&format!("over by {over} min")), "{budget}");
}

/// The SLA target card reads the stored targets, not the built-in default.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_overview_sla_target_card_follows_the_stored_settings_r_ui_1_r_sla_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "viewer", &[Role::Viewer]).await;
    sqlx::query("DELETE FROM maintenance_windows")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE sla_settings SET target_ppm = 999500")
        .execute(&pool)
        .await
        .unwrap();
    let c = app.signed_in("viewer").await;
    let res = app.rpc(&c, "/rpc/overview/summary", &[]).await;
    assert_eq!(res.status(), 200);
    let s: opsdeck_app::model::OverviewSummary = res.json().await.unwrap();
    assert_eq!(s.sla_target_percent, 99.95);
    let tz = chrono_tz::Asia::Tokyo;
    let local = s.now.with_timezone(&tz);
    let month = opsdeck::sla::local_month(tz, local.year(), local.month()).unwrap();
    // 0.05 % of the month's minutes (no planned window).
    let expected = (month.end - month.start).num_minutes() as f64 * 0.0005;
    let allowed = s.allowed_downtime_minutes.unwrap();
    assert!((allowed - expected).abs() < 1e-6, "{allowed} vs {expected}");
    let html = app.get(&c, "/").await.text().await.unwrap();
    assert!(html.contains("99.95%"), "the card shows the stored target");
}
