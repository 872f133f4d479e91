//! Demo deploys (issue 9): both colours of every environment with what
//! they run, a history of finished deploys (one rolled back) with their
//! stages, checklist, approvals and blue-green steps, a Staging deploy
//! waiting for its checklist and a Production deploy of v1.3.0 with its
//! checklist ticked, waiting for an approver — inside v1.2.4's code freeze,
//! so the banner and the override show. Seeding again adds nothing (the
//! history carries idempotency keys).

use chrono::{DateTime, TimeDelta, Utc};
use opsdeck::deploy_gate::{BlueGreenDeploy, ChecklistItem, Colour, DeployEvent};
use opsdeck_app::model::deploys::DeployStatus;
use sqlx::{PgConnection, PgPool};

/// (environment, blue version, blue commit, green version, green commit).
const COLOURS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "development",
        "1.3.0-dev.4",
        "9f1c2ab",
        "1.3.0-dev.3",
        "51aa0c2",
    ),
    ("staging", "1.2.9", "0d2b9e4", "1.3.0", "4be07d1"),
    ("production", "1.2.3", "c0ffee1", "1.2.2", "7e5d3a9"),
];

/// A finished deploy: (key, environment, version, commit, days ago, rolled back).
type Finished = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    bool,
);

const HISTORY: [Finished; 7] = [
    ("demo-1", "production", "1.2.1", "a41b7c0", 40, false),
    ("demo-2", "production", "1.2.2", "7e5d3a9", 24, false),
    ("demo-3", "production", "1.2.3-rc", "b19e002", 10, true),
    ("demo-4", "production", "1.2.3", "c0ffee1", 9, false),
    ("demo-5", "staging", "1.2.9", "0d2b9e4", 3, false),
    ("demo-6", "staging", "1.3.0", "4be07d1", 1, false),
    ("demo-7", "development", "1.3.0-dev.4", "9f1c2ab", 0, false),
];

