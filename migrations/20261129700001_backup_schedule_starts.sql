-- Scheduled runs of the built-in runner (issue 13, R-BAK-1): each slot of a
-- full-backup schedule entry that opsdeck started itself is claimed here
-- first. The primary key makes the claim once-only, so with several opsdeck
-- processes on one database a slot starts at most one run; a claim whose
-- start was refused stays, so a refusal is not retried every minute.
CREATE TABLE backup_scheduled_starts (
    schedule_id  BIGINT NOT NULL REFERENCES backup_schedules(id) ON DELETE CASCADE,
    expected_at  TIMESTAMPTZ NOT NULL,
    -- The run it started; NULL while starting, or when the start was refused.
    run_id       BIGINT REFERENCES backup_runs(id) ON DELETE SET NULL,
    claimed_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (schedule_id, expected_at)
);
