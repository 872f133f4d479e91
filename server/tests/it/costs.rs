//! Costs (issue 12, R-COST-1..4): CSV import errors by line and nothing
//! imported, idempotent re-import, budget alerts once per month per threshold
//! for actual and forecast separately, the day-one up-front charge, and who
//! may write.

use crate::support::*;
use chrono::NaiveDate;
use opsdeck_app::error::AppError;
use opsdeck_app::i18n::Msg;
use opsdeck_app::role::Role;
use opsdeck_app::store::costs as store;
use sqlx::PgPool;

async fn finance(app: &TestApp, pool: &PgPool) -> reqwest::Client {
    create_user(pool, "fin", &[Role::Finance]).await;
    app.signed_in("fin").await
}

async fn import(app: &TestApp, c: &reqwest::Client, csv: &str) -> reqwest::Response {
    app.rpc(c, "/rpc/costs/import", &[("csv", csv)]).await
}

async fn entry_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM cost_entries")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// (percent, basis) of the month's alerts, lowest first.
async fn alerts(pool: &PgPool, month: NaiveDate) -> Vec<(i32, String)> {
    sqlx::query_as(
        "SELECT percent, basis FROM budget_alerts WHERE month = $1 ORDER BY basis, percent",
    )
    .bind(month)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn budget_messages(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT idempotency_key FROM notification_messages WHERE kind = 'costs.budget_threshold' ORDER BY idempotency_key",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn evaluate(pool: &PgPool, as_of: NaiveDate) -> usize {
    let mut tx = pool.begin().await.unwrap();
    let fired = store::evaluate_alerts(&mut tx, as_of).await.unwrap();
    tx.commit().await.unwrap();
    fired.len()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn csv_errors_name_every_bad_line_and_import_nothing_r_cost_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let fin = finance(&app, &pool).await;
    let csv = "date,service,amount,currency,kind\n\
               2030-03-01,compute,12.50,USD,\n\
               2030-03-02,compute,abc,USD,\n\
               2030-03-03,compute,1.00,EUR,\n\
               2030-02-30,compute,1.00,USD,\n\
               2030-03-04,compute,-5.00,USD,\n\
               2030-03-04,refund,-5.00,USD,credit\n\
               2030-03-05,compute\n";
    let (status, err) = app_error(import(&app, &fin, csv).await).await;
    assert_eq!(status, 422);
    let AppError::Validation(fields) = err else {
        panic!("validation expected: {err:?}")
    };
    let got: Vec<(String, Msg)> = fields.into_iter().map(|f| (f.field, f.msg)).collect();
    assert_eq!(
        got,
        vec![
            ("csv:3".to_string(), Msg::ErrAmount),
            ("csv:4".to_string(), Msg::ErrCsvOtherCurrency),
            ("csv:5".to_string(), Msg::ErrDate),
            ("csv:6".to_string(), Msg::ErrNegativeNotCredit),
            ("csv:8".to_string(), Msg::ErrCsvColumns),
        ]
    );
    assert_eq!(entry_count(&pool).await, 0, "all or nothing");

    // A missing column in the header, and a file over the limit.
    let (status, err) = app_error(import(&app, &fin, "date,amount\n2030-03-01,1\n").await).await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("csv:1"), Some(Msg::ErrCsvHeader));
    let big = format!(
        "date,service,amount\n{}",
        "2030-03-01,compute,1.00\n".repeat(600 * 1024 / 24)
    );
    let (status, err) = app_error(import(&app, &fin, &big).await).await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("csv"), Some(Msg::ErrCsvTooLarge));
    // A body over the server's limit never reaches the function.
    let huge = "x".repeat(1024 * 1024 + 10);
    let res = import(&app, &fin, &huge).await;
    assert_eq!(res.status(), 413);
    assert_eq!(entry_count(&pool).await, 0);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn reimporting_the_same_rows_does_not_double_count_r_cost_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let fin = finance(&app, &pool).await;
    // Two identical charges on one day are two entries.
    let csv = "date,service,amount\n2030-03-01,compute,10.00\n2030-03-01,compute,10.00\n2030-03-02,cdn,\"1,000.00\"\n";
    let res = import(&app, &fin, csv).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let rep: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (rep["inserted"].as_u64(), rep["duplicates"].as_u64()),
        (Some(3), Some(0))
    );
    let rep: serde_json::Value = import(&app, &fin, csv).await.json().await.unwrap();
    assert_eq!(
        (rep["inserted"].as_u64(), rep["duplicates"].as_u64()),
        (Some(0), Some(3))
    );
    // A longer file with the old rows adds only the new one.
    let more = format!("{csv}2030-03-03,compute,10.00\n");
    let rep: serde_json::Value = import(&app, &fin, &more).await.json().await.unwrap();
    assert_eq!(
        (rep["inserted"].as_u64(), rep["duplicates"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(entry_count(&pool).await, 4);

    // The month view and the export see them; the export imports back as duplicates.
    let view: serde_json::Value = app
        .rpc(&fin, "/rpc/costs/month", &[("month", "2030-03")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["mtd"], 103_000);
    assert_eq!(view["entry_count"], 4);
    assert_eq!(view["by_service"][0]["service"], "cdn");
    assert!(view["chart_svg"].as_str().unwrap().starts_with("<svg"));
    let export: String = app
        .rpc(&fin, "/rpc/costs/export", &[("month", "2030-03")])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        export.starts_with("date,service,amount,currency,kind\n"),
        "{export}"
    );
    let rep: serde_json::Value = import(&app, &fin, &export).await.json().await.unwrap();
    assert_eq!(rep["inserted"], 0);
    // Every import is audited.
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'costs.import'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 4);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn each_threshold_notifies_once_per_month_for_actual_and_forecast_r_cost_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let fin = finance(&app, &pool).await;
    let march = d(2030, 3, 1);
    // $20 a day for ten days: actual $200 (40 %), forecast $620 (124 %).
    let days: String = (1..=10)
        .map(|day| format!("2030-03-{day:02},compute,20.00\n"))
        .collect();
    let res = import(&app, &fin, &format!("date,service,amount\n{days}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(evaluate(&pool, d(2030, 3, 10)).await, 3);
    assert_eq!(
        alerts(&pool, march).await,
        vec![
            (80, "forecast".into()),
            (90, "forecast".into()),
            (100, "forecast".into())
        ]
    );
    // 80 → finance-team, 90 → finance-team + tech-lead, 100 → stakeholders.
    assert_eq!(budget_messages(&pool).await.len(), 4);
    // Judged again: nothing new.
    assert_eq!(evaluate(&pool, d(2030, 3, 10)).await, 0);
    assert_eq!(evaluate(&pool, d(2030, 3, 11)).await, 0);
    // Actual spend reaches 90 %: the actual thresholds notify, separately.
    let res = import(
        &app,
        &fin,
        "date,service,amount,kind\n2030-03-10,licence,250.00,one-off\n",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(evaluate(&pool, d(2030, 3, 10)).await, 2);
    assert_eq!(evaluate(&pool, d(2030, 3, 10)).await, 0);
    assert_eq!(
        alerts(&pool, march).await,
        vec![
            (80, "actual".into()),
            (90, "actual".into()),
            (80, "forecast".into()),
            (90, "forecast".into()),
            (100, "forecast".into()),
        ]
    );
    let keys = budget_messages(&pool).await;
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert!(keys.contains(&"budget-2030-03-actual-90-tech-lead".to_string()));
    assert!(keys.contains(&"budget-2030-03-forecast-100-stakeholders".to_string()));
    // Each message reached the group's users (finance is in finance-team).
    let inbox: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inbox_items i JOIN users u ON u.id = i.user_id WHERE u.username = 'fin'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // Four to finance-team and one to stakeholders; tech-lead's two go to admins.
    assert_eq!(inbox, 5, "finance is in finance-team and stakeholders");
    // The next month starts afresh.
    let res = import(
        &app,
        &fin,
        "date,service,amount\n2030-04-02,compute,420.00\n",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(evaluate(&pool, d(2030, 4, 2)).await, 1);
    assert_eq!(
        alerts(&pool, d(2030, 4, 1)).await,
        vec![(80, "actual".into())]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_change_of_entries_judges_the_current_month_in_its_transaction_r_cost_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let fin = finance(&app, &pool).await;
    let view: serde_json::Value = app
        .rpc(&fin, "/rpc/costs/month", &[])
        .await
        .json()
        .await
        .unwrap();
    let today = view["as_of"].as_str().unwrap().to_string();
    let month: NaiveDate = view["month"].as_str().unwrap().parse().unwrap();
    let csv = format!("date,service,amount\n{today},compute,420.00\n");
    assert_eq!(import(&app, &fin, &csv).await.status(), 200);
    let actual: Vec<_> = alerts(&pool, month)
        .await
        .into_iter()
        .filter(|a| a.1 == "actual")
        .collect();
    assert_eq!(actual, vec![(80, "actual".to_string())]);
    // More spend below 90 %: the 80 % alert is not sent again.
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/add_entry",
            &[("date", &today), ("service", "cdn"), ("amount", "10.00")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let key = format!("budget-{}-actual-80-finance-team", month.format("%Y-%m"));
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notification_messages WHERE idempotency_key = $1")
            .bind(&key)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
    let view: serde_json::Value = app
        .rpc(&fin, "/rpc/costs/month", &[])
        .await
        .json()
        .await
        .unwrap();
    let fired = view["alerts"].as_array().unwrap();
    assert!(fired
        .iter()
        .any(|a| a["basis"] == "actual" && a["percent"] == 80 && a["groups"][0] == "finance-team"));
    // The overview card shows it too.
    let card: serde_json::Value = app
        .rpc(&fin, "/rpc/overview/budget", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(card["mtd"], 43_000);
    assert_eq!(card["highest_actual"], 80);
}

/// The case: a $450 up-front charge on the 1st of a 31-day month.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_day_one_up_front_charge_does_not_fire_forecast_alerts_r_cost_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let fin = finance(&app, &pool).await;
    let res = import(
        &app,
        &fin,
        "date,service,amount,kind\n2030-01-01,reserved-instances,450.00,one-off\n",
    )
    .await;
    assert_eq!(res.status(), 200);
    // Day one: the money is spent (80 and 90 % actual); no forecast alert.
    assert_eq!(evaluate(&pool, d(2030, 1, 1)).await, 2);
    assert_eq!(
        alerts(&pool, d(2030, 1, 1)).await,
        vec![(80, "actual".into()), (90, "actual".into())]
    );
    let view: serde_json::Value = app
        .rpc(&fin, "/rpc/costs/month", &[("month", "2030-01")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["one_off"], 45_000);
    // Day five, nothing else spent: the forecast is $450, not $13,950 —
    // it may alert now, and only up to 90 %.
    assert_eq!(evaluate(&pool, d(2030, 1, 5)).await, 2);
    assert_eq!(
        alerts(&pool, d(2030, 1, 1)).await,
        vec![
            (80, "actual".into()),
            (90, "actual".into()),
            (80, "forecast".into()),
            (90, "forecast".into()),
        ]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn finance_writes_viewers_read_r_cost_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let fin = finance(&app, &pool).await;
    create_user(&pool, "view", &[Role::Viewer]).await;
    let viewer = app.signed_in("view").await;
    let csv = "date,service,amount\n2030-03-01,compute,10.00\n";
    let (status, err) = app_error(import(&app, &viewer, csv).await).await;
    assert_eq!((status, err), (403, AppError::Forbidden));
    let res = app
        .rpc(
            &viewer,
            "/rpc/costs/save_budget",
            &[
                ("amount", "600"),
                ("currency", "USD"),
                ("forecast_min_days", "5"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(entry_count(&pool).await, 0);
    assert_eq!(
        app.rpc(&viewer, "/rpc/costs/month", &[]).await.status(),
        200
    );

    // Finance: budget, a threshold, an entry, its one-off flag, a measure.
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/save_budget",
            &[
                ("amount", "600"),
                ("currency", "usd"),
                ("forecast_min_days", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/save_threshold",
            &[
                ("percent", "50"),
                ("groups", "finance-team, nobody"),
                ("action", ""),
            ],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(
        (status, err.for_field("groups")),
        (422, Some(Msg::ErrUnknownGroup))
    );
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/save_threshold",
            &[
                ("percent", "50"),
                ("groups", "finance-team"),
                ("action", "look"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // A negative amount needs the credit mark; with it, it is stored negative and one-off.
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/add_entry",
            &[
                ("date", "2030-03-02"),
                ("service", "refund"),
                ("amount", "-5"),
            ],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(
        (status, err.for_field("amount")),
        (422, Some(Msg::ErrNegativeNotCredit))
    );
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/add_entry",
            &[
                ("date", "2030-03-02"),
                ("service", "refund"),
                ("amount", "5"),
                ("credit", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: i64 = res.json().await.unwrap();
    let (amount, one_off): (i64, bool) =
        sqlx::query_as("SELECT amount_cents, one_off FROM cost_entries WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((amount, one_off), (-500, true));
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/set_one_off",
            &[("id", &id.to_string()), ("one_off", "false")],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(
        (status, err.for_field("one_off")),
        (422, Some(Msg::ErrCreditAlwaysOneOff))
    );
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/add_entry",
            &[("date", "2030-03-03"), ("service", "db"), ("amount", "7")],
        )
        .await;
    let id2: i64 = res.json().await.unwrap();
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/set_one_off",
            &[("id", &id2.to_string()), ("one_off", "true")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(
            &viewer,
            "/rpc/costs/delete_entry",
            &[("id", &id2.to_string())],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(&fin, "/rpc/costs/delete_entry", &[("id", &id2.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let measures: serde_json::Value = app
        .rpc(&viewer, "/rpc/costs/measures", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(measures.as_array().unwrap().len(), 5);
    let mid = measures[0]["id"].as_i64().unwrap().to_string();
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/save_measure",
            &[
                ("id", &mid),
                ("owner", "fin"),
                ("status", "in_progress"),
                ("estimated_saving", "40"),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let view: serde_json::Value = app
        .rpc(&viewer, "/rpc/costs/month", &[("month", "2030-03")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["budget"]["amount"], 60_000);
    assert_eq!(view["budget"]["forecast_min_days"], 7);
    assert_eq!(view["savings_total"], 4_000);
    assert_eq!(view["mtd"], -500);
    // The currency cannot change under existing entries.
    let res = app
        .rpc(
            &fin,
            "/rpc/costs/save_budget",
            &[
                ("amount", "600"),
                ("currency", "EUR"),
                ("forecast_min_days", "7"),
            ],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(
        (status, err.for_field("currency")),
        (422, Some(Msg::ErrCurrencyInUse))
    );
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_log WHERE action LIKE 'costs.%' ORDER BY action",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        vec![
            "costs.budget.update",
            "costs.entry.add",
            "costs.entry.delete",
            "costs.entry.one_off",
            "costs.measure.update",
            "costs.threshold.save",
        ]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn demo_costs_load_once_with_one_month_over_90_percent(pool: PgPool) {
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let entries = entry_count(&pool).await;
    assert!(
        entries > 12 * 28 * 5,
        "a year of daily entries by service: {entries}"
    );
    let over_90: Vec<NaiveDate> = sqlx::query_scalar(
        "SELECT month FROM budget_alerts WHERE percent = 90 AND basis = 'actual'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(over_90.len(), 1, "{over_90:?}");
    opsdeck_server::demo::seed(&pool).await.unwrap();
    assert_eq!(entry_count(&pool).await, entries);
    let alerts: i64 = sqlx::query_scalar("SELECT count(*) FROM budget_alerts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(alerts, 2, "80 and 90 % of the one month");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_hourly_pass_fires_a_forecast_alert_held_back_in_the_first_days_r_cost_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let fin = finance(&app, &pool).await;
    // $30 a day of usage from the 1st to the 3rd: forecast $930 for January, actual $90.
    let csv = "date,service,amount\n2030-01-01,compute,30\n2030-01-02,compute,30\n2030-01-03,compute,30\n";
    assert_eq!(import(&app, &fin, csv).await.status(), 200);
    assert_eq!(
        opsdeck_server::workers::budget::pass(&pool, d(2030, 1, 3))
            .await
            .unwrap(),
        0
    );
    assert!(
        alerts(&pool, d(2030, 1, 1)).await.is_empty(),
        "held back before day 5"
    );
    // Nobody enters anything; the hourly pass on day 5 lets the forecast alerts out, once.
    let fired = opsdeck_server::workers::budget::pass(&pool, d(2030, 1, 5))
        .await
        .unwrap();
    assert!(fired >= 1);
    assert!(alerts(&pool, d(2030, 1, 1))
        .await
        .iter()
        .all(|(_, basis)| basis == "forecast"));
    assert_eq!(
        opsdeck_server::workers::budget::pass(&pool, d(2030, 1, 5))
            .await
            .unwrap(),
        0
    );
}
