//! Past deploys in bulk (issue 9): the demo's months of history and the
//! load script's 100 000 deploys (`examples/seed_deploys.rs`) from one
//! statement. Each deploy is finished, with what a finished deploy leaves
//! behind: five CI stages, the checklist ticks (Staging, Production), the
//! approval votes (Production) and the executor's blue-green steps with
//! their output. 94 % end `done`, 4 % `rolled_back` after the switch, 2 %
//! `failed` at the health check. They are older than the demo's own
//! history (ending 41 days ago), so the demo's live colours and waiting
//! deploys stay what they were. Batched `INSERT … SELECT generate_series`
//! (one statement per batch of 10 000, every table in data-modifying CTEs);
//! seeding again adds nothing: the deploys carry idempotency keys
//! `seed-deploys-<n>`.

use opsdeck::deploy_gate::{BlueGreenDeploy, Colour, DeployEvent};
use sqlx::PgPool;

const BATCH: i64 = 10_000;

/// The executor's record of a finished deploy that started with `previous`
/// live, as the core's machine serialises it (the board reads it back).
fn machine(previous: Colour, ending: &[DeployEvent]) -> Result<serde_json::Value, String> {
    let mut m = BlueGreenDeploy::new(previous);
    for e in [
        DeployEvent::GateCleared,
        DeployEvent::Start,
        DeployEvent::IdleDeployed,
    ]
    .iter()
    .chain(ending)
    {
        m = m.apply(*e).map_err(|e| e.to_string())?;
    }
    serde_json::to_value(m).map_err(|e| e.to_string())
}