pub async fn seed(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let now = Utc::now();
    for (env, bv, bc, gv, gc) in COLOURS {
        for (colour, version, commit) in [("blue", bv, bc), ("green", gv, gc)] {
            sqlx::query(
                "INSERT INTO environment_colours (environment, colour, version, commit_sha, health, checked_at) \
                 VALUES ($1, $2, $3, $4, 'ok', $5) ON CONFLICT DO NOTHING",
            )
            .bind(env)
            .bind(colour)
            .bind(version)
            .bind(commit)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    for (key, env, version, commit, days, rolled_back) in HISTORY {
        let at = now - TimeDelta::days(days) - TimeDelta::hours(2);
        finished(&mut tx, key, env, version, commit, at, rolled_back).await?;
    }
    waiting(
        &mut tx,
        "demo-staging-waiting",
        "staging",
        "1.3.1",
        "e7a3f10",
        now,
        2,
    )
    .await?;
    waiting(
        &mut tx,
        "demo-production-waiting",
        "production",
        "1.3.0",
        "4be07d1",
        now,
        6,
    )
    .await?;
    tx.commit().await
}

/// The deploy's previous colour: the one live before it (alternating by age).
fn colours(env: &str, version: &str) -> (Colour, Colour) {
    let live_now = match env {
        "staging" => Colour::Green,
        _ => Colour::Blue,
    };
    let (_, bv, _, gv, _) = COLOURS
        .iter()
        .copied()
        .find(|c| c.0 == env)
        .unwrap_or(("", "", "", "", ""));
    // The deploy put `version` on `candidate`; the other colour was live before.
    let candidate = if version == bv {
        Colour::Blue
    } else if version == gv {
        Colour::Green
    } else {
        live_now.other()
    };
    (candidate.other(), candidate)
}

fn colour_str(c: Colour) -> &'static str {
    match c {
        Colour::Blue => "blue",
        Colour::Green => "green",
    }
}

async fn insert_deploy(
    tx: &mut PgConnection,
    key: &str,
    env: &str,
    version: &str,
    commit: &str,
    at: DateTime<Utc>,
    machine: &BlueGreenDeploy,
) -> Result<Option<i64>, sqlx::Error> {
    let state = DeployStatus::from_core(machine.state).as_str();
    let machine =
        serde_json::to_value(machine).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    sqlx::query_scalar(
        "INSERT INTO deploys (environment, version, commit_sha, ref_name, source, requested_by, requested_at, \
         idempotency_key, state, machine, previous_colour) \
         VALUES ($1, $2, $3, $4, 'github', 'release', $5, $6, $7, $8, $9) \
         ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(env)
    .bind(version)
    .bind(commit)
    .bind(match env {
        "production" => format!("v{version}"),
        "staging" => "main".to_string(),
        _ => "develop".to_string(),
    })
    .bind(at)
    .bind(key)
    .bind(state)
    .bind(machine)
    .bind(colour_str(machine_previous(env, version)))
    .fetch_optional(&mut *tx)
    .await
}

fn machine_previous(env: &str, version: &str) -> Colour {
    colours(env, version).0
}

async fn stages(
    tx: &mut PgConnection,
    id: i64,
    at: DateTime<Utc>,
    done: bool,
) -> Result<(), sqlx::Error> {
    for (i, stage) in ["checkout", "install", "test", "build", "deploy"]
        .into_iter()
        .enumerate()
    {
        let start = at - TimeDelta::minutes(30) + TimeDelta::minutes(5 * i as i64);
        sqlx::query(
            "INSERT INTO deploy_stages (deploy_id, stage, status, started_at, finished_at, log_url) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(stage)
        .bind(if done { "success" } else { "pending" })
        .bind(done.then_some(start))
        .bind(done.then_some(start + TimeDelta::minutes(4)))
        .bind(done.then(|| format!("https://ci.example.com/mythologia/runs/{id}/{stage}")))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn tick_all(
    tx: &mut PgConnection,
    id: i64,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), sqlx::Error> {
    for (i, item) in ChecklistItem::ALL.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO deploy_checklist_ticks (deploy_id, item, ticked_by, ticked_at, evidence_url) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(item.key())
        .bind(by)
        .bind(at - TimeDelta::minutes(20 - i as i64))
        .bind((i == 0).then(|| format!("https://ci.example.com/mythologia/runs/{id}/test")))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn step(
    tx: &mut PgConnection,
    id: i64,
    step: &str,
    colour: Colour,
    status: &str,
    at: DateTime<Utc>,
    output: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deploy_steps (deploy_id, step, colour, status, started_at, finished_at, exit_code, output) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(id)
    .bind(step)
    .bind(colour_str(colour))
    .bind(status)
    .bind(at)
    .bind(at + TimeDelta::seconds(40))
    .bind(output)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn finished(
    tx: &mut PgConnection,
    key: &str,
    env: &str,
    version: &str,
    commit: &str,
    at: DateTime<Utc>,
    rolled_back: bool,
) -> Result<(), sqlx::Error> {
    let (previous, candidate) = colours(env, version);
    let mut m = BlueGreenDeploy::new(previous);
    let mut events = vec![
        DeployEvent::GateCleared,
        DeployEvent::Start,
        DeployEvent::IdleDeployed,
        DeployEvent::HealthPassed,
        DeployEvent::Switched,
    ];
    if rolled_back {
        events.extend([DeployEvent::StepFailed, DeployEvent::RollbackCompleted]);
    } else {
        events.push(DeployEvent::ObservationPassed);
    }
    for e in events {
        m = m
            .apply(e)
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    }
    let Some(id) = insert_deploy(tx, key, env, version, commit, at, &m).await? else {
        return Ok(());
    };
    let checklist = env != "development";
    sqlx::query(
        "UPDATE deploys SET start_requested_at = $2, start_requested_by = 'approver', started_at = $2, \
         finished_at = $3, failure = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(at)
    .bind(at + TimeDelta::minutes(6))
    .bind(rolled_back.then_some("observation: 5xx ratio 4.2 % on the new colour (limit 1 %)"))
    .execute(&mut *tx)
    .await?;
    stages(tx, id, at, true).await?;
    if checklist {
        tick_all(tx, id, at, "operator").await?;
    }
    if env == "production" {
        sqlx::query("INSERT INTO deploy_votes (deploy_id, voter, voted_at, comment) VALUES ($1, 'approver', $2, '')")
            .bind(id)
            .bind(at - TimeDelta::minutes(5))
            .execute(&mut *tx)
            .await?;
    }
    let c = colour_str(candidate);
    step(
        tx,
        id,
        "provision",
        candidate,
        "ok",
        at,
        &format!("deployed {version} to {c}\n"),
    )
    .await?;
    step(
        tx,
        id,
        "health_check",
        candidate,
        "ok",
        at + TimeDelta::minutes(1),
        "probe 1: healthy\nprobe 2: healthy\nprobe 3: healthy\n",
    )
    .await?;
    step(
        tx,
        id,
        "switch",
        candidate,
        "ok",
        at + TimeDelta::minutes(2),
        &format!("traffic → {c}\n"),
    )
    .await?;
    if rolled_back {
        step(
            tx,
            id,
            "observe",
            candidate,
            "failed",
            at + TimeDelta::minutes(3),
            "5xx ratio 4.2 % > 1 %: rolling back\n",
        )
        .await?;
        step(
            tx,
            id,
            "rollback",
            previous,
            "ok",
            at + TimeDelta::minutes(4),
            &format!("traffic → {}\n", colour_str(previous)),
        )
        .await?;
    } else {
        step(
            tx,
            id,
            "observe",
            candidate,
            "ok",
            at + TimeDelta::minutes(3),
            "healthy for the whole window\n",
        )
        .await?;
    }
    Ok(())
}

/// A deploy waiting for its gate; its checklist is ticked except for the
/// last `open` items… all six when `open` is 0.
async fn waiting(
    tx: &mut PgConnection,
    key: &str,
    env: &str,
    version: &str,
    commit: &str,
    now: DateTime<Utc>,
    ticked: usize,
) -> Result<(), sqlx::Error> {
    let at = now - TimeDelta::hours(1);
    let live = if env == "staging" {
        Colour::Green
    } else {
        Colour::Blue
    };
    let m = BlueGreenDeploy::new(live);
    let machine = serde_json::to_value(m).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO deploys (environment, version, commit_sha, ref_name, source, requested_by, requested_at, \
         idempotency_key, state, machine, previous_colour) \
         VALUES ($1, $2, $3, $4, 'github', 'release', $5, $6, 'requested', $7, $8) \
         ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(env)
    .bind(version)
    .bind(commit)
    .bind(if env == "production" { format!("v{version}") } else { "main".to_string() })
    .bind(at)
    .bind(key)
    .bind(machine)
    .bind(colour_str(live))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Ok(());
    };
    stages(tx, id, at, true).await?;
    for (i, item) in ChecklistItem::ALL.into_iter().take(ticked).enumerate() {
        sqlx::query(
            "INSERT INTO deploy_checklist_ticks (deploy_id, item, ticked_by, ticked_at) VALUES ($1, $2, 'operator', $3)",
        )
        .bind(id)
        .bind(item.key())
        .bind(at + TimeDelta::minutes(i as i64))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
