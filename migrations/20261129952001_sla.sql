-- SLA report (issue 10 item 5, R-SLA-1..5; decision 0019): the policy's
-- targets as editable data, the ledger of agreed exclusions, and an hourly
-- summary of the probe rollup so a month or a year is read from a few
-- hundred rows instead of 44 640 minute rows.

-- The policy's numbers (R-SLA-1, R-SLA-3), seeded with its defaults.
CREATE TABLE sla_settings (
    singleton        BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    -- 999 000 ppm = 99.9 %
    target_ppm       INT NOT NULL DEFAULT 999000 CHECK (target_ppm BETWEEN 900000 AND 1000000),
    -- How elapsed minutes without probe data count (decision 0110).
    no_data          TEXT NOT NULL DEFAULT 'exclude'
        CHECK (no_data IN ('exclude', 'count_as_down', 'count_as_up')),
    -- The latency targets are on this quantile (p95).
    latency_quantile DOUBLE PRECISION NOT NULL DEFAULT 0.95 CHECK (latency_quantile > 0 AND latency_quantile < 1),
    api_ms           DOUBLE PRECISION NOT NULL DEFAULT 200 CHECK (api_ms > 0),
    page_ms          DOUBLE PRECISION NOT NULL DEFAULT 2000 CHECK (page_ms > 0),
    search_ms        DOUBLE PRECISION NOT NULL DEFAULT 500 CHECK (search_ms > 0),
    max_5xx_ppm      INT NOT NULL DEFAULT 1000 CHECK (max_5xx_ppm BETWEEN 0 AND 1000000),
    max_4xx_ppm      INT NOT NULL DEFAULT 50000 CHECK (max_4xx_ppm BETWEEN 0 AND 1000000),
    max_timeout_ppm  INT NOT NULL DEFAULT 100 CHECK (max_timeout_ppm BETWEEN 0 AND 1000000)
);
INSERT INTO sla_settings (singleton) VALUES (TRUE);

-- Outages an operator classified as excluded (R-SLA-2). Planned maintenance
-- is not stored here: it is read from maintenance_windows, the rows the
-- calendar shows and the monthly cap counts.
CREATE TABLE sla_exclusions (
    id            BIGSERIAL PRIMARY KEY,
    environment   TEXT NOT NULL
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('force_majeure', 'external_service')),
    -- Why, in the classifier's words.
    note          TEXT NOT NULL CHECK (length(btrim(note)) BETWEEN 1 AND 2000),
    classified_by TEXT NOT NULL,
    classified_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX sla_exclusions_env_time ON sla_exclusions (environment, starts_at, ends_at);

-- When a minute of the probe rollup is down: at least half of its probes
-- failed. One definition, used by the hourly summary and by every read.
CREATE FUNCTION sla_minute_down(probes INT, ok INT) RETURNS BOOLEAN
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN probes > 0 AND ok * 2 <= probes;

-- Per target and UTC hour: minutes with probe data and minutes down. Kept
-- by statement triggers on probe_minutes (transition tables), so it is
-- exact in the transaction that writes a minute, whoever writes it (the
-- prober, a bulk demo load, a purge).
CREATE TABLE sla_probe_hours (
    target_id    BIGINT NOT NULL REFERENCES probe_targets(id) ON DELETE CASCADE,
    hour         TIMESTAMPTZ NOT NULL,
    data_minutes INT NOT NULL,
    down_minutes INT NOT NULL,
    PRIMARY KEY (target_id, hour)
);

CREATE FUNCTION sla_probe_hours_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- date_bin on absolute time: the hour does not depend on the session's zone.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO sla_probe_hours AS h (target_id, hour, data_minutes, down_minutes)
        SELECT target_id, date_bin('1 hour', minute, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               count(*) FILTER (WHERE probes > 0),
               count(*) FILTER (WHERE sla_minute_down(probes, ok))
        FROM new_rows GROUP BY 1, 2
        ON CONFLICT (target_id, hour) DO UPDATE SET
            data_minutes = h.data_minutes + EXCLUDED.data_minutes,
            down_minutes = h.down_minutes + EXCLUDED.down_minutes;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO sla_probe_hours AS h (target_id, hour, data_minutes, down_minutes)
        SELECT target_id, hour, sum(d)::int, sum(dn)::int FROM (
            SELECT target_id, date_bin('1 hour', minute, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour,
                   (probes > 0)::int AS d, sla_minute_down(probes, ok)::int AS dn
            FROM new_rows
            UNION ALL
            SELECT target_id, date_bin('1 hour', minute, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
                   -(probes > 0)::int, -(sla_minute_down(probes, ok)::int)
            FROM old_rows) delta
        GROUP BY 1, 2
        HAVING sum(d) <> 0 OR sum(dn) <> 0
        ON CONFLICT (target_id, hour) DO UPDATE SET
            data_minutes = h.data_minutes + EXCLUDED.data_minutes,
            down_minutes = h.down_minutes + EXCLUDED.down_minutes;
    ELSE
        UPDATE sla_probe_hours h SET
            data_minutes = h.data_minutes - d.data_minutes,
            down_minutes = h.down_minutes - d.down_minutes
        FROM (SELECT target_id, date_bin('1 hour', minute, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour,
                     count(*) FILTER (WHERE probes > 0)::int AS data_minutes,
                     count(*) FILTER (WHERE sla_minute_down(probes, ok))::int AS down_minutes
              FROM old_rows GROUP BY 1, 2) d
        WHERE h.target_id = d.target_id AND h.hour = d.hour;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sla_probe_hours_insert AFTER INSERT ON probe_minutes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sla_probe_hours_apply();
CREATE TRIGGER sla_probe_hours_update AFTER UPDATE ON probe_minutes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sla_probe_hours_apply();
CREATE TRIGGER sla_probe_hours_delete AFTER DELETE ON probe_minutes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sla_probe_hours_apply();

-- The minutes written before this migration.
INSERT INTO sla_probe_hours (target_id, hour, data_minutes, down_minutes)
SELECT target_id, date_bin('1 hour', minute, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
       count(*) FILTER (WHERE probes > 0), count(*) FILTER (WHERE sla_minute_down(probes, ok))
FROM probe_minutes GROUP BY 1, 2;
