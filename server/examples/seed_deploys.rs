//! Seeds past deploys for the load script (issue 9): the board and the
//! history pages measured against a database that has been deploying for
//! years, not against the demo's nine deploys.
//!
//! `DATABASE_URL=postgres://…/opsdeck_bench cargo run --release -p opsdeck-server --example seed_deploys -- [count]`
//!
//! Inserts `count` (default 100 000) finished deploys into the database
//! `DATABASE_URL` names (migrated: run `opsdeck-server seed-demo` or
//! `migrate` first), spread evenly over the four environments, each with what
//! a finished deploy leaves behind: five CI stages, the checklist ticks
//! (Staging, Production), the approval votes (Production) and the executor's
//! blue-green steps with their output. 94 % end `done`, 4 % `rolled_back`
//! after the switch, 2 % `failed` at the health check. They are older than
//! the demo's history (one every 20 minutes, ending 41 days ago), so the
//! demo's live colours and waiting deploys stay what they were.
//!
//! Batched `INSERT … SELECT generate_series` (one statement per batch of
//! 10 000, every table in data-modifying CTEs), then `VACUUM ANALYZE`, as
//! autovacuum would have done on a database that grew slowly. Running it
//! again adds nothing: the deploys carry idempotency keys `seed-deploys-<n>`.
//! The statement is the demo's (`opsdeck_server::demo::deploy_history`).
//! `DATABASE_URL` is required on purpose: this writes 1.6 million rows.

use sqlx::postgres::PgPoolOptions;
use std::time::Instant;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("seed_deploys: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL to the (migrated) database to fill".to_string())?;
    let count: i64 = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{n}` is not a positive number of deploys"))?,
        None => 100_000,
    };
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let started = Instant::now();
    // One every 20 minutes.
    let inserted = opsdeck_server::demo::deploy_history::seed(&pool, count, 20).await?;
    let seeded = started.elapsed();
    // Fresh statistics and visibility map, as on a database that grew slowly.
    sqlx::raw_sql(
        "VACUUM ANALYZE deploys, deploy_stages, deploy_checklist_ticks, deploy_votes, deploy_steps",
    )
    .execute(&pool)
    .await
    .map_err(|e| format!("vacuum: {e}"))?;
    println!(
        "seed_deploys: {inserted} new deploys of {count} in {:.1} s (+ vacuum analyze {:.1} s)",
        seeded.as_secs_f64(),
        (started.elapsed() - seeded).as_secs_f64()
    );
    Ok(())
}
