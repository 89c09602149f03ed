// Package hatest holds the high-availability test (ha_test.go): etcd, two
// PostgreSQL nodes under Patroni with synchronous replication, a PgBouncer
// in transaction pooling mode beside each, and two gateway replicas in this
// process, on loopback. Token and sign-in load runs through PgBouncer, then
// straight to the nodes (a multi-host connection string with
// target_session_attrs=read-write) while the primary is killed: the replica
// must be promoted, the gateways recover without a restart, answer 503 and
// never 500 meanwhile, every acknowledged token has its audit event, and
// the audit chain verifies as one chain.
//
// It needs Debian's patroni, etcd-server and pgbouncer (and PostgreSQL's
// server binaries); without them it skips, unless CI is set, where it
// fails (as the pcscd tests do). Running as root, every server runs as the
// "postgres" user.
package hatest
