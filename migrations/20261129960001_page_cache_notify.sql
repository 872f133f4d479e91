-- The page cache (decision 0023): a committed change to data a kept page
-- may show tells every opsdeck process, which then renders that page again.
-- NOTIFY is delivered at commit and folded to one per transaction, so a bulk
-- insert costs one message; an UPDATE that changes nothing (the prober
-- writes an unchanged health every probe) sends none.
CREATE FUNCTION opsdeck_page_data_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('opsdeck_page_data', '');
    RETURN NULL;
END
$$;

-- The tables behind the cached pages (`page_cache::CACHED_PAGES`): the
-- shell every page shows (user and roles, maintenance, environment health,
-- unread notifications) and `/deploys` (the board, the releases' freezes,
-- the history with its stages, checklist, votes, overrides and steps).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'users', 'user_roles', 'maintenance_mode', 'environments', 'inbox_items',
        'release_settings', 'releases',
        'deploy_settings', 'environment_colours', 'deploys', 'deploy_stages',
        'deploy_checklist_ticks', 'deploy_votes', 'deploy_freeze_overrides', 'deploy_steps',
        'deploy_trigger_settings'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR DELETE OR TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION opsdeck_page_data_changed()',
            t || '_page_data_added', t);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER UPDATE ON %I FOR EACH ROW '
            'WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION opsdeck_page_data_changed()',
            t || '_page_data_updated', t);
    END LOOP;
END
$$;
