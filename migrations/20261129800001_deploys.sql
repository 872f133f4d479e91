-- Deploys (issue 9, R-DEP-1..8; decision 0017): per-environment settings,
-- what runs on each colour, deploy requests with their CI stages, checklist
-- ticks, approval votes, freeze overrides, the executor's persisted steps,
-- and the GitHub trigger's settings and deliveries.

-- The environment's stable key, the one the core's `Environment` parses.
ALTER TABLE environments ADD COLUMN key TEXT UNIQUE
    CHECK (key IN ('local', 'development', 'staging', 'production'));
UPDATE environments SET key = lower(name)
    WHERE lower(name) IN ('local', 'development', 'staging', 'production');

-- How each environment deploys (R-DEP-4, R-DEP-5, R-DEP-7, R-DEP-8).
CREATE TABLE deploy_settings (
    environment                 TEXT PRIMARY KEY
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    checklist_required          BOOLEAN NOT NULL,
    approvals_required          INT NOT NULL CHECK (approvals_required BETWEEN 0 AND 10),
    driver                      TEXT NOT NULL DEFAULT 'demo' CHECK (driver IN ('command', 'webhook', 'demo')),
    -- command: {"provision": "...", "switch": "...", "rollback": "...", "health_url": "..."};
    -- webhook: {"url": "...", "health_url": "..."}; demo: {}.
    driver_config               JSONB NOT NULL DEFAULT '{}',
    step_timeout_seconds        INT NOT NULL DEFAULT 300 CHECK (step_timeout_seconds BETWEEN 1 AND 86400),
    health_required_consecutive INT NOT NULL DEFAULT 3 CHECK (health_required_consecutive BETWEEN 1 AND 100),
    health_timeout_seconds      INT NOT NULL DEFAULT 120 CHECK (health_timeout_seconds BETWEEN 1 AND 3600),
    health_interval_ms          INT NOT NULL DEFAULT 1000 CHECK (health_interval_ms BETWEEN 100 AND 60000),
    observe_seconds             INT NOT NULL DEFAULT 30 CHECK (observe_seconds BETWEEN 0 AND 86400),
    -- Demo driver only: the next version deployed answers unhealthy after the
    -- switch, so a rollback can be shown. Cleared when used.
    demo_next_unhealthy         BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by                  TEXT
);
INSERT INTO deploy_settings (environment, checklist_required, approvals_required) VALUES
    ('local', FALSE, 0),
    ('development', FALSE, 0),
    ('staging', TRUE, 0),
    ('production', TRUE, 1);

-- What each colour of an environment runs (R-DEP-1).
CREATE TABLE environment_colours (
    environment TEXT NOT NULL CHECK (environment IN ('local', 'development', 'staging', 'production')),
    colour      TEXT NOT NULL CHECK (colour IN ('blue', 'green')),
    version     TEXT,
    commit_sha  TEXT,
    health      TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('ok', 'warning', 'critical', 'unknown')),
    checked_at  TIMESTAMPTZ,
    PRIMARY KEY (environment, colour)
);

-- A deploy request and where the blue-green machine stands (R-DEP-2, R-DEP-7).
CREATE TABLE deploys (
    id                 BIGSERIAL PRIMARY KEY,
    environment        TEXT NOT NULL CHECK (environment IN ('local', 'development', 'staging', 'production')),
    version            TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
    commit_sha         TEXT NOT NULL DEFAULT '' CHECK (length(commit_sha) <= 64),
    ref_name           TEXT,
    source             TEXT NOT NULL CHECK (source IN ('github', 'api', 'ui', 'release')),
    requested_by       TEXT NOT NULL,
    requested_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- X-GitHub-Delivery or the Idempotency-Key header, unique per source.
    idempotency_key    TEXT,
    release_id         BIGINT REFERENCES releases(id),
    -- The core's DeployState (snake_case), or 'interrupted' after a restart
    -- found it mid-way and could not resume (see `traffic` for where traffic is).
    state              TEXT NOT NULL DEFAULT 'requested' CHECK (state IN (
        'requested', 'ready', 'deploying_idle', 'health_checking', 'switching', 'observing',
        'done', 'failed', 'rolling_back', 'rolled_back', 'interrupted')),
    -- The core's `BlueGreenDeploy` as JSON (state, previous colour, traffic).
    machine            JSONB,
    previous_colour    TEXT CHECK (previous_colour IN ('blue', 'green')),
    -- Deploy pressed: the deploy waits in the environment's queue until the
    -- executor starts it (the gate is checked again then).
    start_requested_at TIMESTAMPTZ,
    start_requested_by TEXT,
    started_at         TIMESTAMPTZ,
    finished_at        TIMESTAMPTZ,
    rollback_reason    TEXT,
    rollback_by        TEXT,
    rollback_at        TIMESTAMPTZ,
    failure            TEXT,
    UNIQUE (source, idempotency_key)
);
CREATE INDEX deploys_by_environment ON deploys (environment, id DESC);
CREATE INDEX deploys_active ON deploys (environment, state)
    WHERE state NOT IN ('done', 'failed', 'rolled_back', 'interrupted');

