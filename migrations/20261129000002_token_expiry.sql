-- API tokens get an optional expiry (R-AUTH-3): NULL never expires. An expired
-- token is refused by the machine API like an unknown one.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;

-- Disabling a user lists the tokens they created that still work.
CREATE INDEX api_tokens_created_by_live ON api_tokens (created_by) WHERE revoked_at IS NULL;
