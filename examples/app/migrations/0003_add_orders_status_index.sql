-- Up Migration
-- The fulfilment queue lists open orders oldest first; index only the rows it reads.
CREATE INDEX orders_open_by_placed_at_idx ON orders (placed_at)
  WHERE status IN ('pending', 'paid');

-- Down Migration
DROP INDEX orders_open_by_placed_at_idx;
