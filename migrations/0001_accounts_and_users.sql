-- Accounts (tenants) with their settings, users, agent cards, login sessions and ingest keys.
-- Secrets are never stored: passwords as argon2 hashes, tokens and keys as SHA-256 digests.

CREATE TABLE accounts (
    id                    BIGSERIAL PRIMARY KEY,
    slug                  TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                  TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    response_sla_seconds  INTEGER NOT NULL DEFAULT 360 CHECK (response_sla_seconds > 0),
    assignment_strategy   TEXT NOT NULL DEFAULT 'balanced'
                          CHECK (assignment_strategy IN ('balanced', 'round_robin', 'broadcast')),
    rebalance_threshold   INTEGER NOT NULL DEFAULT 2 CHECK (rebalance_threshold >= 1),
    offline_grace_seconds INTEGER NOT NULL DEFAULT 60 CHECK (offline_grace_seconds >= 0),
    timezone              TEXT NOT NULL DEFAULT 'UTC',
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    email         TEXT NOT NULL,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role          TEXT NOT NULL CHECK (role IN ('manager', 'agent')),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, email),
    UNIQUE (account_id, id)
);

-- The agent card: an empty array means "any".
CREATE TABLE agent_cards (
    user_id        BIGINT PRIMARY KEY,
    account_id     BIGINT NOT NULL,
    stages         TEXT[] NOT NULL DEFAULT '{}',
    channels       TEXT[] NOT NULL DEFAULT '{}',
    languages      TEXT[] NOT NULL DEFAULT '{}',
    listing_groups TEXT[] NOT NULL DEFAULT '{}',
    max_active     INTEGER CHECK (max_active > 0),
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id)
);

CREATE TABLE login_sessions (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id)
);

CREATE TABLE api_keys (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    key_hash   BYTEA NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
);
