-- Planned maintenance (issue 12, R-MNT-1, R-MNT-2, R-MNT-4): the policy's
-- numbers as editable settings, the windows (generated monthly ones and
-- one-off plans), their task lists, announce-once records and housekeeping runs.
-- See docs/decisions/0013-maintenance-windows.md.

CREATE TABLE maintenance_settings (
    singleton             BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    -- first | second | third | fourth | last
    week                  TEXT NOT NULL DEFAULT 'first' CHECK (week IN ('first','second','third','fourth','last')),
    -- 0 = Monday … 6 = Sunday (chrono's num_days_from_monday)
    weekday               INT NOT NULL DEFAULT 6 CHECK (weekday BETWEEN 0 AND 6),
    start_local           TIME NOT NULL DEFAULT '02:00',
    duration_minutes      INT NOT NULL DEFAULT 120 CHECK (duration_minutes BETWEEN 1 AND 1440),
    announce_days_before  INT NOT NULL DEFAULT 7 CHECK (announce_days_before BETWEEN 0 AND 60),
    monthly_cap_minutes   INT NOT NULL DEFAULT 120 CHECK (monthly_cap_minutes BETWEEN 0 AND 44640),
    quarterly_months      INT[] NOT NULL DEFAULT '{1,4,7,10}',
    -- One-off windows must lie inside the night (local) …
    night_start           TIME NOT NULL DEFAULT '00:00',
    night_end             TIME NOT NULL DEFAULT '06:00',
    -- … and be planned at least this many days ahead.
    min_notice_days       INT NOT NULL DEFAULT 7 CHECK (min_notice_days BETWEEN 0 AND 60),
    horizon_months        INT NOT NULL DEFAULT 12 CHECK (horizon_months BETWEEN 1 AND 36),
    -- R-MNT-4: opsdeck's own activity data older than this is purged.
    activity_retention_days INT NOT NULL DEFAULT 90 CHECK (activity_retention_days BETWEEN 7 AND 3650)
);
INSERT INTO maintenance_settings (singleton) VALUES (TRUE);

CREATE TABLE maintenance_windows (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('monthly','planned')),
    -- The local day a monthly window belongs to (its identity: generated once).
    local_date      DATE,
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    quarterly       BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','cancelled')),
    -- Bumped by every change people must hear about again (time, cancellation).
    revision        INT NOT NULL DEFAULT 1,
    override_reason TEXT,
    created_by      TEXT NOT NULL DEFAULT 'system',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE UNIQUE INDEX maintenance_windows_monthly ON maintenance_windows (local_date) WHERE kind = 'monthly';
CREATE INDEX maintenance_windows_time ON maintenance_windows (starts_at, ends_at);

CREATE TABLE maintenance_window_tasks (
    window_id   BIGINT NOT NULL REFERENCES maintenance_windows(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    label_ja    TEXT NOT NULL,
    label_en    TEXT NOT NULL,
    done_by     TEXT,
    done_at     TIMESTAMPTZ,
    PRIMARY KEY (window_id, key)
);

-- One row per (window, revision) announced: the reason an announcement goes out once.
CREATE TABLE maintenance_announcements (
    window_id     BIGINT NOT NULL REFERENCES maintenance_windows(id) ON DELETE CASCADE,
    revision      INT NOT NULL,
    what          TEXT NOT NULL CHECK (what IN ('announced','changed','cancelled')),
    announced_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    message_id    BIGINT,
    PRIMARY KEY (window_id, revision)
);

CREATE TABLE housekeeping_runs (
    id           BIGSERIAL PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    ok           BOOLEAN,
    -- table → rows deleted
    deleted      JSONB NOT NULL DEFAULT '{}',
    error        TEXT,
    started_by   TEXT NOT NULL DEFAULT 'schedule'
);
CREATE INDEX housekeeping_runs_started ON housekeeping_runs (started_at DESC);
