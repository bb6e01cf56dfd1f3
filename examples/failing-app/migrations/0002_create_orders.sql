-- Up Migration
-- Deliberately broken: the view joins on orders.customer_uuid, but the column is called customer_id.
-- Postgres rejects the statement, so the whole migration (the table included) is rolled back.
CREATE TABLE orders (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id   bigint      NOT NULL REFERENCES customers (id),
  total_cents   integer     NOT NULL CHECK (total_cents >= 0),
  placed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW customer_order_totals AS
SELECT c.id AS customer_id, c.email, sum(o.total_cents) AS total_cents
FROM customers c
JOIN orders o ON o.customer_uuid = c.id
GROUP BY c.id, c.email;

-- Down Migration
DROP VIEW customer_order_totals;
DROP TABLE orders;
