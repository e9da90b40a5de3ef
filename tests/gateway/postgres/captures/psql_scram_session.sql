SELECT 1 AS one;
SELECT 1/0;
BEGIN;
SELECT 'in a transaction' AS t;
SELECT 1/0;
ROLLBACK;
DO $$BEGIN RAISE NOTICE 'hello %', 42; END$$;
COPY (SELECT g FROM generate_series(1,3) g) TO STDOUT;
CREATE TEMP TABLE t(a int);
COPY t FROM STDIN;
1
2
\.
LISTEN ch;
NOTIFY ch, 'payload';
SET application_name = 'renamed';
