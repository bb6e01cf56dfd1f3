DROP VIEW customer_order_totals;
DROP TABLE orders;
