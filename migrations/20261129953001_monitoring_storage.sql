-- Monitoring storage that stays fast (issue 10 item 3, decision 0020): how
-- long raw rows and rollups are kept (settings, seeded with the issue's 90
-- days and 5 years), the R-MON-2 thresholds the metrics view draws (data,
-- not constants), an hourly rollup of the system samples, and the time
-- indexes the retention worker's batched purges need.

CREATE TABLE monitoring_settings (
    singleton               BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    -- Raw rows: every probe (`probe_results`) and every system sample
    -- (`metric_samples`). The ingest refuses older samples.
    raw_retention_days      INT NOT NULL DEFAULT 90 CHECK (raw_retention_days BETWEEN 7 AND 3650),
    -- Rollups: probe_minutes, sla_probe_hours, request_minutes,
    -- request_hours, metric_sample_hours. Months, so "5 years" is exactly that.
    rollup_retention_months INT NOT NULL DEFAULT 60 CHECK (rollup_retention_months BETWEEN 1 AND 240),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A rollup never outlives nothing: it is kept at least as long as the raw rows.
    CHECK (rollup_retention_months * 31 >= raw_retention_days)
);
INSERT INTO monitoring_settings (singleton) VALUES (TRUE);

-- R-MON-2's thresholds, drawn on the metrics view beside the value they
-- judge. A value above the threshold is over the limit.
CREATE TABLE monitoring_thresholds (
    metric    TEXT PRIMARY KEY CHECK (metric IN ('cpu_usage', 'memory_usage', 'disk_usage',
                  'network_latency_ms', 'connections', 'error_rate', 'response_time_p95')),
    threshold DOUBLE PRECISION NOT NULL CHECK (threshold >= 0),
    -- '%' (0–100), 'ms', or 'count'.
    unit      TEXT NOT NULL CHECK (unit IN ('%', 'ms', 'count')),
    position  INT NOT NULL
);
INSERT INTO monitoring_thresholds (metric, threshold, unit, position) VALUES
    ('cpu_usage', 70, '%', 1),
    ('memory_usage', 80, '%', 2),
    ('disk_usage', 80, '%', 3),
    ('network_latency_ms', 100, 'ms', 4),
    ('connections', 1000, 'count', 5),
    ('error_rate', 1, '%', 6),
    ('response_time_p95', 200, 'ms', 7);

-- System samples summed per UTC hour and source, recomputed from
-- metric_samples for the hours a batch touched (in the batch's
-- transaction), so a re-sent sample replaces rather than adds. The 7-day
-- and 30-day charts read these (168 / 720 rows a source), and they outlive
-- the raw samples (rollup retention). Averages are over the samples that
-- measured the metric (`*_n`), so a source that leaves one out does not
-- pull the average to zero.
CREATE TABLE metric_sample_hours (
    environment    TEXT NOT NULL
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    source         TEXT NOT NULL,
    hour           TIMESTAMPTZ NOT NULL CHECK (extract(epoch FROM hour) % 3600 = 0),
    samples        INT NOT NULL,
    cpu_n          INT NOT NULL DEFAULT 0,
    cpu_sum        DOUBLE PRECISION NOT NULL DEFAULT 0,
    cpu_max        DOUBLE PRECISION,
    memory_n       INT NOT NULL DEFAULT 0,
    memory_sum     DOUBLE PRECISION NOT NULL DEFAULT 0,
    memory_max     DOUBLE PRECISION,
    disk_n         INT NOT NULL DEFAULT 0,
    disk_sum       DOUBLE PRECISION NOT NULL DEFAULT 0,
    disk_max       DOUBLE PRECISION,
    latency_n      INT NOT NULL DEFAULT 0,
    latency_sum    DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_max    DOUBLE PRECISION,
    connections_n  INT NOT NULL DEFAULT 0,
    connections_sum DOUBLE PRECISION NOT NULL DEFAULT 0,
    connections_max BIGINT,
    PRIMARY KEY (environment, hour, source)
);
CREATE INDEX metric_sample_hours_hour_brin ON metric_sample_hours USING BRIN (hour);

INSERT INTO metric_sample_hours (environment, source, hour, samples,
    cpu_n, cpu_sum, cpu_max, memory_n, memory_sum, memory_max, disk_n, disk_sum, disk_max,
    latency_n, latency_sum, latency_max, connections_n, connections_sum, connections_max)
SELECT environment, source, date_bin('1 hour', at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*),
       count(cpu_usage), coalesce(sum(cpu_usage), 0), max(cpu_usage),
       count(memory_usage), coalesce(sum(memory_usage), 0), max(memory_usage),
       count(disk_usage), coalesce(sum(disk_usage), 0), max(disk_usage),
       count(network_latency_ms), coalesce(sum(network_latency_ms), 0), max(network_latency_ms),
       count(connections), coalesce(sum(connections), 0), max(connections)
FROM metric_samples GROUP BY 1, 2, 3;

-- The purges find old rows by time. probe_minutes' key starts with the
-- target, so without these a purge batch would scan the whole table; rows
-- arrive in time order, so BRIN indexes are a few pages each.
CREATE INDEX probe_minutes_minute_brin ON probe_minutes USING BRIN (minute);
CREATE INDEX sla_probe_hours_hour_brin ON sla_probe_hours USING BRIN (hour);
