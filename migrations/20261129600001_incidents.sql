-- The DR runbook (issue 13 item 5, R-BAK-4): a declared incident opens a live
-- checklist of the policy's seven recovery steps and its recovery order
-- (災害復旧計画), each item with an owner, start and done times, notes and
-- who ticked it. The runbook itself is data: declaring copies the current
-- template into the incident, so later edits never rewrite a past incident.

-- The template, seeded with the policy (復旧手順 and 復旧優先順位).
CREATE TABLE dr_runbook_steps (
    position  INT PRIMARY KEY CHECK (position BETWEEN 1 AND 100),
    -- 'procedure' (復旧手順) or 'recovery' (復旧優先順位: what is brought back, in order).
    section   TEXT NOT NULL CHECK (section IN ('procedure','recovery')),
    key       TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9_]{1,40}$'),
    label_en  TEXT NOT NULL CHECK (length(label_en) BETWEEN 1 AND 200),
    label_ja  TEXT NOT NULL CHECK (length(label_ja) BETWEEN 1 AND 200)
);

INSERT INTO dr_runbook_steps (position, section, key, label_en, label_ja) VALUES
    (1,  'procedure', 'declare',         'Declare the incident',             'インシデント宣言'),
    (2,  'procedure', 'assemble_team',   'Assemble the recovery team',       '復旧チーム招集'),
    (3,  'procedure', 'assess_damage',   'Assess the damage',                '被害状況評価'),
    (4,  'procedure', 'start_recovery',  'Start recovery',                   '復旧作業開始'),
    (5,  'procedure', 'verify',          'Verify that it works',             '動作確認'),
    (6,  'procedure', 'resume_service',  'Resume service',                   'サービス再開'),
    (7,  'procedure', 'post_report',     'Post-incident report',             '事後レポート'),
    (8,  'recovery',  'authentication',  'Recover 1: authentication',        '復旧 1: 認証システム'),
    (9,  'recovery',  'card_database',   'Recover 2: card database',         '復旧 2: カードデータベース'),
    (10, 'recovery',  'decks',           'Recover 3: decks',                 '復旧 3: デッキ機能'),
    (11, 'recovery',  'community',       'Recover 4: community',             '復旧 4: コミュニティ機能');

CREATE TABLE incidents (
    id            BIGSERIAL PRIMARY KEY,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    severity      TEXT NOT NULL CHECK (severity IN ('critical','major','minor')),
    declared_by   TEXT NOT NULL,
    declared_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','resolved')),
    resolved_at   TIMESTAMPTZ,
    resolved_by   TEXT,
    notes         TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 10000),
    -- The RTO in force when the incident was declared (backup_settings.rto_minutes):
    -- the report judges the recovery against the objective of its day.
    rto_minutes   INT NOT NULL CHECK (rto_minutes BETWEEN 1 AND 10080),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (resolved_at IS NULL OR resolved_at >= declared_at)
);
CREATE INDEX incidents_declared ON incidents (declared_at DESC, id DESC);
CREATE INDEX incidents_open ON incidents (declared_at) WHERE status = 'open';

-- One incident's copy of the runbook: the live checklist.
CREATE TABLE incident_steps (
    incident_id   BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    position      INT NOT NULL,
    section       TEXT NOT NULL CHECK (section IN ('procedure','recovery')),
    key           TEXT NOT NULL,
    label_en      TEXT NOT NULL,
    label_ja      TEXT NOT NULL,
    owner         TEXT NOT NULL DEFAULT '' CHECK (length(owner) <= 100),
    started_at    TIMESTAMPTZ,
    started_by    TEXT,
    done_at       TIMESTAMPTZ,
    -- Who ticked it.
    done_by       TEXT,
    notes         TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
    updated_at    TIMESTAMPTZ,
    updated_by    TEXT,
    PRIMARY KEY (incident_id, position),
    UNIQUE (incident_id, key),
    CHECK ((done_at IS NULL) = (done_by IS NULL)),
    CHECK (done_at IS NULL OR started_at IS NOT NULL),
    CHECK (done_at IS NULL OR done_at >= started_at)
);
