-- Reply templates with one body per language; bodies hold placeholders such as {{guest_name}}.

CREATE TABLE templates (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, name),
    UNIQUE (account_id, id)
);

CREATE TABLE template_variants (
    template_id BIGINT NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    language    TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (template_id, language)
);
