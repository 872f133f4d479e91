-- Deploys (issue 9, R-DEP-7): an approver's rollback is a request the
-- executor carries out. `rollback_requested_at` is that request, explicit,
-- so the executor's query names it (rollback_reason/by/at keep who and why).
ALTER TABLE deploys ADD COLUMN rollback_requested_at TIMESTAMPTZ;
CREATE INDEX deploys_rollback_requested ON deploys (environment)
    WHERE rollback_requested_at IS NOT NULL;
