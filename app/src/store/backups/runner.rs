//! The built-in runner (R-BAK-1) and restore drill (R-BAK-3).
//!
//! A backup runs the target's configured command (default
//! `pg_dump --format=custom --file {file} {database_url}`) without a shell:
//! the command is split into arguments first and the placeholders are filled
//! in per argument, so a value can never become a second command. The
//! database password never reaches an argument, a log line or the stored
//! output: the URL handed to the command has it removed, the child gets it in
//! `PGPASSWORD`, and any echo of it in the output is replaced. A command that
//! fails or outlives its timeout (it is killed) is recorded as failed, with
//! its output (head and tail).
//!
//! A drill restores a built-in full backup with `pg_restore` into a scratch
//! database created for it, runs a sanity query, and drops it again; the
//! restore and the query are timed and judged against the RTO.
//!
//! Besides "Run now", the runner runs on the schedule: `claim_due_runs`
//! hands the backup worker the full-backup slots that are due, each claimed
//! once across all opsdeck processes.

use super::{
    audit, drill, entry_of, run, runner_config, schedules, settings, target, timeline,
    truncate_output, Actor, OUTPUT_LIMIT,
};
use crate::model::backups::{Cadence, DrillView, Outcome, RunView};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use opsdeck::backup_retention::{BackupKind, RecoveryPolicy};
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};

/// What replaces a password wherever it would show.
pub const REDACTED: &str = "[REDACTED]";

/// The runner's defaults from the server's configuration: opsdeck's own
/// database (`DATABASE_URL`) and data directory (`OPSDECK_DATA_DIR`).
#[derive(Clone, Default)]
pub struct RunnerEnv {
    pub database_url: String,
    pub data_dir: PathBuf,
}

