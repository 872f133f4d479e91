-- Backups and recovery (issue 13, R-BAK-1..3): the policy's targets and
-- schedule as editable entries, per-target retention (decision 0109) and
-- built-in runner settings, the catalogue of runs, missed-run records, the
-- RPO watch state and restore drills. Policy numbers are seeded defaults.

CREATE TABLE backup_settings (
    singleton             BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    -- 災害復旧計画: RPO 1時間, RTO 4時間.
    rpo_minutes           INT NOT NULL DEFAULT 60 CHECK (rpo_minutes BETWEEN 1 AND 10080),
    rto_minutes           INT NOT NULL DEFAULT 240 CHECK (rto_minutes BETWEEN 1 AND 10080),
    -- A scheduled run that has not started this long after its time is missed.
    missed_grace_minutes  INT NOT NULL DEFAULT 30 CHECK (missed_grace_minutes BETWEEN 1 AND 1440)
);
INSERT INTO backup_settings (singleton) VALUES (TRUE);

CREATE TABLE backup_targets (
    id              BIGSERIAL PRIMARY KEY,
    -- Agents name the target by this key in their reports.
    key             TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name_en         TEXT NOT NULL,
    name_ja         TEXT NOT NULL,
    position        INT NOT NULL DEFAULT 0,
    -- Whether the age of its newest restorable point is watched against the RPO.
    rpo_watched     BOOLEAN NOT NULL DEFAULT FALSE,
    -- With nothing restorable yet, the RPO counts from here (a new target is not breached at once).
    rpo_watched_since TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Retention (R-BAK-2, decision 0109): 'within' keeps each period's newest
    -- backup for a span (the policy's reading), 'count' keeps N periods.
    retention_mode  TEXT NOT NULL DEFAULT 'within' CHECK (retention_mode IN ('within','count')),
    within_daily    TEXT NOT NULL DEFAULT '7d'  CHECK (within_daily   ~ '^[0-9]{1,4}[dwmy]$'),
    within_weekly   TEXT NOT NULL DEFAULT '4w'  CHECK (within_weekly  ~ '^[0-9]{1,4}[dwmy]$'),
    within_monthly  TEXT NOT NULL DEFAULT '12m' CHECK (within_monthly ~ '^[0-9]{1,4}[dwmy]$'),
    within_yearly   TEXT NOT NULL DEFAULT '5y'  CHECK (within_yearly  ~ '^[0-9]{1,4}[dwmy]$'),
    keep_daily      INT NOT NULL DEFAULT 7  CHECK (keep_daily   BETWEEN 0 AND 10000),
    keep_weekly     INT NOT NULL DEFAULT 4  CHECK (keep_weekly  BETWEEN 0 AND 10000),
    keep_monthly    INT NOT NULL DEFAULT 12 CHECK (keep_monthly BETWEEN 0 AND 10000),
    keep_yearly     INT NOT NULL DEFAULT 5  CHECK (keep_yearly  BETWEEN 0 AND 10000),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The schedule (R-BAK-1), in the configured zone:
--   daily       at at_local every local day
--   every       at at_local + k × every_minutes (within each local day)
--   continuous  a run at least every every_minutes (transaction logs)
--   git         kept in Git: no runs are expected, nothing is ever missed
CREATE TABLE backup_schedules (
    id             BIGSERIAL PRIMARY KEY,
    target_id      BIGINT NOT NULL REFERENCES backup_targets(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('full','differential','incremental','log')),
    cadence        TEXT NOT NULL CHECK (cadence IN ('daily','every','continuous','git')),
    at_local       TIME NOT NULL DEFAULT '00:00',
    every_minutes  INT CHECK (every_minutes BETWEEN 1 AND 1440),
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    note           TEXT NOT NULL DEFAULT '',
    position       INT NOT NULL DEFAULT 0,
    -- Slots before this are never reported missed: an edit does not rewrite the past.
    active_since   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((cadence IN ('every','continuous')) = (every_minutes IS NOT NULL))
);
CREATE INDEX backup_schedules_target ON backup_schedules (target_id, position, id);

-- The built-in runner of a target: a command run without a shell, whose
-- {file}, {database_url}, {database}, {dir}, {target} and {timestamp} are
-- filled in per argument. An empty database_url means opsdeck's own database;
-- an empty directory means <OPSDECK_DATA_DIR>/backups. Admins only: it runs
-- programs on the server.
CREATE TABLE backup_runners (
    target_id             BIGINT PRIMARY KEY REFERENCES backup_targets(id) ON DELETE CASCADE,
    enabled               BOOLEAN NOT NULL DEFAULT TRUE,
    command               TEXT NOT NULL DEFAULT 'pg_dump --format=custom --file {file} {database_url}'
                          CHECK (length(command) BETWEEN 1 AND 2000 AND position('{file}' IN command) > 0),
    database_url          TEXT NOT NULL DEFAULT '' CHECK (length(database_url) <= 2000),
    directory             TEXT NOT NULL DEFAULT '' CHECK (length(directory) <= 1000),
    timeout_seconds       INT NOT NULL DEFAULT 3600 CHECK (timeout_seconds BETWEEN 1 AND 86400),
    -- A drill slower than the RTO has failed its purpose anyway.
    drill_timeout_seconds INT NOT NULL DEFAULT 14400 CHECK (drill_timeout_seconds BETWEEN 1 AND 86400),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The catalogue: one row per run, reported by an agent (POST /api/v1/backups)
-- or by the built-in runner. Idempotent on (target, agent_run_id).
CREATE TABLE backup_runs (
    id            BIGSERIAL PRIMARY KEY,
    target_id     BIGINT NOT NULL REFERENCES backup_targets(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('full','differential','incremental','log')),
    -- A differential's full, an incremental's predecessor.
    depends_on    BIGINT REFERENCES backup_runs(id),
    agent_run_id  TEXT NOT NULL CHECK (length(agent_run_id) BETWEEN 1 AND 200),
    -- For a log, the span of the transaction log it covers.
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    size_bytes    BIGINT CHECK (size_bytes >= 0),
    checksum      TEXT,
    location      TEXT,
    -- 'running' only for the built-in runner while it works.
    outcome       TEXT NOT NULL CHECK (outcome IN ('running','ok','failed')),
    output        TEXT NOT NULL DEFAULT '',
    reported_by   TEXT NOT NULL,
    built_in      BOOLEAN NOT NULL DEFAULT FALSE,
    -- Pruned runs stay in the catalogue as history; retention and the RPO ignore them.
    pruned_at     TIMESTAMPTZ,
    pruned_by     TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (target_id, agent_run_id),
    CHECK (finished_at IS NULL OR finished_at >= started_at),
    CHECK ((outcome = 'running') = (finished_at IS NULL))
);
CREATE INDEX backup_runs_target_started ON backup_runs (target_id, started_at DESC);
CREATE INDEX backup_runs_started ON backup_runs (started_at DESC, id DESC);
-- One built-in run per target at a time.
CREATE UNIQUE INDEX backup_runs_one_running ON backup_runs (target_id) WHERE outcome = 'running';

-- A scheduled slot that passed its grace without a run: recorded once, and
-- the record is the gate that lets its notification out once.
CREATE TABLE backup_missed (
    schedule_id   BIGINT NOT NULL REFERENCES backup_schedules(id) ON DELETE CASCADE,
    expected_at   TIMESTAMPTZ NOT NULL,
    target_id     BIGINT NOT NULL REFERENCES backup_targets(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    detected_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- false for a slot inside an ongoing gap of a continuous schedule (its start was notified).
    notified      BOOLEAN NOT NULL DEFAULT FALSE,
    message_id    BIGINT,
    PRIMARY KEY (schedule_id, expected_at)
);
CREATE INDEX backup_missed_target ON backup_missed (target_id, expected_at DESC);

-- RPO watch per target: one breach episode at a time, notified once when it
-- opens and once when it closes (the episode number keys both messages).
CREATE TABLE backup_rpo_state (
    target_id             BIGINT PRIMARY KEY REFERENCES backup_targets(id) ON DELETE CASCADE,
    breached              BOOLEAN NOT NULL DEFAULT FALSE,
    episode               INT NOT NULL DEFAULT 0,
    changed_at            TIMESTAMPTZ,
    breach_notified_at    TIMESTAMPTZ,
    recovery_notified_at  TIMESTAMPTZ
);

-- Restore drills (R-BAK-3), measured against the RTO.
CREATE TABLE backup_drills (
    id                BIGSERIAL PRIMARY KEY,
    target_id         BIGINT NOT NULL REFERENCES backup_targets(id) ON DELETE CASCADE,
    run_id            BIGINT REFERENCES backup_runs(id),
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    outcome           TEXT NOT NULL CHECK (outcome IN ('running','ok','failed')),
    performed_by      TEXT NOT NULL,
    -- The restore and its check; for a built-in drill without creating and dropping the scratch database.
    measured_seconds  BIGINT CHECK (measured_seconds >= 0),
    built_in          BOOLEAN NOT NULL DEFAULT FALSE,
    notes             TEXT NOT NULL DEFAULT '',
    output            TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (finished_at IS NULL OR finished_at >= started_at),
    CHECK ((outcome = 'running') = (finished_at IS NULL))
);
CREATE INDEX backup_drills_target ON backup_drills (target_id, started_at DESC);
CREATE UNIQUE INDEX backup_drills_one_running ON backup_drills (target_id) WHERE outcome = 'running';

-- The policy's targets and schedule (バックアップスケジュール).
INSERT INTO backup_targets (key, name_en, name_ja, position, rpo_watched) VALUES
    ('database', 'Database', 'データベース', 1, TRUE),
    ('uploads', 'Uploaded files', 'アップロードファイル', 2, FALSE),
    ('config', 'Configuration', '設定ファイル', 3, FALSE);

INSERT INTO backup_schedules (target_id, kind, cadence, at_local, every_minutes, note, position)
SELECT t.id, s.kind, s.cadence, s.at_local::time, s.every_minutes, s.note, s.position
FROM (VALUES
    ('database', 'full',         'daily',      '02:00', NULL, 'フルバックアップ: 毎日 02:00', 1),
    -- 02:00, 08:00, 14:00, 20:00; the 02:00 full stands for the 02:00 differential.
    ('database', 'differential', 'every',      '02:00', 360,  '差分バックアップ: 6時間ごと', 2),
    -- リアルタイム: a log segment at least every 15 minutes.
    ('database', 'log',          'continuous', '00:00', 15,   'トランザクションログ: リアルタイム', 3),
    ('uploads',  'incremental',  'daily',      '03:00', NULL, '増分バックアップ: 毎日 (S3 クロスリージョンレプリケーション併用)', 1),
    ('config',   'full',         'git',        '00:00', NULL, 'Git 管理（暗号化）', 1)
) AS s(target, kind, cadence, at_local, every_minutes, note, position)
JOIN backup_targets t ON t.key = s.target;

INSERT INTO backup_runners (target_id) SELECT id FROM backup_targets WHERE key = 'database';
