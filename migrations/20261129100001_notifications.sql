-- Notifications (issue 8, R-MON-5): channels, recipient groups, a durable
-- outbox with one delivery row per (message, channel), every attempt, and the
-- in-app inbox. See docs/decisions/0011-notifications-outbox.md.

-- A place messages are sent to. `settings` holds what may be shown again
-- (URLs without credentials, SMTP host, addresses); `secrets` holds what is
-- write-only (Slack webhook URL, PagerDuty routing key, SMTP password, webhook
-- signing secret). No read path of the UI selects `secrets`.
CREATE TABLE notification_channels (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL CHECK (kind IN ('slack','pagerduty','email','webhook')),
    configured        BOOLEAN NOT NULL DEFAULT FALSE,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    settings          JSONB NOT NULL DEFAULT '{}',
    secrets           JSONB NOT NULL DEFAULT '{}',
    -- Language of the messages this channel receives ('ja' or 'en').
    lang              TEXT NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja','en')),
    -- Rate limit: at most one message per this many milliseconds (Slack: 1000).
    min_interval_ms   INT NOT NULL DEFAULT 0 CHECK (min_interval_ms BETWEEN 0 AND 3600000),
    -- Deliveries in flight to this channel at once.
    max_in_flight     INT NOT NULL DEFAULT 8 CHECK (max_in_flight BETWEEN 1 AND 64),
    -- Not before this instant may the next message go out (the rate limit's memory,
    -- shared by every opsdeck process).
    next_send_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Who hears about something. Areas address groups, never channels.
CREATE TABLE recipient_groups (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT ''
);
CREATE TABLE recipient_group_users (
    group_id  BIGINT NOT NULL REFERENCES recipient_groups(id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE TABLE recipient_group_roles (
    group_id  BIGINT NOT NULL REFERENCES recipient_groups(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('viewer','release_manager','finance','approver','operator','admin')),
    PRIMARY KEY (group_id, role)
);
CREATE TABLE recipient_group_channels (
    group_id    BIGINT NOT NULL REFERENCES recipient_groups(id) ON DELETE CASCADE,
    channel_id  BIGINT NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, channel_id)
);

-- The outbox: one row per notify(), written in the caller's transaction.
CREATE TABLE notification_messages (
    id               BIGSERIAL PRIMARY KEY,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The event, as the tagged JSON of opsdeck_app::notify::Event; rendered
    -- per language when sent or shown.
    event            JSONB NOT NULL,
    kind             TEXT NOT NULL,
    severity         TEXT NOT NULL CHECK (severity IN ('info','warning','critical')),
    group_name       TEXT,
    -- The caller's key: the same key twice is one message.
    idempotency_key  TEXT NOT NULL UNIQUE
);
CREATE INDEX notification_messages_created ON notification_messages (created_at DESC, id DESC);

-- One row per (message, channel): the unit that is retried, and the reason a
-- message is never delivered twice to one channel.
CREATE TABLE notification_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    message_id       BIGINT NOT NULL REFERENCES notification_messages(id) ON DELETE CASCADE,
    channel_id       BIGINT NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed','skipped')),
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A worker that claimed the row owns it until then (a crashed worker's claim lapses).
    claimed_until    TIMESTAMPTZ,
    claim_token      TEXT,
    delivered_at     TIMESTAMPTZ,
    last_error       TEXT,
    UNIQUE (message_id, channel_id)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (channel_id, next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX notification_deliveries_message ON notification_deliveries (message_id);

-- Every attempt: when, HTTP status or error, how long it took.
CREATE TABLE notification_attempts (
    id            BIGSERIAL PRIMARY KEY,
    delivery_id   BIGINT NOT NULL REFERENCES notification_deliveries(id) ON DELETE CASCADE,
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    ok            BOOLEAN NOT NULL,
    status_code   INT,
    error         TEXT,
    latency_ms    INT NOT NULL
);
CREATE INDEX notification_attempts_delivery ON notification_attempts (delivery_id, at);

-- The in-app inbox: who a message was addressed to (resolved when it was sent).
CREATE TABLE inbox_items (
    message_id  BIGINT NOT NULL REFERENCES notification_messages(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    read_at     TIMESTAMPTZ,
    PRIMARY KEY (user_id, message_id)
);
CREATE INDEX inbox_items_unread ON inbox_items (user_id) WHERE read_at IS NULL;

-- The policy's channel names, unconfigured until an admin fills them in.
INSERT INTO notification_channels (name, kind, min_interval_ms) VALUES
    ('pagerduty', 'pagerduty', 0),
    ('slack-critical', 'slack', 1000),
    ('slack-alerts', 'slack', 1000),
    ('email-oncall', 'email', 0);

-- The policy's recipients (R-COST-1, R-MON-3), with the roles that belong in them.
INSERT INTO recipient_groups (name, description) VALUES
    ('finance-team', 'Budget thresholds (R-COST-1)'),
    ('tech-lead', 'Budget at 90 % and technical escalations'),
    ('stakeholders', 'Everyone who follows the service: maintenance announcements, budget at 100 %'),
    ('oncall', 'Operators on call: maintenance mode, alerts, backups');
INSERT INTO recipient_group_roles (group_id, role)
    SELECT g.id, r.role FROM recipient_groups g
    JOIN (VALUES ('finance-team','finance'), ('tech-lead','admin'),
                 ('stakeholders','viewer'), ('stakeholders','release_manager'),
                 ('stakeholders','finance'), ('stakeholders','approver'),
                 ('stakeholders','operator'), ('stakeholders','admin'),
                 ('oncall','operator')) AS r(grp, role) ON r.grp = g.name;
INSERT INTO recipient_group_channels (group_id, channel_id)
    SELECT g.id, c.id FROM recipient_groups g
    JOIN (VALUES ('oncall','pagerduty'), ('oncall','email-oncall')) AS m(grp, chan) ON m.grp = g.name
    JOIN notification_channels c ON c.name = m.chan;