impl std::fmt::Debug for RunnerEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerEnv")
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:[REDACTED]@host/db`;
/// a `password=` query parameter becomes `password=REDACTED`. Something
/// that is not a URL is shown as `[REDACTED]` whole rather than risk a secret.
pub fn redact_url(raw: &str) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return String::new();
    }
    let Ok(mut u) = url::Url::parse(raw) else {
        return REDACTED.to_string();
    };
    let had_password = u.password().is_some();
    let _ = u.set_password(None);
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "password" {
                "REDACTED".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if pairs.iter().any(|(k, _)| k == "password") {
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let s = u.to_string();
    if had_password {
        let prefix = format!("{}://{}", u.scheme(), u.username());
        if let Some(rest) = s.strip_prefix(&prefix).filter(|r| r.starts_with('@')) {
            return format!("{prefix}:{REDACTED}{rest}");
        }
    }
    s
}

/// Whether a URL sent back from the form still carries a redaction marker
/// (the stored URL is then kept).
pub fn is_redacted(url: &str) -> bool {
    url.contains(REDACTED) || url.contains("password=REDACTED")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A database URL taken apart for a child process.
#[derive(Clone)]
pub struct DbUrl {
    /// The URL as configured (with its password), for opsdeck's own connections.
    raw: String,
    /// Without the password: what goes into arguments.
    public: url::Url,
    /// Decoded, for `PGPASSWORD`.
    password: Option<String>,
    /// The database name (the path).
    pub database: String,
}

impl DbUrl {
    /// Reads a `postgres://` or `postgresql://` URL; `None` for anything else.
    pub fn parse(raw: &str) -> Option<DbUrl> {
        let raw = raw.trim();
        let mut u = url::Url::parse(raw).ok()?;
        if !matches!(u.scheme(), "postgres" | "postgresql") {
            return None;
        }
        let mut password = u.password().map(percent_decode);
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some((_, pw)) = pairs.iter().find(|(k, _)| k == "password") {
            password = Some(pw.clone());
            let rest: Vec<&(String, String)> =
                pairs.iter().filter(|(k, _)| k != "password").collect();
            if rest.is_empty() {
                u.set_query(None);
            } else {
                u.query_pairs_mut()
                    .clear()
                    .extend_pairs(rest.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
        }
        if u.password().is_some() {
            u.set_password(None).ok()?;
        }
        let database = percent_decode(u.path().trim_start_matches('/'));
        Some(DbUrl {
            raw: raw.to_string(),
            public: u,
            password: password.filter(|p| !p.is_empty()),
            database,
        })
    }

    /// The same server, another database, without the password.
    fn public_for(&self, database: &str) -> String {
        let mut u = self.public.clone();
        u.set_path(&format!("/{database}"));
        u.to_string()
    }

    /// Strings that must never show: the password, raw and percent-encoded.
    fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pw) = &self.password {
            out.push(pw.clone());
            if let Ok(u) = url::Url::parse(&self.raw) {
                if let Some(enc) = u.password() {
                    out.push(enc.to_string());
                }
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }

    fn child_env(&self) -> Vec<(String, String)> {
        self.password
            .iter()
            .map(|p| ("PGPASSWORD".to_string(), p.clone()))
            .collect()
    }
}

/// Splits a command line into arguments: whitespace separates, '…' and "…"
/// group (no escapes, no shell). `None` for an unclosed quote.
pub fn tokenize(cmd: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut quote: Option<char> = None;
    for c in cmd.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_token = true;
            }
            None if c.is_whitespace() => {
                if in_token {
                    out.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            None => {
                cur.push(c);
                in_token = true;
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if in_token {
        out.push(cur);
    }
    Some(out)
}

/// A runnable command: a program and an argument containing `{file}` (the
/// runner checksums that file).
pub fn command_ok(cmd: &str) -> bool {
    tokenize(cmd).is_some_and(|t| {
        t.first().is_some_and(|p| !p.is_empty()) && t.iter().skip(1).any(|a| a.contains("{file}"))
    })
}

/// Where a runner writes: empty → `<data dir>/backups`; relative → under the data dir.
pub fn resolve_dir(configured: &str, data_dir: &Path) -> PathBuf {
    let c = configured.trim();
    if c.is_empty() {
        data_dir.join("backups")
    } else {
        let p = PathBuf::from(c);
        if p.is_absolute() {
            p
        } else {
            data_dir.join(p)
        }
    }
}

/// Why a run or drill could not start; nothing was recorded.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no such target")]
    NoTarget,
    #[error("the target has no built-in runner, or it is switched off")]
    NoRunner,
    #[error("a run of this target is already under way")]
    Running,
    #[error("no usable postgres:// database URL is configured")]
    NoDatabase,
    #[error("the command cannot be run")]
    BadCommand,
    #[error("no built-in full backup of this target is available to restore")]
    NothingToRestore,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What a command came to.
struct Executed {
    ok: bool,
    output: String,
}

/// Keeps the first and the last bytes of a stream; the middle is counted.
struct Capped {
    head: Vec<u8>,
    tail: Vec<u8>,
    total: usize,
}

const HEAD: usize = OUTPUT_LIMIT / 4;
const TAIL: usize = OUTPUT_LIMIT / 4;

impl Capped {
    fn push(&mut self, mut buf: &[u8]) {
        self.total += buf.len();
        if self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(buf.len());
            self.head.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
        }
        self.tail.extend_from_slice(buf);
        if self.tail.len() > 2 * TAIL {
            let cut = self.tail.len() - TAIL;
            self.tail.drain(..cut);
        }
    }

    fn finish(mut self) -> String {
        if self.tail.len() > TAIL {
            let cut = self.tail.len() - TAIL;
            self.tail.drain(..cut);
        }
        let omitted = self.total - self.head.len() - self.tail.len();
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if omitted > 0 {
            s.push_str(&format!("\n… [{omitted} bytes omitted] …\n"));
        }
        s.push_str(&String::from_utf8_lossy(&self.tail));
        s
    }
}

async fn drain(mut r: impl AsyncRead + Unpin) -> Capped {
    let mut c = Capped {
        head: Vec::new(),
        tail: Vec::new(),
        total: 0,
    };
    let mut buf = vec![0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => c.push(&buf[..n]),
        }
    }
    c
}

async fn collect(h: Option<tokio::task::JoinHandle<Capped>>) -> String {
    let Some(mut h) = h else {
        return String::new();
    };
    // The pipes close when the command ends; a child it left behind holding
    // them open must not hold the runner.
    match tokio::time::timeout(Duration::from_secs(5), &mut h).await {
        Ok(Ok(c)) => c.finish(),
        _ => {
            h.abort();
            String::new()
        }
    }
}

fn redact(mut s: String, secrets: &[String]) -> String {
    for secret in secrets {
        if !secret.is_empty() {
            s = s.replace(secret.as_str(), REDACTED);
        }
    }
    s
}

/// Kills the process group `pgid` (the command and what it started). The
/// crate forbids `unsafe`, so this goes through `kill(1)`; where that is
/// missing, only the command itself is killed (by the caller).
async fn kill_group(pgid: u32) {
    let _ = tokio::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}

/// Runs `program args` with `envs` for at most `timeout`, killing it then.
async fn execute(
    program: &str,
    args: &[String],
    envs: &[(String, String)],
    timeout: Duration,
    secrets: &[String],
) -> Executed {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so a timeout kills what it started too.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Executed {
                ok: false,
                output: format!("could not start `{program}`: {e}"),
            }
        }
    };
    let out = child.stdout.take().map(|s| tokio::spawn(drain(s)));
    let err = child.stderr.take().map(|s| tokio::spawn(drain(s)));
    let (ok, note) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => (true, None),
        Ok(Ok(status)) => (false, Some(format!("`{program}` failed: {status}"))),
        Ok(Err(e)) => (false, Some(format!("could not wait for `{program}`: {e}"))),
        Err(_) => {
            if let Some(pid) = child.id() {
                kill_group(pid).await;
            }
            let killed = match child.kill().await {
                Ok(()) => "killed",
                Err(_) => "could not be killed",
            };
            (
                false,
                Some(format!(
                    "`{program}` timed out after {} s and was {killed}",
                    timeout.as_secs()
                )),
            )
        }
    };
    let stdout = collect(out).await;
    let stderr = collect(err).await;
    let mut output = String::new();
    if let Some(n) = note {
        output.push_str(&n);
        output.push('\n');
    }
    if !stdout.trim().is_empty() {
        output.push_str("stdout:\n");
        output.push_str(&stdout);
        output.push('\n');
    }
    if !stderr.trim().is_empty() {
        output.push_str("stderr:\n");
        output.push_str(&stderr);
    }
    Executed {
        ok,
        output: truncate_output(&redact(output, secrets), OUTPUT_LIMIT),
    }
}

