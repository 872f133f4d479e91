//! R-AUTH-2: every server function × every role → allowed or refused, checked
//! on the server. A server function missing from this table, or one that
//! forgets its role check, fails here.

use crate::support::*;
use opsdeck_app::error::AppError;
use opsdeck_app::role::Role;
use sqlx::PgPool;

#[derive(Clone, Copy, Debug)]
enum Who {
    Anyone,
    SignedIn,
    Roles(&'static [Role]),
}

/// Form arguments of one call.
type Args = &'static [(&'static str, &'static str)];

/// path, who may call it, arguments that reach the body.
const MATRIX: &[(&str, Who, Args)] = &[
    ("/rpc/auth/load_shell", Who::Anyone, &[]),
    (
        "/rpc/auth/login",
        Who::Anyone,
        &[("username", "nobody"), ("password", "wrong"), ("next", "/")],
    ),
    ("/rpc/auth/logout", Who::SignedIn, &[]),
    (
        "/rpc/auth/change_password",
        Who::SignedIn,
        &[("current", "wrong-current"), ("new", "x"), ("repeat", "y")],
    ),
    ("/rpc/admin/list_users", Who::Roles(&[Role::Admin]), &[]),
    (
        "/rpc/admin/create_user",
        Who::Roles(&[Role::Admin]),
        &[
            ("username", "matrix"),
            ("display_name", ""),
            ("password", "short"),
            ("roles", "viewer"),
        ],
    ),
    (
        "/rpc/admin/set_roles",
        Who::Roles(&[Role::Admin]),
        &[("user_id", "999999"), ("roles", "viewer")],
    ),
    (
        "/rpc/admin/set_disabled",
        Who::Roles(&[Role::Admin]),
        &[("user_id", "999999"), ("disabled", "true")],
    ),
    (
        "/rpc/admin/reset_password",
        Who::Roles(&[Role::Admin]),
        &[("user_id", "999999"), ("password", "long-enough-password")],
    ),
    ("/rpc/tokens/list", Who::Roles(&[Role::Admin]), &[]),
    (
        "/rpc/tokens/create",
        Who::Roles(&[Role::Admin]),
        &[("name", ""), ("scopes", "")],
    ),
    (
        "/rpc/tokens/revoke",
        Who::Roles(&[Role::Admin]),
        &[("id", "999999")],
    ),
    (
        "/rpc/tokens/active_of_user",
        Who::Roles(&[Role::Admin]),
        &[("user_id", "999999")],
    ),
    (
        "/rpc/tokens/revoke_all_of_user",
        Who::Roles(&[Role::Admin]),
        &[("user_id", "999999")],
    ),
    (
        "/rpc/audit/list",
        Who::SignedIn,
        &[("page", "1"), ("actor", ""), ("action", "")],
    ),
    ("/rpc/overview/environments", Who::SignedIn, &[]),
    ("/rpc/overview/summary", Who::SignedIn, &[]),
    ("/rpc/overview/budget", Who::SignedIn, &[]),
    ("/rpc/costs/month", Who::SignedIn, &[("month", "2030-03")]),
    (
        "/rpc/costs/entries",
        Who::SignedIn,
        &[("month", "2030-03"), ("page", "1")],
    ),
    ("/rpc/costs/export", Who::SignedIn, &[("month", "2030-03")]),
    ("/rpc/costs/measures", Who::SignedIn, &[]),
    (
        "/rpc/costs/save_budget",
        Who::Roles(&[Role::Finance]),
        &[
            ("amount", "-1"),
            ("currency", "USD"),
            ("forecast_min_days", "5"),
        ],
    ),
    (
        "/rpc/costs/save_threshold",
        Who::Roles(&[Role::Finance]),
        &[("percent", "0"), ("groups", "finance-team")],
    ),
    (
        "/rpc/costs/delete_threshold",
        Who::Roles(&[Role::Finance]),
        &[("percent", "999")],
    ),
    (
        "/rpc/costs/add_entry",
        Who::Roles(&[Role::Finance]),
        &[("date", "bad"), ("service", "compute"), ("amount", "1")],
    ),
    (
        "/rpc/costs/delete_entry",
        Who::Roles(&[Role::Finance]),
        &[("id", "999999")],
    ),
    (
        "/rpc/costs/set_one_off",
        Who::Roles(&[Role::Finance]),
        &[("id", "999999"), ("one_off", "true")],
    ),
    (
        "/rpc/costs/import",
        Who::Roles(&[Role::Finance]),
        &[("csv", "date,service,amount\n2030-03-01,compute,x\n")],
    ),
    (
        "/rpc/costs/save_measure",
        Who::Roles(&[Role::Finance]),
        &[("id", "999999"), ("status", "planned")],
    ),
    (
        "/rpc/maintenance/set",
        Who::Roles(&[Role::Operator]),
        &[("on", "false"), ("message", ""), ("estimated_end", "")],
    ),
    ("/rpc/maintenance/planning", Who::SignedIn, &[]),
    (
        "/rpc/maintenance/plan",
        Who::Roles(&[Role::Operator]),
        &[
            ("start", "not-a-time"),
            ("duration_minutes", "60"),
            ("reason", "x"),
        ],
    ),
    (
        "/rpc/maintenance/reschedule",
        Who::Roles(&[Role::Operator]),
        &[
            ("id", "999999"),
            ("start", "not-a-time"),
            ("duration_minutes", "60"),
            ("reason", "x"),
        ],
    ),
    (
        "/rpc/maintenance/cancel",
        Who::Roles(&[Role::Operator]),
        &[("id", "999999")],
    ),
    (
        "/rpc/maintenance/tick",
        Who::Roles(&[Role::Operator]),
        &[("window_id", "999999"), ("key", "x"), ("done", "true")],
    ),
    (
        "/rpc/maintenance/housekeeping",
        Who::Roles(&[Role::Operator]),
        &[],
    ),
    (
        "/rpc/maintenance/save_settings",
        Who::Roles(&[Role::Admin]),
        &[
            ("monthly_cap_minutes", "x"),
            ("min_notice_days", "7"),
            ("announce_days_before", "7"),
            ("night_start", "00:00"),
            ("night_end", "06:00"),
            ("activity_retention_days", "90"),
        ],
    ),
    (
        "/rpc/notifications/channels",
        Who::Roles(&[Role::Admin]),
        &[],
    ),
    (
        "/rpc/notifications/save_channel",
        Who::Roles(&[Role::Admin]),
        &[
            ("id", "999999"),
            ("name", "matrix"),
            ("kind", "webhook"),
            ("lang", "en"),
            ("min_interval_ms", "0"),
            ("url", "ftp://invalid"),
        ],
    ),
    (
        "/rpc/notifications/delete_channel",
        Who::Roles(&[Role::Admin]),
        &[("id", "999999")],
    ),
    (
        "/rpc/notifications/test_channel",
        Who::Roles(&[Role::Admin]),
        &[("id", "999999")],
    ),
    ("/rpc/notifications/groups", Who::Roles(&[Role::Admin]), &[]),
    (
        "/rpc/notifications/save_group",
        Who::Roles(&[Role::Admin]),
        &[("id", "999999"), ("name", "matrix")],
    ),
    (
        "/rpc/notifications/delete_group",
        Who::Roles(&[Role::Admin]),
        &[("id", "999999")],
    ),
    (
        "/rpc/notifications/deliveries",
        Who::Roles(&[Role::Admin]),
        &[("page", "1")],
    ),
    (
        "/rpc/notifications/retry_delivery",
        Who::Roles(&[Role::Admin]),
        &[("id", "999999")],
    ),
    ("/rpc/inbox/list", Who::SignedIn, &[("page", "1")]),
    (
        "/rpc/inbox/mark_read",
        Who::SignedIn,
        &[("message_id", "999999")],
    ),
    ("/rpc/releases/list", Who::SignedIn, &[]),
    ("/rpc/releases/card", Who::SignedIn, &[]),
    ("/rpc/releases/get", Who::SignedIn, &[("id", "999999")]),
    (
        "/rpc/releases/check",
        Who::Roles(&[Role::ReleaseManager]),
        &[("version", "not-a-version"), ("planned_date", "")],
    ),
    (
        "/rpc/releases/plan",
        Who::Roles(&[Role::ReleaseManager]),
        &[("version", "not-a-version"), ("planned_date", "")],
    ),
    (
        "/rpc/releases/update",
        Who::Roles(&[Role::ReleaseManager]),
        &[
            ("id", "999999"),
            ("version", "not-a-version"),
            ("planned_date", ""),
        ],
    ),
    (
        "/rpc/releases/cancel",
        Who::Roles(&[Role::ReleaseManager]),
        &[("id", "999999")],
    ),
    (
        "/rpc/releases/publish",
        Who::Roles(&[Role::ReleaseManager]),
        &[("id", "999999")],
    ),
    (
        "/rpc/releases/notes/save",
        Who::Roles(&[Role::ReleaseManager]),
        &[("id", "999999"), ("base_revision", "0")],
    ),
    (
        "/rpc/releases/notes/preview",
        Who::Roles(&[Role::ReleaseManager]),
        &[("id", "999999")],
    ),
    (
        "/rpc/releases/notes/diff",
        Who::SignedIn,
        &[("id", "999999"), ("from", "0"), ("to", "1")],
    ),
    (
        "/rpc/releases/settings",
        Who::Roles(&[Role::Admin]),
        &[("issue_url_template", "not a url")],
    ),
    (
        "/rpc/releases/calendar",
        Who::SignedIn,
        &[("month", "2030-03")],
    ),
    ("/rpc/releases/feed", Who::SignedIn, &[]),
    (
        "/rpc/sla/month",
        Who::SignedIn,
        &[("environment", "production")],
    ),
    ("/rpc/sla/months", Who::SignedIn, &[]),
    (
        "/rpc/sla/classify",
        Who::Roles(&[Role::Operator]),
        &[
            ("environment", "production"),
            ("starts_at", "x"),
            ("ends_at", "x"),
            ("reason", "force_majeure"),
            ("note", ""),
        ],
    ),
    (
        "/rpc/sla/unclassify",
        Who::Roles(&[Role::Operator]),
        &[("id", "999999")],
    ),
    (
        "/rpc/sla/save_settings",
        Who::Roles(&[Role::Admin]),
        &[
            ("target_percent", "x"),
            ("no_data", "exclude"),
            ("api_ms", "200"),
            ("page_ms", "2000"),
            ("search_ms", "500"),
            ("max_5xx_percent", "0.1"),
            ("max_4xx_percent", "5"),
            ("max_timeout_percent", "0.01"),
        ],
    ),
    ("/rpc/monitoring/settings", Who::SignedIn, &[]),
    (
        "/rpc/monitoring/update_target",
        Who::Roles(&[Role::Operator]),
        &[
            ("id", "999999"),
            ("url", "https://x.example/health"),
            ("interval_ms", "10000"),
            ("timeout_ms", "5000"),
        ],
    ),
    (
        "/rpc/monitoring/save_retention",
        Who::Roles(&[Role::Operator]),
        &[
            ("raw_retention_days", "0"),
            ("rollup_retention_months", "60"),
        ],
    ),
    (
        "/rpc/monitoring/view",
        Who::SignedIn,
        &[("environment", "production"), ("range", "1h")],
    ),
    ("/rpc/backups/page", Who::SignedIn, &[]),
    ("/rpc/backups/card", Who::SignedIn, &[]),
    ("/rpc/backups/run", Who::SignedIn, &[("id", "999999")]),
    (
        "/rpc/backups/timeline",
        Who::SignedIn,
        &[("target_id", "999999")],
    ),
    (
        "/rpc/backups/retention",
        Who::SignedIn,
        &[("target_id", "999999")],
    ),
    ("/rpc/backups/timelines", Who::SignedIn, &[]),
    ("/rpc/backups/retentions", Who::SignedIn, &[]),
    (
        "/rpc/backups/run_now",
        Who::Roles(&[Role::Operator]),
        &[("target_id", "999999")],
    ),
    (
        "/rpc/backups/run_drill",
        Who::Roles(&[Role::Operator]),
        &[("target_id", "999999")],
    ),
    (
        "/rpc/backups/record_drill",
        Who::Roles(&[Role::Operator]),
        &[
            ("target_id", "999999"),
            ("started", "x"),
            ("finished", "x"),
            ("outcome", "ok"),
        ],
    ),
    (
        "/rpc/backups/save_schedule",
        Who::Roles(&[Role::Operator]),
        &[
            ("target_id", "999999"),
            ("kind", "weekly"),
            ("cadence", "daily"),
        ],
    ),
    (
        "/rpc/backups/delete_schedule",
        Who::Roles(&[Role::Operator]),
        &[("id", "999999")],
    ),
    (
        "/rpc/backups/save_retention",
        Who::Roles(&[Role::Operator]),
        &[
            ("target_id", "999999"),
            ("mode", "x"),
            ("within_daily", "7d"),
            ("within_weekly", "4w"),
            ("within_monthly", "12m"),
            ("within_yearly", "5y"),
            ("keep_daily", "7"),
            ("keep_weekly", "4"),
            ("keep_monthly", "12"),
            ("keep_yearly", "5"),
        ],
    ),
    (
        "/rpc/backups/save_settings",
        Who::Roles(&[Role::Operator]),
        &[
            ("rpo_minutes", "0"),
            ("rto_minutes", "240"),
            ("missed_grace_minutes", "30"),
        ],
    ),
    (
        "/rpc/backups/save_runner",
        Who::Roles(&[Role::Admin]),
        &[
            ("target_id", "999999"),
            ("command", "x"),
            ("timeout_seconds", "60"),
            ("drill_timeout_seconds", "60"),
        ],
    ),
    (
        "/rpc/backups/prune_preview",
        Who::Roles(&[Role::Operator]),
        &[("target_id", "999999")],
    ),
    (
        "/rpc/backups/prune",
        Who::Roles(&[Role::Operator]),
        &[("target_id", "999999"), ("ids", "")],
    ),
    ("/rpc/incidents/list", Who::SignedIn, &[]),
    ("/rpc/incidents/load", Who::SignedIn, &[("id", "999999")]),
    ("/rpc/incidents/report", Who::SignedIn, &[("id", "999999")]),
    (
        "/rpc/incidents/declare",
        Who::Roles(&[Role::Operator]),
        &[("title", ""), ("severity", "critical")],
    ),
    (
        "/rpc/incidents/update_step",
        Who::Roles(&[Role::Operator]),
        &[("id", "999999"), ("step", "1"), ("action", "done")],
    ),
    (
        "/rpc/incidents/resolve",
        Who::Roles(&[Role::Operator]),
        &[("id", "999999")],
    ),
    // Alerts (R-MON-3, R-MON-4): everyone reads, operators change.
    ("/rpc/alerts/page", Who::SignedIn, &[]),
    (
        "/rpc/alerts/history",
        Who::SignedIn,
        &[("rule_id", "999999"), ("page", "1")],
    ),
    ("/rpc/alerts/export", Who::SignedIn, &[]),
    ("/rpc/alerts/silences", Who::SignedIn, &[]),
    (
        "/rpc/alerts/create",
        Who::Roles(&[Role::Operator]),
        &[
            ("name", "bad name"),
            ("condition", "x"),
            ("duration", "5m"),
            ("severity", "critical"),
        ],
    ),
    (
        "/rpc/alerts/update",
        Who::Roles(&[Role::Operator]),
        &[
            ("id", "999999"),
            ("name", "Matrix"),
            ("condition", "cpu_usage > 1"),
            ("duration", "5m"),
            ("severity", "info"),
        ],
    ),
    (
        "/rpc/alerts/set_enabled",
        Who::Roles(&[Role::Operator]),
        &[("id", "999999"), ("enabled", "false")],
    ),
    (
        "/rpc/alerts/import",
        Who::Roles(&[Role::Operator]),
        &[("yaml", "rules: []")],
    ),
    (
        "/rpc/alerts/acknowledge",
        Who::Roles(&[Role::Operator]),
        &[
            ("rule_id", "999999"),
            ("environment", "production"),
            ("comment", "matrix"),
        ],
    ),
    (
        "/rpc/alerts/create_silence",
        Who::Roles(&[Role::Operator]),
        &[("ends_at", "")],
    ),
    (
        "/rpc/alerts/delete_silence",
        Who::Roles(&[Role::Operator]),
        &[("id", "999999")],
    ),
    ("/rpc/deploys/board", Who::SignedIn, &[]),
    (
        "/rpc/deploys/history",
        Who::SignedIn,
        &[("environment", "production")],
    ),
    ("/rpc/deploys/get", Who::SignedIn, &[("id", "999999")]),
    ("/rpc/deploys/timeline", Who::SignedIn, &[("id", "999999")]),
    (
        "/rpc/deploys/step_output",
        Who::SignedIn,
        &[("step_id", "999999"), ("page", "1")],
    ),
    (
        "/rpc/deploys/request",
        Who::Roles(&[Role::Approver, Role::Operator, Role::ReleaseManager]),
        &[
            ("environment", "nowhere"),
            ("version", ""),
            ("commit_sha", ""),
        ],
    ),
    (
        "/rpc/deploys/tick",
        Who::Roles(&[Role::Approver, Role::Operator]),
        &[("id", "999999"), ("item", "all_tests_pass")],
    ),
    (
        "/rpc/deploys/untick",
        Who::Roles(&[Role::Approver, Role::Operator]),
        &[("id", "999999"), ("item", "all_tests_pass")],
    ),
    (
        "/rpc/deploys/approve",
        Who::Roles(&[Role::Approver]),
        &[("id", "999999"), ("comment", "")],
    ),
    (
        "/rpc/deploys/override_freeze",
        Who::Roles(&[Role::Admin]),
        &[("id", "999999"), ("reason", "matrix")],
    ),
    (
        "/rpc/deploys/start",
        Who::Roles(&[Role::Approver]),
        &[("id", "999999")],
    ),
    (
        "/rpc/deploys/rollback",
        Who::Roles(&[Role::Approver]),
        &[("id", "999999"), ("reason", "matrix")],
    ),
    ("/rpc/deploys/settings", Who::Roles(&[Role::Admin]), &[]),
    (
        "/rpc/deploys/trigger_settings",
        Who::Roles(&[Role::Admin]),
        &[],
    ),
    (
        "/rpc/deploys/save_trigger_settings",
        Who::Roles(&[Role::Admin]),
        &[("rules", "push main nowhere")],
    ),
    (
        "/rpc/deploys/save_settings",
        Who::Roles(&[Role::Admin]),
        &[
            ("environment", "nowhere"),
            ("approvals_required", "x"),
            ("driver", "demo"),
            ("step_timeout_seconds", "1"),
            ("health_required_consecutive", "1"),
            ("health_timeout_seconds", "1"),
            ("health_interval_ms", "100"),
            ("observe_seconds", "0"),
        ],
    ),
];

fn allowed(who: Who, caller: Option<Role>) -> bool {
    match (who, caller) {
        (Who::Anyone, _) => true,
        (_, None) => false,
        (Who::SignedIn, Some(_)) => true,
        (Who::Roles(roles), Some(r)) => r == Role::Admin || roles.contains(&r),
    }
}

#[test]
fn every_registered_server_function_is_in_the_matrix() {
    let registered: std::collections::BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    let listed: std::collections::BTreeSet<String> =
        MATRIX.iter().map(|(p, _, _)| p.to_string()).collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "server functions without a role-matrix row: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows without a server function: {stale:?}"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn each_server_function_checks_each_role_r_auth_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    for role in Role::ALL {
        create_user(&pool, role.as_str(), &[role]).await;
    }
    let callers: Vec<Option<Role>> = std::iter::once(None)
        .chain(Role::ALL.into_iter().map(Some))
        .collect();
    let mut failures = Vec::new();
    for (path, who, args) in MATRIX {
        for caller in &callers {
            // A fresh session per call: logout must not affect the next row.
            let client = match caller {
                Some(r) => app.signed_in(r.as_str()).await,
                None => browser(),
            };
            let res = app.rpc(&client, path, args).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            let err: Option<AppError> = serde_json::from_str(&body).ok();
            let refused = matches!(err, Some(AppError::Forbidden | AppError::Unauthenticated));
            let expect_allowed = allowed(*who, *caller);
            let ok = if expect_allowed {
                !refused && status != 403
            } else {
                refused && status == if caller.is_some() { 403 } else { 401 }
            };
            if !ok {
                failures.push(format!(
                    "{path} as {caller:?}: expected allowed={expect_allowed}, got {status} {body}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "role matrix violations:\n{}",
        failures.join("\n")
    );
}
