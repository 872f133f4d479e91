//! Alert rules and their life cycle (issue 10 item 7, R-MON-3, R-MON-4,
//! R-SLA-4): the seeded rules are the policy's and the SRE workbook's; the
//! evaluator, run pass by pass in time order, pends, fires only after the
//! duration, resolves on recovery, rides out a one-sample gap and tells
//! people once per firing and resolution; silences hold notifications back
//! but not the state; two passes at once tell people once; YAML import
//! accepts what people write and refuses the wrong shape storing nothing;
//! thresholds whose unit does not fit are refused; acknowledgements are
//! stored and audited.

use crate::support::*;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck::alert_rule::{default_rules, import_alert_rules, write_alert_rules, AlertRule};
use opsdeck::sla::{BurnRatePolicy, BurnSeverity};
use opsdeck_app::error::AppError;
use opsdeck_app::i18n::Msg;
use opsdeck_app::model::alerts::{AlertsView, HistoryView, StateKind};
use opsdeck_app::role::Role;
use opsdeck_app::store::alerts::eval::{self, PassOutcome};
use opsdeck_app::store::alerts::silences::{self, SilenceInput};
use opsdeck_app::store::audit::Actor;
use sqlx::PgPool;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 1, 0, 0).unwrap()
}

fn at(minutes: i64, seconds: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes) + TimeDelta::seconds(seconds)
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn rule_id(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM alert_rules WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A disk sample of Production at `when` (percent, as the service reports it).
async fn disk(pool: &PgPool, when: DateTime<Utc>, percent: f64) {
    sqlx::query(
        "INSERT INTO metric_samples (environment, source, at, disk_usage) \
         VALUES ('production', 'web-1', $1, $2)",
    )
    .bind(when)
    .bind(percent)
    .execute(pool)
    .await
    .unwrap();
}

/// Runs one pass at each 10 s tick in `[from, to)`; returns every outcome.
async fn passes(pool: &PgPool, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<PassOutcome> {
    let mut out = Vec::new();
    let mut now = from;
    while now < to {
        out.push(eval::pass(pool, TZ, now).await.unwrap().unwrap());
        now += TimeDelta::seconds(10);
    }
    out
}

/// (kind, at) of the history of `rule` in Production, oldest first.
async fn history(pool: &PgPool, rule: i64) -> Vec<(String, DateTime<Utc>)> {
    sqlx::query_as(
        "SELECT kind, at FROM alert_events WHERE rule_id = $1 AND environment = 'production' \
         ORDER BY at, id",
    )
    .bind(rule)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn state(pool: &PgPool, rule: i64) -> String {
    sqlx::query_scalar(
        "SELECT state FROM alert_states WHERE rule_id = $1 AND environment = 'production'",
    )
    .bind(rule)
    .fetch_optional(pool)
    .await
    .unwrap()
    .unwrap_or_else(|| "none".into())
}

async fn messages(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notification_messages WHERE kind = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// name, condition, duration, severity, channels, built-in, enabled.
type SeededRow = (String, String, String, String, Vec<String>, bool, bool);

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn seeded_rules_are_the_policys_and_the_workbooks_burn_rates_r_mon_3_r_sla_4(pool: PgPool) {
    let rows: Vec<SeededRow> = sqlx::query_as(
        "SELECT name, condition, duration, severity, channels, builtin, enabled \
         FROM alert_rules ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let policy: Vec<(String, String, String, String, Vec<String>)> = default_rules()
        .into_iter()
        .map(|r| {
            (
                r.name,
                r.condition.to_string(),
                r.duration.to_string(),
                r.severity.as_str().to_string(),
                r.notify,
            )
        })
        .collect();
    let seeded: Vec<_> = rows
        .iter()
        .filter(|r| !r.5)
        .map(|r| {
            (
                r.0.clone(),
                r.1.clone(),
                r.2.clone(),
                r.3.clone(),
                r.4.clone(),
            )
        })
        .collect();
    assert_eq!(seeded, policy);
    // The burn-rate rules: the workbook's windows, factors and severities.
    let burns: Vec<(u32, u32, f64, String)> = rows
        .iter()
        .filter(|r| r.5)
        .map(|r| {
            let c = opsdeck::alert_rule::AlertCondition::parse(&r.1).unwrap();
            let (long, short) = opsdeck::alert_rule::burn_windows(c.metric()).unwrap();
            (long, short, c.value(), r.3.clone())
        })
        .collect();
    let workbook: Vec<(u32, u32, f64, String)> = BurnRatePolicy::default()
        .rules
        .iter()
        .map(|r| {
            let sev = match r.severity {
                BurnSeverity::Page => "critical",
                BurnSeverity::Ticket => "warning",
            };
            (
                r.long_window_minutes,
                r.short_window_minutes,
                r.factor,
                sev.to_string(),
            )
        })
        .collect();
    assert_eq!(burns, workbook);
    assert!(rows.iter().all(|r| r.6));
    // Every metric of the table has a unit the core knows.
    let units: Vec<String> = sqlx::query_scalar("SELECT unit FROM alert_metrics")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(units
        .iter()
        .all(|u| u.parse::<opsdeck::alert_rule::MetricUnit>().is_ok()));
}

/// R-MON-4 in time order: samples once a minute, passes every 10 s.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn evaluator_pends_fires_after_the_duration_and_resolves_once_r_mon_4(pool: PgPool) {
    create_user(&pool, "olga", &[Role::Operator]).await;
    let disk_rule = rule_id(&pool, "DiskSpaceLow").await; // disk_usage > 90% for 5m
    for m in 0..10 {
        // Minute 7 never arrives: a one-sample gap in a firing alert.
        if m != 7 {
            disk(&pool, at(m, 0), 95.0).await;
        }
    }
    disk(&pool, at(10, 0), 50.0).await;

    passes(&pool, at(0, 0), at(4, 59)).await;
    assert_eq!(state(&pool, disk_rule).await, "pending");
    assert_eq!(
        messages(&pool, "alerts.firing").await,
        0,
        "not before 5 min"
    );

    passes(&pool, at(4, 59), at(9, 59)).await;
    assert_eq!(state(&pool, disk_rule).await, "firing");
    assert_eq!(
        history(&pool, disk_rule).await,
        vec![("pending".into(), at(0, 0)), ("firing".into(), at(5, 0))],
        "the gap at minute 7 neither resolved nor re-fired"
    );
    assert_eq!(messages(&pool, "alerts.firing").await, 1);

    passes(&pool, at(9, 59), at(12, 0)).await;
    assert_eq!(state(&pool, disk_rule).await, "resolved");
    assert_eq!(
        history(&pool, disk_rule).await.last().cloned(),
        Some(("resolved".into(), at(10, 0)))
    );
    assert_eq!(messages(&pool, "alerts.firing").await, 1);
    assert_eq!(messages(&pool, "alerts.resolved").await, 1);
    // To the `alerts` group (operators' inbox) and the rule's own channels.
    let (group, channels): (Option<String>, Vec<String>) = sqlx::query_as(
        "SELECT m.group_name, array_agg(c.name ORDER BY c.name) \
         FROM notification_messages m \
         JOIN notification_deliveries d ON d.message_id = m.id \
         JOIN notification_channels c ON c.id = d.channel_id \
         WHERE m.kind = 'alerts.firing' GROUP BY m.group_name",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(group.as_deref(), Some("alerts"));
    assert_eq!(channels, vec!["email-oncall", "pagerduty"]);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM inbox_items i JOIN users u ON u.id = i.user_id \
             WHERE u.username = 'olga'"
        )
        .await,
        2
    );
    // The stale window: data that stops for longer than it resolves a firing
    // alert (once), without a second message later.
    for m in 12..20 {
        disk(&pool, at(m, 0), 97.0).await;
    }
    passes(&pool, at(12, 0), at(19, 30)).await;
    assert_eq!(state(&pool, disk_rule).await, "firing");
    assert_eq!(messages(&pool, "alerts.firing").await, 2);
    passes(&pool, at(19, 30), at(30, 0)).await;
    assert_eq!(state(&pool, disk_rule).await, "resolved");
    assert_eq!(messages(&pool, "alerts.resolved").await, 2);
    let resolved_at: DateTime<Utc> = sqlx::query_scalar(
        "SELECT max(at) FROM alert_events WHERE rule_id = $1 AND kind = 'resolved'",
    )
    .bind(disk_rule)
    .fetch_one(&pool)
    .await
    .unwrap();
    // 180 s after the last sample (minute 19), at the first pass past it.
    assert!(resolved_at > at(22, 0) && resolved_at <= at(22, 10));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_silence_holds_notifications_but_not_the_state_r_mon_4(pool: PgPool) {
    let disk_rule = rule_id(&pool, "DiskSpaceLow").await;
    let mut tx = pool.begin().await.unwrap();
    let silence = silences::create(
        &mut tx,
        &Actor::system(),
        &SilenceInput {
            rule_id: Some(disk_rule),
            environment: "production".into(),
            starts_at: Some(at(-1, 0)),
            ends_at: Some(at(8, 0)),
            recurrence: "once".into(),
            comment: "disk migration".into(),
            ..SilenceInput::default()
        },
        at(-1, 0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for m in 0..12 {
        disk(&pool, at(m, 0), 96.0).await;
    }
    passes(&pool, at(0, 0), at(7, 0)).await;
    assert_eq!(state(&pool, disk_rule).await, "firing", "state is tracked");
    assert_eq!(
        messages(&pool, "alerts.firing").await,
        0,
        "but nobody is told"
    );
    let silenced: bool = sqlx::query_scalar(
        "SELECT silenced FROM alert_events WHERE rule_id = $1 AND kind = 'firing'",
    )
    .bind(disk_rule)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(silenced);
    // The silence ends while the alert still fires: people hear of it once.
    passes(&pool, at(7, 0), at(11, 0)).await;
    assert_eq!(messages(&pool, "alerts.firing").await, 1);
    // A silence for another environment holds nothing here.
    let active = silences::active(&mut pool.acquire().await.unwrap(), TZ, at(1, 0))
        .await
        .unwrap();
    assert!(active.silences(disk_rule, "production"));
    assert!(!active.silences(disk_rule, "staging"));
    let mut tx = pool.begin().await.unwrap();
    silences::delete(&mut tx, &Actor::system(), silence)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action LIKE 'alert_silence.%'"
        )
        .await,
        2
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn two_passes_at_once_tell_people_once_r_mon_4(pool: PgPool) {
    // Zero duration: fires at the first sample over the threshold.
    sqlx::query("UPDATE alert_rules SET duration = '0s' WHERE name = 'DiskSpaceLow'")
        .execute(&pool)
        .await
        .unwrap();
    disk(&pool, at(0, 0), 99.0).await;
    let (a, b) = tokio::join!(
        eval::pass(&pool, TZ, at(0, 5)),
        eval::pass(&pool, TZ, at(0, 5))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let fired: usize = [a, b].iter().flatten().map(|o| o.notified).sum();
    assert_eq!(fired, 1);
    assert_eq!(messages(&pool, "alerts.firing").await, 1);
    // And again, one after the other: nothing new.
    eval::pass(&pool, TZ, at(0, 5)).await.unwrap();
    eval::pass(&pool, TZ, at(0, 15)).await.unwrap();
    assert_eq!(messages(&pool, "alerts.firing").await, 1);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM alert_events WHERE kind = 'firing'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn fast_burn_of_the_error_budget_pages_r_sla_4(pool: PgPool) {
    let target: i64 = sqlx::query_scalar(
        "INSERT INTO probe_targets (environment, url) VALUES ('production', 'http://127.0.0.1:9/health') \
         RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // An hour of probes, 6 a minute, one failing in each of the last 30
    // minutes: 1/6 of the last 5 min, 30/360 of the hour — both over 14.4 × 0.1 %.
    for m in 0..60 {
        let ok = if m >= 30 { 5 } else { 6 };
        sqlx::query(
            "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
             VALUES ($1, $2, 6, $3, 600, 100)",
        )
        .bind(target)
        .bind(at(m, 0))
        .bind(ok)
        .execute(&pool)
        .await
        .unwrap();
    }
    eval::pass(&pool, TZ, at(60, 10)).await.unwrap();
    let fast = rule_id(&pool, "ErrorBudgetFastBurn").await;
    assert_eq!(state(&pool, fast).await, "firing");
    let value: f64 = sqlx::query_scalar(
        "SELECT last_value FROM alert_states WHERE rule_id = $1 AND environment = 'production'",
    )
    .bind(fast)
    .fetch_one(&pool)
    .await
    .unwrap();
    // min(burn over 1 h, burn over 5 min) = (30/360) / 0.001.
    assert!((value - 83.333).abs() < 0.01, "{value}");
    // Rules on request data have seen none: no state at all.
    let high = rule_id(&pool, "HighErrorRate").await;
    assert_eq!(state(&pool, high).await, "none");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn request_minutes_feed_error_rate_and_p95_r_mon_3(pool: PgPool) {
    // One minute, two sources: 1 000 requests, 60 5xx and 10 timeouts (7 %);
    // latencies mostly under 200 ms, 10 % between 500 ms and 1 s.
    for (source, ok, server, timeouts) in [("web-1", 465_i64, 30_i64, 5_i64), ("web-2", 465, 30, 5)]
    {
        let total = ok + server + timeouts;
        let slow = total / 10;
        let counts: Vec<i64> = vec![0, 0, total - slow, 0, 0, 0, slow, 0, 0, 0];
        sqlx::query(
            "INSERT INTO request_minutes (environment, source, minute, class, ok, client_errors, \
                    server_errors, timeouts, latency_counts) \
             VALUES ('production', $1, $2, 'api', $3, 0, $4, $5, $6)",
        )
        .bind(source)
        .bind(at(0, 0))
        .bind(ok)
        .bind(server)
        .bind(timeouts)
        .bind(&counts)
        .execute(&pool)
        .await
        .unwrap();
    }
    eval::pass(&pool, TZ, at(1, 5)).await.unwrap();
    let high = rule_id(&pool, "HighErrorRate").await;
    let slow = rule_id(&pool, "SlowResponse").await;
    assert_eq!(state(&pool, high).await, "pending");
    assert_eq!(state(&pool, slow).await, "pending");
    let values: Vec<(String, f64)> = sqlx::query_as(
        "SELECT r.name, s.last_value FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id \
         WHERE r.name IN ('HighErrorRate', 'SlowResponse') ORDER BY r.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!((values[0].1 - 0.07).abs() < 1e-9, "{values:?}");
    // p95 interpolated inside the 500 ms – 1 s bucket.
    assert!(values[1].1 > 500.0 && values[1].1 <= 1000.0, "{values:?}");
    let since: DateTime<Utc> =
        sqlx::query_scalar("SELECT since FROM alert_states WHERE rule_id = $1")
            .bind(high)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(since, at(1, 0), "a minute counts at its end");
}

const PEOPLE_YAML: &str = r#"# Rules as people write them
alerts:
  - name: "HighErrorRate"        # quoted
    condition: 'error_rate > 2%'
    duration: 5m
    severity: critical
    notify: [pagerduty, "slack-critical"]
  - {name: ConnectionsHigh, condition: connections >= 1000, duration: 10m, severity: warning, notify: [slack-alerts]}
  - name: DiskAlmostFull
    condition: disk_usage > 95
    duration: 1m
    severity: info
    notify:
      - email-oncall
"#;

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn yaml_import_accepts_what_people_write_and_refuses_the_wrong_shape_r_mon_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let rules_before = count(&pool, "SELECT count(*) FROM alert_rules").await;

    // Wrong shape and a condition that does not parse: 422, every problem
    // named by rule and field, nothing stored.
    let bad = format!(
        "{PEOPLE_YAML}  - name: Broken\n    condition: error_rate >> 5%\n    duration: 5m\n    severity: critical\n    notify: []\n    colour: red\n"
    );
    let audit_before = count(&pool, "SELECT count(*) FROM audit_log").await;
    let (status, err) = app_error(
        app.rpc(&olga, "/rpc/alerts/import", &[("yaml", &bad)])
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        err.for_field("alerts[3] (Broken).colour"),
        Some(Msg::ErrAlertYamlKey)
    );
    assert_eq!(
        err.for_field("alerts[3] (Broken).condition"),
        Some(Msg::ErrAlertCondition)
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM alert_rules").await,
        rules_before
    );
    let condition: String =
        sqlx::query_scalar("SELECT condition FROM alert_rules WHERE name = 'HighErrorRate'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(condition, "error_rate > 5%", "nothing half-stored");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log").await,
        audit_before
    );
    // Unparsable YAML says where.
    let (status, err) = app_error(
        app.rpc(
            &olga,
            "/rpc/alerts/import",
            &[("yaml", "alerts:\n  - name: [x\n")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        matches!(&err, AppError::Validation(f) if f[0].field.starts_with("line ") && f[0].msg == Msg::ErrAlertYamlSyntax)
    );
    // A unit that does not fit, a metric and a channel nobody knows: named too.
    let mismatched = "alerts:\n  - name: A\n    condition: disk_usage > 90ms\n    duration: 5m\n    severity: info\n    notify: []\n  - name: B\n    condition: disk_space > 90\n    duration: 5m\n    severity: info\n    notify: [carrier-pigeon]\n";
    let (status, err) = app_error(
        app.rpc(&olga, "/rpc/alerts/import", &[("yaml", mismatched)])
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        err.for_field("alerts[0] (A).condition"),
        Some(Msg::ErrAlertUnitPercent)
    );
    assert_eq!(
        err.for_field("alerts[1] (B).condition"),
        Some(Msg::ErrAlertMetric)
    );
    assert_eq!(
        err.for_field("alerts[1] (B).channels"),
        Some(Msg::ErrAlertChannel)
    );
    // A viewer cannot import.
    let res = app
        .rpc(&vic, "/rpc/alerts/import", &[("yaml", PEOPLE_YAML)])
        .await;
    assert_eq!(res.status(), 403);

    // Comments, quoted strings, flow and block lists: imported.
    let res = app
        .rpc(&olga, "/rpc/alerts/import", &[("yaml", PEOPLE_YAML)])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let outcome: serde_json::Value = res.json().await.unwrap();
    assert_eq!(outcome["updated"], serde_json::json!(["HighErrorRate"]));
    assert_eq!(
        outcome["created"],
        serde_json::json!(["ConnectionsHigh", "DiskAlmostFull"])
    );
    let (condition, channels): (String, Vec<String>) =
        sqlx::query_as("SELECT condition, channels FROM alert_rules WHERE name = 'HighErrorRate'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(condition, "error_rate > 2%");
    assert_eq!(channels, vec!["pagerduty", "slack-critical"]);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'alert_rule.import'"
        )
        .await,
        1
    );

    // Export keeps the policy's layout and reads back as what is stored.
    let res = app.rpc(&vic, "/rpc/alerts/export", &[]).await;
    assert_eq!(res.status(), 200);
    let export: serde_json::Value = res.json().await.unwrap();
    let yaml = export["yaml"].as_str().unwrap();
    assert!(yaml.starts_with("alerts:\n  - name: HighErrorRate\n    condition: error_rate > 2%\n    duration: 5m\n    severity: critical\n    notify:\n      - pagerduty\n      - slack-critical\n\n  - name: SlowResponse\n"), "{yaml}");
    let back: Vec<AlertRule> = import_alert_rules(yaml).unwrap();
    assert_eq!(back.len() as i64, rules_before + 2);
    assert_eq!(write_alert_rules(&back), yaml);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn rules_are_created_edited_and_switched_off_with_units_checked_r_mon_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let form = |name: &'static str, condition: &'static str| {
        vec![
            ("name", name),
            ("condition", condition),
            ("duration", "5m"),
            ("severity", "warning"),
            ("channels", "slack-alerts"),
            ("recipient_group", ""),
        ]
    };
    // A unit that does not fit the metric is refused, naming the field.
    for (cond, msg) in [
        ("cpu_usage > 80ms", Msg::ErrAlertUnitPercent),
        ("network_latency_ms > 5%", Msg::ErrAlertUnitMs),
        ("connections > 1s", Msg::ErrAlertUnitBare),
        ("cpu_temperature > 80", Msg::ErrAlertMetric),
        ("cpu_usage >", Msg::ErrAlertCondition),
    ] {
        let (status, err) = app_error(
            app.rpc(&olga, "/rpc/alerts/create", &form("CpuHigh", cond))
                .await,
        )
        .await;
        assert_eq!(status, 422, "{cond}");
        assert_eq!(err.for_field("condition"), Some(msg), "{cond}");
    }
    // A bare threshold is in the metric's unit: cpu_usage > 80 is 80 %.
    let res = app
        .rpc(
            &olga,
            "/rpc/alerts/create",
            &form("CpuHigh", "cpu_usage > 80"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let id: i64 = res.json().await.unwrap();
    let (status, err) = app_error(
        app.rpc(
            &olga,
            "/rpc/alerts/create",
            &form("CpuHigh", "cpu_usage > 70%"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(err.for_field("name"), Some(Msg::ErrAlertNameTaken));
    let res = app
        .rpc(&vic, "/rpc/alerts/create", &form("Nope", "cpu_usage > 1"))
        .await;
    assert_eq!(res.status(), 403);

    let id_s = id.to_string();
    let mut edit = vec![("id", id_s.as_str())];
    edit.extend(form("CpuHigh", "cpu_usage >= 75%"));
    let res = app.rpc(&olga, "/rpc/alerts/update", &edit).await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(
            &olga,
            "/rpc/alerts/set_enabled",
            &[("id", &id_s), ("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app.rpc(&vic, "/rpc/alerts/page", &[]).await;
    let view: AlertsView = res.json().await.unwrap();
    let rule = view.rules.iter().find(|r| r.id == id).unwrap();
    assert_eq!(rule.condition, "cpu_usage >= 75%");
    assert!(!rule.enabled);
    assert_eq!(rule.recipient_group, "alerts");
    assert!(view.metrics.iter().any(|m| m.name == "cpu_usage"));
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action IN \
             ('alert_rule.create', 'alert_rule.update', 'alert_rule.disable')"
        )
        .await,
        3
    );
}

async fn ack(
    app: &TestApp,
    client: &reqwest::Client,
    rule: i64,
    comment: &str,
) -> reqwest::Response {
    let rule = rule.to_string();
    app.rpc(
        client,
        "/rpc/alerts/acknowledge",
        &[
            ("rule_id", rule.as_str()),
            ("environment", "production"),
            ("comment", comment),
        ],
    )
    .await
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn operators_acknowledge_a_firing_alert_with_a_comment_r_mon_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let disk_rule = rule_id(&pool, "DiskSpaceLow").await;
    let rule_s = disk_rule.to_string();
    // Not firing: nothing to acknowledge.
    let (status, err) = app_error(ack(&app, &olga, disk_rule, "looking").await).await;
    assert_eq!(status, 409);
    assert_eq!(err.for_field("environment"), Some(Msg::ErrAlertNotFiring));

    let now = Utc::now();
    for m in 0..7 {
        disk(&pool, now - TimeDelta::minutes(6 - m), 97.0).await;
    }
    // Passes in time order, ending now (the server acknowledges at its own clock).
    let mut tick = now - TimeDelta::minutes(6);
    while tick <= now {
        eval::pass(&pool, TZ, tick).await.unwrap();
        tick += TimeDelta::seconds(30);
    }
    assert_eq!(state(&pool, disk_rule).await, "firing");

    let res = ack(&app, &vic, disk_rule, "mine").await;
    assert_eq!(res.status(), 403);
    let (status, err) = app_error(ack(&app, &olga, disk_rule, "  ").await).await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("comment"), Some(Msg::ErrRequired));
    let res = ack(&app, &olga, disk_rule, "Cleaning up old logs").await;
    assert_eq!(res.status(), 200);

    let view: AlertsView = app
        .rpc(&vic, "/rpc/alerts/page", &[])
        .await
        .json()
        .await
        .unwrap();
    let rule = view.rules.iter().find(|r| r.id == disk_rule).unwrap();
    let s = &rule.states[0];
    assert_eq!(s.state, StateKind::Firing);
    assert_eq!(s.acknowledged_by.as_deref(), Some("olga"));
    assert_eq!(s.ack_comment.as_deref(), Some("Cleaning up old logs"));
    assert!((s.last_value.unwrap() - 97.0).abs() < 1e-9, "shown in %");
    let hist: HistoryView = app
        .rpc(
            &vic,
            "/rpc/alerts/history",
            &[("rule_id", &rule_s), ("page", "1")],
        )
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = hist.events.rows.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["acknowledged", "firing", "pending"]);
    assert_eq!(hist.events.rows[0].actor.as_deref(), Some("olga"));
    assert!(hist.events.rows[1].notified);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'alert.acknowledge'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn silences_are_created_listed_and_deleted_by_operators_r_mon_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let ends = (Utc::now() + TimeDelta::days(60))
        .with_timezone(&TZ)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let monthly = [
        ("rule_id", ""),
        ("environment", "production"),
        ("starts_at", ""),
        ("ends_at", ends.as_str()),
        ("recurrence", "monthly"),
        ("monthly_week", "first"),
        ("monthly_weekday", "6"),
        ("monthly_start", "02:00"),
        ("monthly_minutes", "120"),
        ("comment", "monthly maintenance"),
    ];
    let res = app.rpc(&vic, "/rpc/alerts/create_silence", &monthly).await;
    assert_eq!(res.status(), 403);
    let mut bad = monthly;
    bad[8] = ("monthly_minutes", "0");
    bad[3] = ("ends_at", "");
    let (status, err) = app_error(app.rpc(&olga, "/rpc/alerts/create_silence", &bad).await).await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("ends_at"), Some(Msg::ErrRequired));
    let res = app.rpc(&olga, "/rpc/alerts/create_silence", &monthly).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: i64 = res.json().await.unwrap();
    let list: Vec<opsdeck_app::model::alerts::SilenceView> = app
        .rpc(&vic, "/rpc/alerts/silences", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].recurrence, "monthly");
    assert_eq!(list[0].monthly_start.as_deref(), Some("02:00"));
    assert_eq!(list[0].environment.as_deref(), Some("production"));
    let id_s = id.to_string();
    let res = app
        .rpc(&vic, "/rpc/alerts/delete_silence", &[("id", &id_s)])
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(&olga, "/rpc/alerts/delete_silence", &[("id", &id_s)])
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(&olga, "/rpc/alerts/delete_silence", &[("id", &id_s)])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(count(&pool, "SELECT count(*) FROM alert_silences").await, 0);
}

fn page_part(html: &str) -> &str {
    // A lazy page is rendered twice on the server; the second one is shown.
    let start = html
        .rfind("<div class=\"alerts-page\">")
        .unwrap_or_else(|| panic!("no alerts page in {html}"));
    &html[start..]
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_page_renders_on_the_server_with_forms_for_operators_only_r_mon_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let res = app.get(&vic, "/alerts").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let page = page_part(&html);
    assert!(page.contains("HighErrorRate"), "rules listed");
    assert!(page.contains("data-testid=\"alert-rules\""));
    assert!(
        !page.contains("data-testid=\"rule-form\""),
        "no form for a viewer"
    );
    assert!(!page.contains("data-testid=\"import-form\""));
    let html = app.get(&olga, "/alerts").await.text().await.unwrap();
    let page = page_part(&html);
    assert!(page.contains("data-testid=\"rule-form\""));
    assert!(page.contains("data-testid=\"import-form\""));
    assert!(page.contains("data-testid=\"silence-form\""));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn without_a_public_url_the_live_colour_speaks_for_the_environment_r_mon_3(pool: PgPool) {
    // The deploys demo probes only the colours: Production's live one is blue.
    sqlx::query(
        "INSERT INTO environments (name, position, live_colour, key) \
         VALUES ('Production', 3, 'blue', 'production')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut ids = Vec::new();
    for colour in ["blue", "green"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO probe_targets (environment, colour, url) \
             VALUES ('production', $1, 'http://127.0.0.1:9/health') RETURNING id",
        )
        .bind(colour)
        .fetch_one(&pool)
        .await
        .unwrap();
        ids.push(id);
    }
    // Blue answers 3 of 4, green (idle) never.
    for (id, ok) in [(ids[0], 3), (ids[1], 0)] {
        sqlx::query(
            "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
             VALUES ($1, $2, 4, $3, 400, 100)",
        )
        .bind(id)
        .bind(at(0, 0))
        .bind(ok)
        .execute(&pool)
        .await
        .unwrap();
    }
    let mut tx = pool.begin().await.unwrap();
    let rule = opsdeck_app::store::alerts::create_rule(
        &mut tx,
        &Actor::system(),
        &opsdeck_app::store::alerts::RuleInput {
            name: "AvailabilityLow".into(),
            condition: "availability < 99".into(),
            duration: "0s".into(),
            severity: "critical".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    eval::pass(&pool, TZ, at(1, 10)).await.unwrap();
    assert_eq!(state(&pool, rule).await, "firing");
    let value: f64 = sqlx::query_scalar(
        "SELECT last_value FROM alert_states WHERE rule_id = $1 AND environment = 'production'",
    )
    .bind(rule)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        (value - 0.75).abs() < 1e-9,
        "blue's 3 of 4, not green's 0: {value}"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_demo_has_alert_history_and_a_maintenance_silence_once_r_mon_4(pool: PgPool) {
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let events = count(&pool, "SELECT count(*) FROM alert_events").await;
    assert!(events >= 8, "{events}");
    let high = rule_id(&pool, "HighErrorRate").await;
    let mut conn = pool.acquire().await.unwrap();
    let h = opsdeck_app::store::alerts::history(&mut conn, high, 1, 25)
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = h.events.rows.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["resolved", "acknowledged", "firing", "pending"]);
    assert!(
        (h.events.rows[2].value.unwrap() - 7.2).abs() < 1e-9,
        "shown in %"
    );
    drop(conn);
    // Seeding again adds nothing.
    opsdeck_server::demo::seed(&pool).await.unwrap();
    assert_eq!(
        count(&pool, "SELECT count(*) FROM alert_events").await,
        events
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM alert_silences WHERE recurrence = 'maintenance'"
        )
        .await,
        1
    );
}