/// Size and SHA-256 of a file, read in chunks.
async fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += u64::try_from(n).unwrap_or(0);
    }
    Ok((total, hex::encode(h.finalize())))
}

/// Runs `fut` in its own task and waits up to `wait` for it. The task goes
/// on if the wait ends first (a long dump outlives the request that started
/// it); `None` then.
pub async fn finish_within<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
    wait: Duration,
) -> Option<T> {
    let handle = tokio::spawn(fut);
    match tokio::time::timeout(wait, handle).await {
        Ok(Ok(v)) => Some(v),
        _ => None,
    }
}

fn resolve_url(configured: &str, env: &RunnerEnv) -> Result<DbUrl, RunError> {
    let raw = if configured.trim().is_empty() {
        env.database_url.as_str()
    } else {
        configured
    };
    DbUrl::parse(raw).ok_or(RunError::NoDatabase)
}

// ---------------------------------------------------------------- backups

/// A backup recorded as running, ready to execute.
pub struct PreparedBackup {
    pub run_id: i64,
    actor: Actor,
    program: String,
    args: Vec<String>,
    db: DbUrl,
    file: PathBuf,
    dir: PathBuf,
    timeout: Duration,
}

/// Checks the runner and records the run as running (audited). Refused
/// while another run of the target is under way.
pub async fn begin_backup(
    pool: &PgPool,
    env: &RunnerEnv,
    actor: &Actor,
    target_id: i64,
    now: DateTime<Utc>,
) -> Result<PreparedBackup, RunError> {
    let mut tx = pool.begin().await?;
    let t = target(&mut *tx, target_id)
        .await?
        .ok_or(RunError::NoTarget)?;
    let cfg = runner_config(&mut *tx, target_id)
        .await?
        .filter(|c| c.enabled)
        .ok_or(RunError::NoRunner)?;
    let db = resolve_url(&cfg.database_url, env)?;
    let tokens = tokenize(&cfg.command)
        .filter(|t| !t.is_empty())
        .ok_or(RunError::BadCommand)?;
    let dir = resolve_dir(&cfg.directory, &env.data_dir);
    // The id names the run (`opsdeck-<id>`) and its file, so both are unique.
    let id: Option<i64> = sqlx::query_scalar(
        "WITH n AS (SELECT nextval(pg_get_serial_sequence('backup_runs', 'id')) AS id) \
         INSERT INTO backup_runs (id, target_id, kind, agent_run_id, started_at, outcome, reported_by, built_in) \
         SELECT n.id, $1, 'full', 'opsdeck-' || n.id, $2, 'running', $3, TRUE FROM n \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(target_id)
    .bind(now)
    .bind(&actor.name)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or(RunError::Running)?;
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let file = dir.join(format!("{}-{stamp}-r{id}.dump", t.key));
    let file_s = file.to_string_lossy().into_owned();
    sqlx::query("UPDATE backup_runs SET location = $2 WHERE id = $1")
        .bind(id)
        .bind(&file_s)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        "backup_run.start",
        &format!("backup_run:{id}"),
        None,
        Some(
            json!({"target": t.key, "command": cfg.command, "location": file_s,
                    "database_url": redact_url(&db.raw)}),
        ),
    )
    .await?;
    tx.commit().await?;
    let dir_s = dir.to_string_lossy().into_owned();
    let vars = [
        ("{file}", file_s.as_str()),
        ("{database_url}", db.public.as_str()),
        ("{database}", db.database.as_str()),
        ("{dir}", dir_s.as_str()),
        ("{target}", t.key.as_str()),
        ("{timestamp}", stamp.as_str()),
    ];
    let fill = |s: &str| {
        vars.iter()
            .fold(s.to_string(), |acc, (k, v)| acc.replace(k, v))
    };
    let mut filled = tokens.iter().map(|s| fill(s));
    let program = filled.next().unwrap_or_default();
    Ok(PreparedBackup {
        run_id: id,
        actor: actor.clone(),
        program,
        args: filled.collect(),
        file,
        dir,
        db,
        timeout: Duration::from_secs(u64::try_from(cfg.timeout_seconds).unwrap_or(3600)),
    })
}