-- CI stages (R-DEP-3), reported through the API.
CREATE TABLE deploy_stages (
    deploy_id   BIGINT NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
    stage       TEXT NOT NULL CHECK (stage IN ('checkout', 'install', 'test', 'build', 'deploy')),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped')),
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    log_url     TEXT,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (deploy_id, stage)
);

-- Checklist ticks (R-DEP-4).
CREATE TABLE deploy_checklist_ticks (
    deploy_id    BIGINT NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
    item         TEXT NOT NULL CHECK (item IN ('all_tests_pass', 'security_scan_done',
        'database_migration_checked', 'environment_variables_checked',
        'rollback_procedure_ready', 'monitoring_alerts_set')),
    ticked_by    TEXT NOT NULL,
    ticked_at    TIMESTAMPTZ NOT NULL,
    evidence_url TEXT,
    PRIMARY KEY (deploy_id, item)
);

-- Approval votes (R-DEP-5): one per person.
CREATE TABLE deploy_votes (
    deploy_id BIGINT NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
    voter     TEXT NOT NULL,
    voted_at  TIMESTAMPTZ NOT NULL,
    comment   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (deploy_id, voter)
);

-- An admin's freeze override (R-DEP-6): one deploy, one freeze window.
CREATE TABLE deploy_freeze_overrides (
    deploy_id    BIGINT PRIMARY KEY REFERENCES deploys(id) ON DELETE CASCADE,
    release_id   BIGINT NOT NULL REFERENCES releases(id),
    window_start TIMESTAMPTZ NOT NULL,
    window_end   TIMESTAMPTZ NOT NULL,
    admin        TEXT NOT NULL,
    reason       TEXT NOT NULL CHECK (length(btrim(reason)) > 0),
    created_at   TIMESTAMPTZ NOT NULL
);

-- The executor's steps (R-DEP-7, R-DEP-8): written before a step runs and
-- after it ends, so a restart knows the last completed one.
CREATE TABLE deploy_steps (
    id          BIGSERIAL PRIMARY KEY,
    deploy_id   BIGINT NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
    step        TEXT NOT NULL CHECK (step IN ('provision', 'health_check', 'switch', 'observe', 'rollback')),
    colour      TEXT NOT NULL CHECK (colour IN ('blue', 'green')),
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    exit_code   INT,
    output      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deploy_steps_by_deploy ON deploy_steps (deploy_id, id);

-- GitHub trigger (R-DEP-2): the shared secret (needed in clear to compute
-- the HMAC; never shown or logged after it is set) and the branch mapping.
CREATE TABLE deploy_trigger_settings (
    singleton     BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    github_secret TEXT,
    -- The core's TriggerPolicy as JSON.
    rules         JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by    TEXT
);
INSERT INTO deploy_trigger_settings (rules) VALUES ('{"rules": [
    {"event": {"kind": "push", "branch": "develop"}, "environment": "development"},
    {"event": {"kind": "push", "branch": "main"}, "environment": "staging"},
    {"event": {"kind": "release_published"}, "environment": "production"}]}');

-- Every webhook delivery, accepted or refused (refusals are also audited).
CREATE TABLE webhook_deliveries (
    id          BIGSERIAL PRIMARY KEY,
    delivery_id TEXT,
    event       TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome     TEXT NOT NULL,
    deploy_ids  BIGINT[] NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (delivery_id)
    WHERE outcome = 'accepted';

-- Approvers hear of deploys waiting for them (R-DEP-5).
INSERT INTO recipient_groups (name, description) VALUES
    ('approvers', 'Deploys waiting for approval (R-DEP-5)');
INSERT INTO recipient_group_roles (group_id, role)
    SELECT id, 'approver' FROM recipient_groups WHERE name = 'approvers';
