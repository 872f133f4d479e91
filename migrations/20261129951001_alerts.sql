-- Alert rules and their life cycle (issue 10 item 7, R-MON-3, R-MON-4; see
-- docs/decisions/0018-alerts.md): the metrics an alert can watch with their
-- units, the rules (the policy's three and the built-in error-budget burn
-- rates), the current state per rule and environment, every transition and
-- acknowledgement, and silences.

-- What the evaluator worker reads its policy numbers from.
CREATE TABLE alert_settings (
    singleton           BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    -- Data older than this counts as missing; anything younger is late, not
    -- gone (one missing per-minute sample never resolves an alert).
    stale_after_seconds INT NOT NULL DEFAULT 180 CHECK (stale_after_seconds BETWEEN 10 AND 86400),
    -- The availability target the burn rates are measured against (R-SLA-1,
    -- R-SLA-4): 999000 ppm = 99.9 %.
    slo_target_ppm      INT NOT NULL DEFAULT 999000 CHECK (slo_target_ppm BETWEEN 0 AND 999999)
);
INSERT INTO alert_settings (singleton) VALUES (TRUE);

-- The metrics a condition may name, with the unit a bare threshold is read
-- in (`disk_usage > 90` is 90 %). `source` says where the evaluator finds
-- it: system samples, request minutes, probe minutes or the error-budget
-- burn rate over two windows (long and short, in minutes).
CREATE TABLE alert_metrics (
    name        TEXT PRIMARY KEY CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,63}$'),
    unit        TEXT NOT NULL CHECK (unit IN ('percent', 'ms', 'count', 'factor')),
    source      TEXT NOT NULL CHECK (source IN ('samples', 'requests', 'probes', 'burn')),
    label_en    TEXT NOT NULL,
    label_ja    TEXT NOT NULL,
    position    INT NOT NULL
);
INSERT INTO alert_metrics (name, unit, source, label_en, label_ja, position) VALUES
    ('cpu_usage',              'percent', 'samples',  'CPU usage',                         'CPU 使用率',                    1),
    ('memory_usage',           'percent', 'samples',  'Memory usage',                      'メモリ使用率',                  2),
    ('disk_usage',             'percent', 'samples',  'Disk usage',                        'ディスク使用率',                3),
    ('network_latency_ms',     'ms',      'samples',  'Network latency',                   'ネットワーク遅延',              4),
    ('connections',            'count',   'samples',  'Concurrent connections',            '同時接続数',                    5),
    ('error_rate',             'percent', 'requests', 'Error rate (5xx and timeouts)',     'エラー率 (5xx とタイムアウト)', 10),
    ('server_error_rate',      'percent', 'requests', '5xx rate',                          '5xx 率',                        11),
    ('client_error_rate',      'percent', 'requests', '4xx rate',                          '4xx 率',                        12),
    ('timeout_rate',           'percent', 'requests', 'Timeout rate',                      'タイムアウト率',                13),
    ('request_count',          'count',   'requests', 'Requests per minute',               '1 分あたりのリクエスト数',      14),
    ('response_time_p95',      'ms',      'requests', 'Response time p95 (all classes)',   '応答時間 p95 (全種別)',         15),
    ('response_time_p95_api',  'ms',      'requests', 'API response time p95',             'API 応答時間 p95',              16),
    ('response_time_p95_page', 'ms',      'requests', 'Page load time p95',                'ページ表示時間 p95',            17),
    ('response_time_p95_search','ms',     'requests', 'Search response time p95',          '検索応答時間 p95',              18),
    ('availability',           'percent', 'probes',   'Availability (health probes)',      '可用性 (ヘルスチェック)',       20),
    ('probe_latency_ms',       'ms',      'probes',   'Health probe latency',              'ヘルスチェック応答時間',        21),
    ('budget_burn_1h_5m',      'factor',  'burn',     'Error-budget burn rate, 1 h and 5 min',  'エラーバジェット消費速度 (1 時間・5 分)',  30),
    ('budget_burn_6h_30m',     'factor',  'burn',     'Error-budget burn rate, 6 h and 30 min', 'エラーバジェット消費速度 (6 時間・30 分)', 31),
    ('budget_burn_3d_6h',      'factor',  'burn',     'Error-budget burn rate, 3 days and 6 h', 'エラーバジェット消費速度 (3 日・6 時間)',  32);

-- Alert rules. `condition` and `duration` are kept as written (the core
-- parses them; export writes them back unchanged); `metric` is the
-- condition's metric, so an unknown one cannot be stored. `channels` are
-- the policy's `notify` list; `recipient_group` is who else hears (inbox
-- and the group's channels).
CREATE TABLE alert_rules (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,100}$'),
    condition       TEXT NOT NULL CHECK (length(condition) BETWEEN 1 AND 200),
    metric          TEXT NOT NULL REFERENCES alert_metrics(name),
    duration        TEXT NOT NULL CHECK (duration ~ '^[0-9]{1,12}[smhd]$'),
    severity        TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    channels        TEXT[] NOT NULL DEFAULT '{}',
    recipient_group TEXT NOT NULL DEFAULT 'alerts',
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    -- The error-budget burn-rate alerts opsdeck brings (R-SLA-4).
    builtin         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by      TEXT NOT NULL DEFAULT 'system'
);

-- Who hears about alerts besides each rule's own channels: operators'
-- inbox. An admin may attach channels to the group to hear every alert there.
INSERT INTO recipient_groups (name, description)
    VALUES ('alerts', 'Alert rules (R-MON-3): firing and resolved alerts; each rule adds its own channels')
    ON CONFLICT (name) DO NOTHING;
