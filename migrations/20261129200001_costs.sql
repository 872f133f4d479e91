-- Costs (issue 12, R-COST-1..4): the monthly budget and its thresholds, cost
-- entries (by hand or CSV), the once-per-month alert record, and the
-- policy's savings measures. Amounts are integer hundredths of the currency
-- (cents). See docs/decisions/0012-cost-forecast-one-offs.md.

-- The monthly budget: one row (policy: monthly-infrastructure, $500).
CREATE TABLE budget (
    singleton          BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    name               TEXT NOT NULL DEFAULT 'monthly-infrastructure',
    amount_cents       BIGINT NOT NULL DEFAULT 50000 CHECK (amount_cents > 0),
    currency           TEXT NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    -- Forecast alerts wait until this many days of the month have elapsed.
    forecast_min_days  INT NOT NULL DEFAULT 5 CHECK (forecast_min_days BETWEEN 1 AND 31),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO budget (singleton) VALUES (TRUE);

-- Thresholds and whom they notify (recipient group names, see notifications).
CREATE TABLE budget_thresholds (
    percent   INT PRIMARY KEY CHECK (percent BETWEEN 1 AND 1000),
    groups    TEXT[] NOT NULL DEFAULT '{}',
    action    TEXT NOT NULL DEFAULT ''
);
INSERT INTO budget_thresholds (percent, groups, action) VALUES
    (80, '{finance-team}', ''),
    (90, '{finance-team,tech-lead}', ''),
    (100, '{stakeholders}', 'review and optimise');

-- One cost: by service and day. `dedup_key` identifies an imported row
-- (hash of date, service, amount, currency and its occurrence in the file),
-- so importing the same rows again adds nothing; entries typed by hand have none.
CREATE TABLE cost_entries (
    id            BIGSERIAL PRIMARY KEY,
    date          DATE NOT NULL,
    service       TEXT NOT NULL CHECK (length(service) BETWEEN 1 AND 100),
    amount_cents  BIGINT NOT NULL,
    currency      TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Counted once, not extrapolated by the forecast (up-front charges, credits).
    one_off       BOOLEAN NOT NULL DEFAULT FALSE,
    source        TEXT NOT NULL CHECK (source IN ('manual','csv')),
    dedup_key     TEXT UNIQUE,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    TEXT,
    -- A negative amount is a credit, and a credit is always one-off.
    CHECK (amount_cents >= 0 OR one_off)
);
CREATE INDEX cost_entries_date ON cost_entries (date, id);

-- The once-per-month record (R-COST-3): a threshold crossed by actual spend,
-- and separately by the forecast, notifies once per month.
CREATE TABLE budget_alerts (
    id            BIGSERIAL PRIMARY KEY,
    month         DATE NOT NULL CHECK (extract(day FROM month) = 1),
    percent       INT NOT NULL,
    basis         TEXT NOT NULL CHECK (basis IN ('actual','forecast')),
    spend_cents   BIGINT NOT NULL,
    budget_cents  BIGINT NOT NULL,
    groups        TEXT[] NOT NULL,
    notified_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (month, percent, basis)
);

-- The policy's cost-saving measures (R-COST-4), tracked by finance.
CREATE TABLE savings_measures (
    id                       BIGSERIAL PRIMARY KEY,
    position                 INT NOT NULL,
    key                      TEXT NOT NULL UNIQUE,
    title_en                 TEXT NOT NULL,
    title_ja                 TEXT NOT NULL,
    owner                    TEXT NOT NULL DEFAULT '',
    status                   TEXT NOT NULL DEFAULT 'planned'
                             CHECK (status IN ('planned','in_progress','done','dropped')),
    estimated_saving_cents   BIGINT NOT NULL DEFAULT 0 CHECK (estimated_saving_cents >= 0),
    notes                    TEXT NOT NULL DEFAULT '',
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO savings_measures (position, key, title_en, title_ja) VALUES
    (1, 'autoscaling', 'Tune autoscaling', '自動スケーリングの調整'),
    (2, 'unused-resources', 'Delete unused resources', '未使用リソースの削除'),
    (3, 'reserved-instances', 'Use reserved instances', 'リザーブドインスタンスの活用'),
    (4, 'cdn', 'Use the CDN more', 'CDNの積極活用'),
    (5, 'data-transfer', 'Optimise data transfer', 'データ転送の最適化');

