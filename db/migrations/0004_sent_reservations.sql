-- A notice key being sent now (storage/sent-ledger.ts): the mailer reserves the key before it
-- sends and the sent_ledger row replaces it as the record. A second attempt of the same notice
-- that finds a live reservation does not send; one that finds it lapsed (its holder died
-- mid-send) takes it over. Released rows are deleted; a lapsed row is taken over in place.
CREATE TABLE sent_reservations (
  key text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
