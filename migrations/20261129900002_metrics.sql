-- Metric ingest (issue 10, R-MON-2): samples of system metrics and
-- per-minute request counts with a latency histogram, sent in batches by the
-- monitored service through `POST /api/v1/metrics`; an hourly rollup of the
-- minutes so a month of data answers without reading 43 200 minute rows.
--
-- Environments are the core's four keys (as in `deploy_settings`), not rows
-- of `environments`: a service may report before the demo step or the admin
-- created its row.

-- System metrics, one row per (environment, source, at); a re-sent sample
-- replaces the stored one. NULL = not measured by this source.
CREATE TABLE metric_samples (
    environment        TEXT NOT NULL
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    source             TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    at                 TIMESTAMPTZ NOT NULL,
    cpu_usage          DOUBLE PRECISION CHECK (cpu_usage BETWEEN 0 AND 100),
    memory_usage       DOUBLE PRECISION CHECK (memory_usage BETWEEN 0 AND 100),
    disk_usage         DOUBLE PRECISION CHECK (disk_usage BETWEEN 0 AND 100),
    network_latency_ms DOUBLE PRECISION CHECK (network_latency_ms >= 0),
    connections        BIGINT CHECK (connections >= 0),
    PRIMARY KEY (environment, source, at)
);
-- Rows arrive roughly in time order, so a BRIN index on the time column is
-- tiny and serves range scans over a month.
CREATE INDEX metric_samples_at_brin ON metric_samples USING BRIN (at);

-- Requests of one class in one minute from one source. `latency_counts` has
-- one count per bound of the fixed histogram (the app's
-- `LATENCY_BOUNDS_MS`: 25, 50, 100, 200, 300, 500, 1000, 2000, 5000 ms)
-- plus one for +Inf; its sum equals ok + client_errors + server_errors +
-- timeouts (a timeout counts in the bucket of its time-out, usually +Inf).
CREATE TABLE request_minutes (
    environment    TEXT NOT NULL
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    source         TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    minute         TIMESTAMPTZ NOT NULL CHECK (extract(epoch FROM minute) % 60 = 0),
    class          TEXT NOT NULL CHECK (class IN ('api', 'page', 'search')),
    ok             BIGINT NOT NULL CHECK (ok >= 0),
    client_errors  BIGINT NOT NULL CHECK (client_errors >= 0),
    server_errors  BIGINT NOT NULL CHECK (server_errors >= 0),
    timeouts       BIGINT NOT NULL CHECK (timeouts >= 0),
    latency_counts BIGINT[] NOT NULL CHECK (cardinality(latency_counts) = 10),
    PRIMARY KEY (environment, minute, class, source)
);
CREATE INDEX request_minutes_minute_brin ON request_minutes USING BRIN (minute);

-- The sum of the minutes of each hour, kept by adding each minute's change
-- (new minus replaced) in the batch's transaction. No `>= 0` checks on the
-- counts: Postgres checks the proposed row of an upsert before it finds the
-- conflict, and a replaced minute's change is negative.
CREATE TABLE request_hours (
    environment    TEXT NOT NULL
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    source         TEXT NOT NULL,
    hour           TIMESTAMPTZ NOT NULL CHECK (extract(epoch FROM hour) % 3600 = 0),
    class          TEXT NOT NULL CHECK (class IN ('api', 'page', 'search')),
    ok             BIGINT NOT NULL,
    client_errors  BIGINT NOT NULL,
    server_errors  BIGINT NOT NULL,
    timeouts       BIGINT NOT NULL,
    latency_counts BIGINT[] NOT NULL CHECK (cardinality(latency_counts) = 10),
    PRIMARY KEY (environment, hour, class, source)
);
CREATE INDEX request_hours_hour_brin ON request_hours USING BRIN (hour);
