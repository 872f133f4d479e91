-- Releases (issue 11, R-REL-1..5): the policy's calendar and cadence numbers
-- as editable settings, the releases themselves, their release-notes
-- revisions (append-only: the history and the "no lost edits" check) and the
-- per-user secrets of the iCalendar feed. See docs/decisions/0014-releases.md.

CREATE TABLE release_settings (
    singleton             BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    feature_freeze_days   INT NOT NULL DEFAULT 14 CHECK (feature_freeze_days BETWEEN 0 AND 90),
    code_freeze_days      INT NOT NULL DEFAULT 7 CHECK (code_freeze_days BETWEEN 0 AND 90),
    final_test_days       INT NOT NULL DEFAULT 3 CHECK (final_test_days BETWEEN 0 AND 90),
    release_notes_days    INT NOT NULL DEFAULT 1 CHECK (release_notes_days BETWEEN 0 AND 90),
    min_majors_per_year   INT NOT NULL DEFAULT 1 CHECK (min_majors_per_year >= 0),
    max_majors_per_year   INT NOT NULL DEFAULT 2 CHECK (max_majors_per_year >= 0),
    min_minors_per_month  INT NOT NULL DEFAULT 1 CHECK (min_minors_per_month >= 0),
    max_minors_per_month  INT NOT NULL DEFAULT 2 CHECK (max_minors_per_month >= 0),
    -- `#123` in notes links here; `{n}` is replaced by the number.
    issue_url_template    TEXT NOT NULL DEFAULT 'https://github.com/mythologia/mythologia/issues/{n}'
);
INSERT INTO release_settings (singleton) VALUES (TRUE);

CREATE TABLE releases (
    id              BIGSERIAL PRIMARY KEY,
    -- Canonical MAJOR.MINOR.PATCH; the numbers again for ordering in SQL.
    version         TEXT NOT NULL UNIQUE,
    major           BIGINT NOT NULL,
    minor           BIGINT NOT NULL,
    patch           BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('major','minor','patch')),
    planned_date    DATE NOT NULL,
    -- "frozen" is not stored: it is planned + inside the code freeze, derived from the clock.
    status          TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','released','cancelled')),
    breaking        BOOLEAN NOT NULL DEFAULT FALSE,
    summary         TEXT NOT NULL DEFAULT '',
    -- The head of release_note_revisions (0: no notes yet). A save names the
    -- revision it was based on and succeeds only if it is still the head.
    notes_revision  INT NOT NULL DEFAULT 0,
    released_at     TIMESTAMPTZ,
    released_by     TEXT,
    cancelled_at    TIMESTAMPTZ,
    cancelled_by    TEXT,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'released') = (released_at IS NOT NULL))
);
CREATE INDEX releases_planned_date ON releases (planned_date);

CREATE TABLE release_note_revisions (
    release_id  BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    revision    INT NOT NULL CHECK (revision >= 1),
    -- The structured notes (core `ReleaseNotes`) and their Markdown in the policy's format.
    notes       JSONB NOT NULL,
    markdown    TEXT NOT NULL CHECK (octet_length(markdown) <= 204800),
    author      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (release_id, revision)
);

-- One secret per user for GET /calendar.ics?k=… (calendar apps cannot send
-- headers). Only the SHA-256 of the secret is stored; regenerating replaces it.
CREATE TABLE calendar_feeds (
    user_id      BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_hash  BYTEA NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
