-- Health prober (issue 10 item 1, R-MON-1): what opsdeck polls, every raw
-- answer, and a per-minute rollup the SLA and the charts read (R-SLA-1)
-- without scanning the raw rows.

-- One URL per environment and colour; colour NULL is the environment's
-- public URL (the one that sets `environments.health`).
CREATE TABLE probe_targets (
    id          BIGSERIAL PRIMARY KEY,
    environment TEXT NOT NULL CHECK (environment IN ('local', 'development', 'staging', 'production')),
    colour      TEXT CHECK (colour IN ('blue', 'green')),
    url         TEXT NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    -- A probe ends (timeout) before the target is due again, so one target
    -- never has two probes in flight.
    interval_ms INT NOT NULL DEFAULT 10000 CHECK (interval_ms BETWEEN 1000 AND 3600000),
    timeout_ms  INT NOT NULL DEFAULT 5000 CHECK (timeout_ms BETWEEN 100 AND 60000),
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    next_due_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- 'demo': registered by the server for the deploys demo services (its
    -- URL is refreshed at every start, ports are ephemeral); 'settings': set
    -- by an operator, never overwritten by the server.
    managed_by  TEXT NOT NULL DEFAULT 'settings' CHECK (managed_by IN ('settings', 'demo')),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (timeout_ms <= interval_ms)
);
-- UNIQUE (environment, colour) with NULL colour counted as one value.
CREATE UNIQUE INDEX probe_targets_one_per_colour
    ON probe_targets (environment, COALESCE(colour, ''));
CREATE INDEX probe_targets_due ON probe_targets (next_due_at) WHERE enabled;

-- Every probe, as it was answered.
CREATE TABLE probe_results (
    id          BIGSERIAL PRIMARY KEY,
    target_id   BIGINT NOT NULL REFERENCES probe_targets(id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    ok          BOOLEAN NOT NULL,
    status_code INT,
    latency_ms  INT NOT NULL CHECK (latency_ms >= 0),
    error       TEXT,
    -- The answer's checks by name: {"database": {"status": "ok", …}, …}.
    checks      JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX probe_results_by_target ON probe_results (target_id, at DESC);
-- Rows arrive in time order: a BRIN index keeps range scans and purges cheap.
CREATE INDEX probe_results_at_brin ON probe_results USING BRIN (at);

-- Per-minute rollup, upserted in the transaction that writes the raw row.
CREATE TABLE probe_minutes (
    target_id      BIGINT NOT NULL REFERENCES probe_targets(id) ON DELETE CASCADE,
    minute         TIMESTAMPTZ NOT NULL,
    probes         INT NOT NULL,
    ok             INT NOT NULL,
    latency_sum_ms BIGINT NOT NULL,
    latency_max_ms INT NOT NULL,
    PRIMARY KEY (target_id, minute),
    CHECK (ok BETWEEN 0 AND probes)
);
