-- Deploys (issue 9, R-DEP-1): where an environment's traffic is comes from
-- its newest started deploy (`store::deploys::live_colour`, four times per
-- board). Without this index that query read every deploy of the
-- environment and sorted them: 26 ms per environment at 25 000 deploys
-- each, so the board took ~100 ms of database time at 100 000 deploys
-- (`server/examples/seed_deploys.rs`, README "Performance"). With it: one
-- index entry.
CREATE INDEX deploys_last_started ON deploys (environment, started_at DESC, id DESC)
    WHERE started_at IS NOT NULL;
