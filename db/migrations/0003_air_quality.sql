-- Air-quality figures and baselines with their import log, falsified-data marks with theirs
-- (storage/air-quality-pg.ts), and each city's assessment timeline (storage/assessment-timeline.ts).

-- One row per (campaign, season, kind): an import locks it (SELECT … FOR UPDATE) for its whole
-- transaction, so two concurrent imports of one series run one after the other and the second
-- checks its figures against the first's.
CREATE TABLE air_quality_series (
  campaign_id text NOT NULL,
  season integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('observed', 'baseline')),
  PRIMARY KEY (campaign_id, season, kind)
);

CREATE TABLE air_quality_days (
  campaign_id text NOT NULL,
  season integer NOT NULL,
  kind text NOT NULL,
  code text NOT NULL,
  day text NOT NULL,
  pm25 double precision NOT NULL,
  aqi double precision NOT NULL,
  PRIMARY KEY (campaign_id, season, kind, code, day),
  FOREIGN KEY (campaign_id, season, kind) REFERENCES air_quality_series (campaign_id, season, kind)
);

-- Every import and replacement (with its reason), in the order they were made.
CREATE TABLE air_quality_imports (
  id bigserial PRIMARY KEY,
  campaign_id text NOT NULL,
  season integer NOT NULL,
  kind text NOT NULL,
  entry jsonb NOT NULL,
  FOREIGN KEY (campaign_id, season, kind) REFERENCES air_quality_series (campaign_id, season, kind)
);
CREATE INDEX air_quality_imports_by_series ON air_quality_imports (campaign_id, season, kind, id);

CREATE TABLE air_quality_falsified (
  campaign_id text NOT NULL,
  season integer NOT NULL,
  code text NOT NULL,
  mark jsonb NOT NULL,
  PRIMARY KEY (campaign_id, season, code)
);

CREATE TABLE air_quality_falsified_log (
  id bigserial PRIMARY KEY,
  campaign_id text NOT NULL,
  season integer NOT NULL,
  entry jsonb NOT NULL
);
CREATE INDEX air_quality_falsified_log_by_season ON air_quality_falsified_log (campaign_id, season, id);

-- One row per act by its idempotency key: a retried activity inserts nothing new.
CREATE TABLE assessment_timeline (
  key text PRIMARY KEY,
  campaign_id text NOT NULL,
  season integer NOT NULL,
  code text NOT NULL,
  act jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessment_timeline_by_city ON assessment_timeline (campaign_id, season, code);
