-- Roles the gateway expects: the schema owner runs migrations, the
-- application role serves (and may only INSERT/SELECT the audit table).
-- Replace the passwords before use.
CREATE ROLE dinhdanh_owner LOGIN PASSWORD 'change-me-owner';
CREATE ROLE dinhdanh_app LOGIN PASSWORD 'change-me-app';
CREATE DATABASE dinhdanh OWNER dinhdanh_owner;