INSERT INTO recipient_group_roles (group_id, role)
    SELECT id, 'operator' FROM recipient_groups WHERE name = 'alerts'
    ON CONFLICT DO NOTHING;

-- The policy's three rules (the core's `default_rules()`, checked by a test)
-- and the SRE workbook's multi-window burn rates (the core's
-- `BurnRatePolicy::default()`): 14.4× over 1 h and 5 min and 6× over 6 h
-- and 30 min page, 1× over 3 days and 6 h is a ticket.
INSERT INTO alert_rules (name, condition, metric, duration, severity, channels, builtin) VALUES
    ('HighErrorRate', 'error_rate > 5%', 'error_rate', '5m', 'critical', '{pagerduty,slack-critical}', FALSE),
    ('SlowResponse', 'response_time_p95 > 500ms', 'response_time_p95', '10m', 'warning', '{slack-alerts}', FALSE),
    ('DiskSpaceLow', 'disk_usage > 90%', 'disk_usage', '5m', 'critical', '{pagerduty,email-oncall}', FALSE),
    ('ErrorBudgetFastBurn', 'budget_burn_1h_5m > 14.4', 'budget_burn_1h_5m', '0s', 'critical', '{pagerduty,slack-critical}', TRUE),
    ('ErrorBudgetBurn', 'budget_burn_6h_30m > 6', 'budget_burn_6h_30m', '0s', 'critical', '{pagerduty,slack-critical}', TRUE),
    ('ErrorBudgetSlowBurn', 'budget_burn_3d_6h > 1', 'budget_burn_3d_6h', '0s', 'warning', '{slack-alerts}', TRUE);

-- The current state of each rule in each environment (a row once the rule
-- has seen data there). Times are the samples' times, not the worker's.
CREATE TABLE alert_states (
    rule_id          BIGINT NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    environment      TEXT NOT NULL
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    state            TEXT NOT NULL DEFAULT 'inactive'
        CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
    -- Pending or firing: the first true sample of this run.
    since            TIMESTAMPTZ,
    fired_at         TIMESTAMPTZ,
    resolved_at      TIMESTAMPTZ,
    -- The last observation applied (a sample's time, or when data was found missing).
    last_observed_at TIMESTAMPTZ,
    -- The last sample, in the metric's base units (ratio for percent).
    last_value       DOUBLE PRECISION,
    -- Acknowledgement of the current firing (cleared when it fires again).
    acknowledged_at  TIMESTAMPTZ,
    acknowledged_by  TEXT,
    ack_comment      TEXT,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, environment),
    CHECK (state NOT IN ('pending', 'firing') OR since IS NOT NULL),
    CHECK (state <> 'firing' OR fired_at IS NOT NULL)
);
CREATE INDEX alert_states_active ON alert_states (state) WHERE state IN ('pending', 'firing');

-- Every transition and acknowledgement: the history per rule (R-MON-4).
-- `silenced`: a silence held the notification back; `message_id`: the
-- outbox message that told people.
CREATE TABLE alert_events (
    id           BIGSERIAL PRIMARY KEY,
    rule_id      BIGINT NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    environment  TEXT NOT NULL
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    kind         TEXT NOT NULL
        CHECK (kind IN ('pending', 'firing', 'resolved', 'cleared', 'acknowledged')),
    at           TIMESTAMPTZ NOT NULL,
    value        DOUBLE PRECISION,
    comment      TEXT CHECK (length(comment) <= 1000),
    actor        TEXT,
    silenced     BOOLEAN NOT NULL DEFAULT FALSE,
    message_id   BIGINT REFERENCES notification_messages(id) ON DELETE SET NULL
);
CREATE INDEX alert_events_by_rule ON alert_events (rule_id, at DESC, id DESC);
-- One row per transition: a second evaluator that computed the same
-- transition adds nothing.
CREATE UNIQUE INDEX alert_events_once ON alert_events (rule_id, environment, kind, at)
    WHERE kind <> 'acknowledged';

-- Silences hold back notifications (state and history go on). A silence
-- has an end; within start..end it holds always ('once'), in a monthly
-- window ('monthly': n-th weekday, local start time, minutes — the
-- maintenance window's rule), or while a planned maintenance window is open
-- ('maintenance').
CREATE TABLE alert_silences (
    id              BIGSERIAL PRIMARY KEY,
    -- NULL: every rule.
    rule_id         BIGINT REFERENCES alert_rules(id) ON DELETE CASCADE,
    -- NULL: every environment.
    environment     TEXT
        CHECK (environment IN ('local', 'development', 'staging', 'production')),
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ NOT NULL,
    recurrence      TEXT NOT NULL DEFAULT 'once' CHECK (recurrence IN ('once', 'monthly', 'maintenance')),
    monthly_week    TEXT CHECK (monthly_week IN ('first', 'second', 'third', 'fourth', 'last')),
    -- 0 = Monday … 6 = Sunday (as maintenance_settings.weekday)
    monthly_weekday INT CHECK (monthly_weekday BETWEEN 0 AND 6),
    monthly_start   TIME,
    monthly_minutes INT CHECK (monthly_minutes BETWEEN 1 AND 1440),
    comment         TEXT NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (recurrence <> 'monthly' OR (monthly_week IS NOT NULL AND monthly_weekday IS NOT NULL
                                       AND monthly_start IS NOT NULL AND monthly_minutes IS NOT NULL))
);
CREATE INDEX alert_silences_ends ON alert_silences (ends_at);
