-- Up Migration
-- Orders placed by customers. Amounts are stored in minor units (cents) to avoid rounding.
CREATE TABLE orders (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id   bigint      NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  status        text        NOT NULL DEFAULT 'pending',
  total_cents   integer     NOT NULL CHECK (total_cents >= 0),
  currency      char(3)     NOT NULL DEFAULT 'EUR',
  placed_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_status_valid CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled'))
);

CREATE INDEX orders_customer_id_idx ON orders (customer_id);

-- Down Migration
DROP TABLE orders;
