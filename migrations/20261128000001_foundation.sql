-- Foundation: users and roles, audit log, API tokens, login throttling,
-- maintenance mode, environments. Append-only: later changes get new files.

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    -- bumped on password reset / disable: every older session ends
    session_epoch  BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE user_roles (
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('viewer','release_manager','finance','approver','operator','admin')),
    PRIMARY KEY (user_id, role)
);

-- R-AUTH-4: appended in the same transaction as the change it records.
CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id  BIGINT REFERENCES users(id),
    actor     TEXT,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    before    JSONB,
    after     JSONB
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor);

-- Nothing in opsdeck updates or deletes audit rows; the database refuses it too.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- R-AUTH-3: only the SHA-256 of a token is stored.
CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    token_hash    BYTEA NOT NULL UNIQUE,
    scopes        TEXT[] NOT NULL,
    created_by    BIGINT REFERENCES users(id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);

-- R-AUTH-5: failed logins, per account and per address, in a sliding window.
CREATE TABLE login_failures (
    id        BIGSERIAL PRIMARY KEY,
    username  TEXT NOT NULL,
    address   TEXT,
    at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

-- R-MNT-3: one row, the current state of emergency maintenance mode.
CREATE TABLE maintenance_mode (
    singleton      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    active         BOOLEAN NOT NULL DEFAULT FALSE,
    message        TEXT NOT NULL DEFAULT 'システムメンテナンス中です',
    estimated_end  TIMESTAMPTZ,
    started_at     TIMESTAMPTZ,
    started_by     TEXT
);
INSERT INTO maintenance_mode (singleton) VALUES (TRUE);

-- R-DEP-1: the monitored service's environments (rows come from the demo step or the admin).
CREATE TABLE environments (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    position          INT NOT NULL,
    deployed_version  TEXT,
    deployed_commit   TEXT,
    live_colour       TEXT CHECK (live_colour IN ('blue','green')),
    health            TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('ok','warning','critical','unknown')),
    last_deploy_at    TIMESTAMPTZ,
    approved_by       TEXT
);
