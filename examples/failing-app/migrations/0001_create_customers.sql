-- Up Migration
-- Customers of the shop. Emails are unique regardless of case.
CREATE TABLE customers (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       text        NOT NULL,
  full_name   text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT customers_email_not_blank CHECK (btrim(email) <> '')
);

CREATE UNIQUE INDEX customers_email_key ON customers (lower(email));

-- Down Migration
DROP TABLE customers;
