-- R-AUTH-4: the audit log is append-only against TRUNCATE too (row triggers
-- do not fire for it). Together with running the app as a role that has only
-- SELECT and INSERT on audit_log (`opsdeck-server grant-app-role`), the app
-- cannot rewrite its own trail.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