/// One batch, `$1..=$2` of `$3`: deploys, then their stages, ticks, votes and steps.
/// `$4..$9`: machines (done, rolled back, failed) × previous colour (blue, green);
/// `$10`: minutes between two deploys.
const SEED: &str = r#"
WITH g AS (
    SELECT n,
           (ARRAY['local', 'development', 'staging', 'production'])[1 + n % 4] AS environment,
           -- n / 4 counts an environment's own deploys: each one's colours
           -- swap, and every environment has its failures and rollbacks.
           CASE WHEN n / 4 % 50 = 0 THEN 'failed' WHEN n / 4 % 25 = 0 THEN 'rolled_back'
                ELSE 'done' END AS state,
           CASE WHEN n / 4 % 2 = 0 THEN 'blue' ELSE 'green' END AS previous,
           now() - interval '41 days' - ($3 - n) * $10::BIGINT * interval '1 minute' AS at
    FROM generate_series($1::BIGINT, $2::BIGINT) AS n
), d AS (
    INSERT INTO deploys (environment, version, commit_sha, ref_name, source, requested_by,
        requested_at, idempotency_key, state, machine, previous_colour, start_requested_at,
        start_requested_by, started_at, finished_at, failure)
    SELECT g.environment,
           '0.' || (g.n / 1000) || '.' || (g.n % 1000),
           substr(md5(g.n::TEXT), 1, 7),
           CASE g.environment WHEN 'production' THEN 'v0.' || (g.n / 1000) || '.' || (g.n % 1000)
                WHEN 'staging' THEN 'main' ELSE 'develop' END,
           'api',
           CASE WHEN g.n % 3 = 0 THEN 'operator' ELSE 'release' END,
           g.at - interval '40 minutes',
           'seed-deploys-' || g.n,
           g.state,
           CASE g.state
               WHEN 'done' THEN CASE g.previous WHEN 'blue' THEN $4::JSONB ELSE $5::JSONB END
               WHEN 'rolled_back' THEN CASE g.previous WHEN 'blue' THEN $6::JSONB ELSE $7::JSONB END
               ELSE CASE g.previous WHEN 'blue' THEN $8::JSONB ELSE $9::JSONB END
           END,
           g.previous,
           g.at - interval '1 minute',
           'approver',
           g.at,
           g.at + interval '6 minutes',
           CASE g.state
               WHEN 'rolled_back' THEN 'observation: 5xx ratio 4.2 % on the new colour (limit 1 %)'
               WHEN 'failed' THEN 'health check: 0 of 3 probes healthy within 120 s'
           END
    FROM g
    ON CONFLICT (source, idempotency_key) DO NOTHING
    RETURNING id, environment, state, previous_colour, started_at
), stages AS (
    INSERT INTO deploy_stages (deploy_id, stage, status, started_at, finished_at, log_url, updated_at)
    SELECT d.id, s.stage, 'success',
           d.started_at - interval '30 minutes' + (s.i - 1) * interval '5 minutes',
           d.started_at - interval '26 minutes' + (s.i - 1) * interval '5 minutes',
           'https://ci.example.com/bench/runs/' || d.id || '/' || s.stage,
           d.started_at - interval '6 minutes'
    FROM d CROSS JOIN unnest(ARRAY['checkout', 'install', 'test', 'build', 'deploy'])
        WITH ORDINALITY AS s(stage, i)
), ticks AS (
    INSERT INTO deploy_checklist_ticks (deploy_id, item, ticked_by, ticked_at, evidence_url)
    SELECT d.id, t.item, 'operator', d.started_at - interval '20 minutes' + t.i * interval '1 minute',
           CASE WHEN t.i = 1 THEN 'https://ci.example.com/bench/runs/' || d.id || '/test' END
    FROM d CROSS JOIN unnest(ARRAY['all_tests_pass', 'security_scan_done',
        'database_migration_checked', 'environment_variables_checked',
        'rollback_procedure_ready', 'monitoring_alerts_set']) WITH ORDINALITY AS t(item, i)
    WHERE d.environment IN ('staging', 'production')
), votes AS (
    -- One approver per Production deploy; every tenth had a second (the admin).
    INSERT INTO deploy_votes (deploy_id, voter, voted_at, comment)
    SELECT d.id, v.voter, d.started_at - interval '5 minutes', ''
    FROM d CROSS JOIN unnest(ARRAY['approver', 'admin']) AS v(voter)
    WHERE d.environment = 'production' AND (v.voter = 'approver' OR d.id % 10 = 0)
), steps AS (
    INSERT INTO deploy_steps (deploy_id, step, colour, status, started_at, finished_at, exit_code, output)
    SELECT d.id, s.step,
           CASE WHEN s.step = 'rollback' THEN d.previous_colour
                WHEN d.previous_colour = 'blue' THEN 'green' ELSE 'blue' END,
           s.status,
           d.started_at + (s.i - 1) * interval '1 minute',
           d.started_at + (s.i - 1) * interval '1 minute' + interval '40 seconds',
           CASE WHEN s.status = 'ok' THEN 0 ELSE 1 END,
           s.output
    FROM d CROSS JOIN LATERAL (VALUES
        (1, 'provision', 'ok', 'deployed to the idle colour' || E'\n'),
        (2, 'health_check', CASE WHEN d.state = 'failed' THEN 'failed' ELSE 'ok' END,
            CASE WHEN d.state = 'failed' THEN 'probe 1: 503' || E'\n' || 'probe 2: 503' || E'\n' || 'timed out' || E'\n'
                 ELSE 'probe 1: healthy' || E'\n' || 'probe 2: healthy' || E'\n' || 'probe 3: healthy' || E'\n' END),
        (3, 'switch', 'ok', 'traffic switched' || E'\n'),
        (4, 'observe', CASE WHEN d.state = 'rolled_back' THEN 'failed' ELSE 'ok' END,
            CASE WHEN d.state = 'rolled_back' THEN '5xx ratio 4.2 % > 1 %: rolling back' || E'\n'
                 ELSE 'healthy for the whole window' || E'\n' END),
        (5, 'rollback', 'ok', 'traffic back' || E'\n')
    ) AS s(i, step, status, output)
    WHERE (d.state <> 'failed' OR s.i <= 2) AND (d.state = 'rolled_back' OR s.i <= 4)
)
SELECT count(*) FROM d
"#;

/// Inserts deploys `1..=count`, `spacing_minutes` apart, ending 41 days
/// ago, spread evenly over the four environments; returns how many were new.
pub async fn seed(pool: &PgPool, count: i64, spacing_minutes: i64) -> Result<i64, String> {
    let (b, g) = (Colour::Blue, Colour::Green);
    let done = [
        DeployEvent::HealthPassed,
        DeployEvent::Switched,
        DeployEvent::ObservationPassed,
    ];
    let rolled_back = [
        DeployEvent::HealthPassed,
        DeployEvent::Switched,
        DeployEvent::StepFailed,
        DeployEvent::RollbackCompleted,
    ];
    let failed = [DeployEvent::HealthFailed];
    let machines = [
        machine(b, &done)?,
        machine(g, &done)?,
        machine(b, &rolled_back)?,
        machine(g, &rolled_back)?,
        machine(b, &failed)?,
        machine(g, &failed)?,
    ];
    let mut inserted = 0i64;
    let mut from = 1i64;
    while from <= count {
        let to = (from + BATCH - 1).min(count);
        let mut q = sqlx::query_scalar::<_, i64>(SEED)
            .bind(from)
            .bind(to)
            .bind(count);
        for m in &machines {
            q = q.bind(m);
        }
        inserted += q
            .bind(spacing_minutes)
            .fetch_one(pool)
            .await
            .map_err(|e| format!("deploys {from}–{to}: {e}"))?;
        from = to + 1;
    }
    Ok(inserted)
}