/// How a built-in run ended.
struct Ended {
    outcome: Outcome,
    size: Option<i64>,
    checksum: Option<String>,
    /// False when no file is left (failed runs remove theirs).
    keep_location: bool,
    output: String,
}

impl Ended {
    fn failed(output: String) -> Ended {
        Ended {
            outcome: Outcome::Failed,
            size: None,
            checksum: None,
            keep_location: false,
            output,
        }
    }
}

/// Records how a built-in run ended; audited.
async fn finish_run(
    pool: &PgPool,
    actor: &Actor,
    id: i64,
    e: Ended,
) -> Result<RunView, sqlx::Error> {
    let Ended {
        outcome,
        size,
        checksum,
        keep_location,
        output,
    } = e;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE backup_runs SET outcome = $2, finished_at = greatest(now(), started_at), size_bytes = $3, \
         checksum = $4, output = $5, location = CASE WHEN $6 THEN location END WHERE id = $1",
    )
    .bind(id)
    .bind(outcome.as_str())
    .bind(size)
    .bind(&checksum)
    .bind(&output)
    .bind(keep_location)
    .execute(&mut *tx)
    .await?;
    let view = run(&mut *tx, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    audit::append(
        &mut tx,
        actor,
        "backup_run.finish",
        &format!("backup_run:{id}"),
        None,
        Some(
            json!({"outcome": outcome.as_str(), "size_bytes": size, "checksum": checksum,
                    "duration_seconds": view.duration_seconds}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Runs a prepared backup: the command, then size and SHA-256 of its file.
/// Every way it can fail ends as a failed run with the reason in its output.
pub async fn execute_backup(pool: &PgPool, p: PreparedBackup) -> Result<RunView, sqlx::Error> {
    let secrets = p.db.secrets();
    if let Err(e) = tokio::fs::create_dir_all(&p.dir).await {
        let msg = format!("could not create the directory {}: {e}", p.dir.display());
        tracing::warn!(run = p.run_id, error = %e, "backup directory not created");
        return finish_run(pool, &p.actor, p.run_id, Ended::failed(msg)).await;
    }
    let ex = execute(&p.program, &p.args, &p.db.child_env(), p.timeout, &secrets).await;
    if !ex.ok {
        // A partial file must not pass for a backup.
        let _ = tokio::fs::remove_file(&p.file).await;
        tracing::warn!(run = p.run_id, "built-in backup failed");
        return finish_run(pool, &p.actor, p.run_id, Ended::failed(ex.output)).await;
    }
    match sha256_file(&p.file).await {
        Ok((size, hex)) => {
            let ended = Ended {
                outcome: Outcome::Ok,
                size: Some(i64::try_from(size).unwrap_or(i64::MAX)),
                checksum: Some(format!("sha256:{hex}")),
                keep_location: true,
                output: ex.output,
            };
            finish_run(pool, &p.actor, p.run_id, ended).await
        }
        Err(e) => {
            let msg = format!(
                "{}the command succeeded but its file {} cannot be read: {e}",
                ex.output,
                p.file.display()
            );
            finish_run(pool, &p.actor, p.run_id, Ended::failed(msg)).await
        }
    }
}

/// Begins and executes a backup, waiting for the end.
pub async fn run_backup(
    pool: &PgPool,
    env: &RunnerEnv,
    actor: &Actor,
    target_id: i64,
) -> Result<RunView, RunError> {
    let p = begin_backup(pool, env, actor, target_id, Utc::now()).await?;
    Ok(execute_backup(pool, p).await?)
}

// ---------------------------------------------------------------- schedule

/// Claims the schedule's full-backup slots that are due now for the
/// built-in runner (R-BAK-1), returning (schedule id, target id, slot).
///
/// Only enabled `full` entries with a daily or every cadence count (the
/// runner makes full dumps; continuous and git entries expect no dump), and
/// only on targets whose runner is switched on. Per entry only the newest
/// slot at or before `now` is considered, and only while its missed-run
/// grace has not run out and not before the entry's `active_since`: after
/// an outage, or on a database seeded with a year of schedule, at most one
/// run per entry starts, never a catch-up of the past. A slot after which
/// the target already has a full run (an operator's "Run now", an agent's
/// report, another process's start) is left alone. The claim is an insert
/// keyed on (schedule, slot), so of several opsdeck processes on one
/// database exactly one gets each slot; a claim is never taken back, so a
/// start that is refused is not retried every minute.
pub async fn claim_due_runs(
    pool: &PgPool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64, DateTime<Utc>)>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let grace = TimeDelta::minutes(i64::from(settings(&mut *conn).await?.missed_grace_minutes));
    let mut runner_on: HashMap<i64, bool> = HashMap::new();
    let mut out: Vec<(i64, i64, DateTime<Utc>)> = Vec::new();
    for s in schedules(&mut *conn, None).await? {
        if !s.enabled
            || s.kind != BackupKind::Full
            || !matches!(s.cadence, Cadence::Daily | Cadence::Every)
        {
            continue;
        }
        // One start per target and pass: a second entry due at the same
        // time would only be refused while the first run is under way.
        if out.iter().any(|&(_, t, _)| t == s.target_id) {
            continue;
        }
        let on = match runner_on.get(&s.target_id) {
            Some(&on) => on,
            None => {
                let on = runner_config(&mut *conn, s.target_id)
                    .await?
                    .is_some_and(|c| c.enabled);
                runner_on.insert(s.target_id, on);
                on
            }
        };
        if !on {
            continue;
        }
        let from = s.active_since.max(now - grace);
        let to = now + TimeDelta::seconds(1);
        // Strictly within the grace: once it has run out, the slot is the
        // watch's to report missed, and a run then would come too late.
        let Some(slot) = timeline::slots(&entry_of(&s), tz, from, to)
            .pop()
            .filter(|&t| t + grace > now)
        else {
            continue;
        };
        // Only a full stands for a full: the log segments an agent reports
        // every few minutes must not suppress the dump.
        let ran: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM backup_runs WHERE target_id = $1 AND kind = 'full' AND started_at >= $2)",
        )
        .bind(s.target_id)
        .bind(slot)
        .fetch_one(&mut *conn)
        .await?;
        if ran {
            continue;
        }
        let claimed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO backup_scheduled_starts (schedule_id, expected_at, claimed_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING schedule_id",
        )
        .bind(s.id)
        .bind(slot)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if claimed.is_some() {
            out.push((s.id, s.target_id, slot));
        }
    }
    Ok(out)
}

/// Links a claimed slot to the run it started.
pub async fn record_scheduled_run(
    pool: &PgPool,
    schedule_id: i64,
    slot: DateTime<Utc>,
    run_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE backup_scheduled_starts SET run_id = $3 WHERE schedule_id = $1 AND expected_at = $2",
    )
    .bind(schedule_id)
    .bind(slot)
    .bind(run_id)
    .execute(pool)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- drills

/// A drill recorded as running, ready to execute.
pub struct PreparedDrill {
    pub drill_id: i64,
    actor: Actor,
    file: PathBuf,
    db: DbUrl,
    timeout: Duration,
}

/// Picks the backup to restore (`run_id`, or the newest built-in full that
/// succeeded and was not pruned) and records the drill as running (audited).
pub async fn begin_drill(
    pool: &PgPool,
    env: &RunnerEnv,
    actor: &Actor,
    target_id: i64,
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<PreparedDrill, RunError> {
    let mut tx = pool.begin().await?;
    let t = target(&mut *tx, target_id)
        .await?
        .ok_or(RunError::NoTarget)?;
    let cfg = runner_config(&mut *tx, target_id)
        .await?
        .filter(|c| c.enabled)
        .ok_or(RunError::NoRunner)?;
    let db = resolve_url(&cfg.database_url, env)?;
    let picked: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, location FROM backup_runs WHERE target_id = $1 AND ($2::bigint IS NULL OR id = $2) \
         AND built_in AND kind = 'full' AND outcome = 'ok' AND pruned_at IS NULL AND location IS NOT NULL \
         ORDER BY started_at DESC, id DESC LIMIT 1",
    )
    .bind(target_id)
    .bind(run_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (run_id, location) = picked.ok_or(RunError::NothingToRestore)?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO backup_drills (target_id, run_id, started_at, outcome, performed_by, built_in) \
         VALUES ($1, $2, $3, 'running', $4, TRUE) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(target_id)
    .bind(run_id)
    .bind(now)
    .bind(&actor.name)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or(RunError::Running)?;
    audit::append(
        &mut tx,
        actor,
        "backup_drill.start",
        &format!("backup_drill:{id}"),
        None,
        Some(json!({"target": t.key, "run_id": run_id, "location": location})),
    )
    .await?;
    tx.commit().await?;
    Ok(PreparedDrill {
        drill_id: id,
        actor: actor.clone(),
        file: PathBuf::from(location),
        db,
        timeout: Duration::from_secs(u64::try_from(cfg.drill_timeout_seconds).unwrap_or(14_400)),
    })
}

/// The sanity query: the restored database has tables of its own.
const SANITY: &str = "SELECT count(*) FROM information_schema.tables \
     WHERE table_schema NOT IN ('pg_catalog', 'information_schema')";

/// Restores into a scratch database, checks it and drops it. Returns
/// (ok, measured restore + check time, output).
async fn restore_and_check(p: &PreparedDrill) -> (bool, Option<Duration>, String) {
    let secrets = p.db.secrets();
    let opts: PgConnectOptions = match p.db.raw.parse() {
        Ok(o) => o,
        Err(e) => {
            return (
                false,
                None,
                redact(format!("the database URL cannot be used: {e}"), &secrets),
            )
        }
    };
    let mut admin = match opts.connect().await {
        Ok(c) => c,
        Err(e) => {
            return (
                false,
                None,
                redact(
                    format!("could not connect to the database server: {e}"),
                    &secrets,
                ),
            )
        }
    };
    // Only [a-z0-9_]: safe to quote as an identifier.
    let scratch = format!("opsdeck_drill_{}_{}", p.drill_id, Utc::now().timestamp());
    if let Err(e) = sqlx::query(&format!("CREATE DATABASE \"{scratch}\""))
        .execute(&mut admin)
        .await
    {
        let _ = admin.close().await;
        return (
            false,
            None,
            redact(
                format!("could not create the scratch database: {e}"),
                &secrets,
            ),
        );
    }
    let clock = Instant::now();
    let args = vec![
        "--no-owner".to_string(),
        "--no-acl".to_string(),
        "--exit-on-error".to_string(),
        "--dbname".to_string(),
        p.db.public_for(&scratch),
        p.file.to_string_lossy().into_owned(),
    ];
    let ex = execute("pg_restore", &args, &p.db.child_env(), p.timeout, &secrets).await;
    let mut output = ex.output;
    let mut ok = ex.ok;
    if ok {
        let checked = async {
            let mut c = opts.clone().database(&scratch).connect().await?;
            let n: i64 = sqlx::query_scalar(SANITY).fetch_one(&mut c).await?;
            c.close().await?;
            Ok::<i64, sqlx::Error>(n)
        }
        .await;
        match checked {
            Ok(n) if n > 0 => output.push_str(&format!("sanity check: {n} tables restored\n")),
            Ok(_) => {
                ok = false;
                output.push_str("sanity check failed: the restored database has no tables\n");
            }
            Err(e) => {
                ok = false;
                output.push_str(&redact(format!("sanity check failed: {e}\n"), &secrets));
            }
        }
    }
    let measured = clock.elapsed();
    if let Err(e) = sqlx::query(&format!(
        "DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)"
    ))
    .execute(&mut admin)
    .await
    {
        tracing::warn!(drill = p.drill_id, database = %scratch, error = %e, "scratch database not dropped");
        output.push_str(&format!(
            "the scratch database {scratch} could not be dropped: {e}\n"
        ));
    } else {
        output.push_str(&format!("scratch database {scratch} dropped\n"));
    }
    let _ = admin.close().await;
    (ok, Some(measured), truncate_output(&output, OUTPUT_LIMIT))
}

/// Runs a prepared drill and records its outcome and measured time (audited).
pub async fn execute_drill(
    pool: &PgPool,
    p: PreparedDrill,
    objectives: &RecoveryPolicy,
) -> Result<DrillView, sqlx::Error> {
    let (ok, measured, output) = restore_and_check(&p).await;
    let outcome = if ok { Outcome::Ok } else { Outcome::Failed };
    let measured = measured.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if !ok {
        tracing::warn!(drill = p.drill_id, "restore drill failed");
    }
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE backup_drills SET outcome = $2, finished_at = greatest(now(), started_at), \
         measured_seconds = $3, output = $4 WHERE id = $1",
    )
    .bind(p.drill_id)
    .bind(outcome.as_str())
    .bind(measured)
    .bind(&output)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        &p.actor,
        "backup_drill.finish",
        &format!("backup_drill:{}", p.drill_id),
        None,
        Some(json!({"outcome": outcome.as_str(), "measured_seconds": measured})),
    )
    .await?;
    let view = drill(&mut *tx, p.drill_id, objectives)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok(view)
}

