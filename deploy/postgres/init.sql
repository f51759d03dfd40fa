-- One database per service: services never read each other's tables (docs: ARCHITECTURE.md).
-- Run once by the postgres image on an empty data folder (/docker-entrypoint-initdb.d), as the
-- POSTGRES_USER, which owns the databases. The tables come from the migrations
-- (python -m services.migrate all), not from here.
--
-- Production: use a managed or replicated PostgreSQL and give each service its own role that
-- owns only its database, e.g.
--   CREATE ROLE grades LOGIN PASSWORD '...';
--   CREATE DATABASE grades OWNER grades;
--   REVOKE CONNECT ON DATABASE grades FROM PUBLIC;
-- The same list is in deploy/k8s/postgres.yaml (ConfigMap postgres-init); a test keeps the two
-- in step with services.common.config.SERVICES.
CREATE DATABASE identity;
CREATE DATABASE scheduling;
CREATE DATABASE grades;
CREATE DATABASE attendance;
CREATE DATABASE messaging;
CREATE DATABASE archive;
