-- The `recently_confirmed` view (issue 14) looks back this many days (an account setting).
ALTER TABLE accounts
    ADD COLUMN recently_confirmed_days INT NOT NULL DEFAULT 7
        CHECK (recently_confirmed_days BETWEEN 1 AND 90);