/// Begins and executes a drill, waiting for the end.
pub async fn run_drill(
    pool: &PgPool,
    env: &RunnerEnv,
    actor: &Actor,
    target_id: i64,
    run_id: Option<i64>,
    objectives: &RecoveryPolicy,
) -> Result<DrillView, RunError> {
    let p = begin_drill(pool, env, actor, target_id, run_id, Utc::now()).await?;
    Ok(execute_drill(pool, p, objectives).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_without_a_shell() {
        assert_eq!(
            tokenize("pg_dump --format=custom --file {file} {database_url}").unwrap(),
            vec![
                "pg_dump",
                "--format=custom",
                "--file",
                "{file}",
                "{database_url}"
            ]
        );
        assert_eq!(
            tokenize("sh -c 'echo a; echo b' \"x y\"").unwrap(),
            vec!["sh", "-c", "echo a; echo b", "x y"]
        );
        assert_eq!(tokenize("a 'b").map(|_| ()), None);
        assert!(command_ok("pg_dump -f {file}"));
        assert!(!command_ok("pg_dump"));
        assert!(!command_ok("{file}"));
        assert!(!command_ok(""));
    }

    #[test]
    fn passwords_never_reach_arguments_or_text() {
        let db =
            DbUrl::parse("postgres://ops:s%40cret@db.example:5432/app?sslmode=require").unwrap();
        assert_eq!(db.password.as_deref(), Some("s@cret"));
        assert_eq!(
            db.public.as_str(),
            "postgres://ops@db.example:5432/app?sslmode=require"
        );
        assert_eq!(db.database, "app");
        assert_eq!(
            db.public_for("scratch"),
            "postgres://ops@db.example:5432/scratch?sslmode=require"
        );
        assert_eq!(
            db.child_env(),
            vec![("PGPASSWORD".to_string(), "s@cret".to_string())]
        );
        assert_eq!(
            redact("auth failed for s@cret and s%40cret".into(), &db.secrets()),
            "auth failed for [REDACTED] and [REDACTED]"
        );
        assert_eq!(
            redact_url("postgres://ops:s%40cret@db.example/app"),
            "postgres://ops:[REDACTED]@db.example/app"
        );
        let q = DbUrl::parse("postgresql://ops@h/app?password=pw&sslmode=disable").unwrap();
        assert_eq!(q.password.as_deref(), Some("pw"));
        assert!(!q.public.as_str().contains("pw"));
        assert!(!redact_url("postgresql://ops@h/app?password=pw").contains("pw"));
        assert_eq!(redact_url(""), "");
        assert!(DbUrl::parse("mysql://x@h/db").is_none());
        assert!(DbUrl::parse("host=h dbname=x").is_none());
        let env = RunnerEnv {
            database_url: "postgres://a:hunter2@h/db".into(),
            data_dir: PathBuf::from("/var/lib/opsdeck"),
        };
        assert!(!format!("{env:?}").contains("hunter2"));
    }

    #[test]
    fn directories_resolve_under_the_data_dir() {
        let d = Path::new("/var/lib/opsdeck");
        assert_eq!(
            resolve_dir("", d),
            PathBuf::from("/var/lib/opsdeck/backups")
        );
        assert_eq!(
            resolve_dir("dumps", d),
            PathBuf::from("/var/lib/opsdeck/dumps")
        );
        assert_eq!(resolve_dir("/srv/b", d), PathBuf::from("/srv/b"));
    }

    #[tokio::test]
    async fn a_hanging_command_is_killed_at_its_timeout() {
        let started = Instant::now();
        let ex = execute(
            "sleep",
            &["30".to_string()],
            &[],
            Duration::from_millis(300),
            &[],
        )
        .await;
        assert!(!ex.ok);
        assert!(ex.output.contains("timed out"), "{}", ex.output);
        assert!(started.elapsed() < Duration::from_secs(10));
        let missing = execute(
            "/nonexistent/opsdeck-cmd",
            &[],
            &[],
            Duration::from_secs(5),
            &[],
        )
        .await;
        assert!(!missing.ok);
        assert!(missing.output.contains("could not start"));
    }

    #[test]
    fn capped_output_keeps_both_ends() {
        let mut c = Capped {
            head: Vec::new(),
            tail: Vec::new(),
            total: 0,
        };
        for _ in 0..100 {
            c.push(&[b'x'; 1000]);
        }
        c.push(b"THE END");
        let s = c.finish();
        assert!(s.ends_with("THE END"));
        assert!(s.contains("bytes omitted"));
        assert!(s.len() < OUTPUT_LIMIT);
    }
}
