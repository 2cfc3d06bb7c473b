-- The inspection-team role (检查组): a team user's org is its team's id in policies/problems.yaml,
-- as an assignee's is its organisation code. The checks are replaced whatever PostgreSQL named
-- them when 0001 created the table.

DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c' LOOP
    EXECUTE format('ALTER TABLE users DROP CONSTRAINT %I', c.conname);
  END LOOP;
END $$;

ALTER TABLE users
  ADD CONSTRAINT users_role_check CHECK (role IN ('office', 'assignee', 'supervisor', 'team')),
  ADD CONSTRAINT users_org_check CHECK ((role IN ('assignee', 'team')) = (org IS NOT NULL));
