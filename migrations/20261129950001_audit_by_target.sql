-- A deploy's timeline (issue 9 item 7) lists the audit entries about one
-- target; without this index that is a scan of the whole audit log.
CREATE INDEX audit_log_by_target ON audit_log (target, at, id);
