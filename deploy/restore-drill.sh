#!/usr/bin/env bash
# Point-in-time recovery drill on one machine with Debian's PostgreSQL 15
# (docs/operations.md, "Restore drill"). Run as root: the servers run as the
# postgres user, the dinhdanh commands as root.
#
#   go build -o /tmp/dinhdanh ./cmd/dinhdanh
#   DINHDANH=/tmp/dinhdanh deploy/restore-drill.sh
#
# What it does: a primary with WAL archiving to a local folder (standing in
# for object storage), the dinhdanh schema and the demo population, a base
# backup, audited changes after it, a chosen recovery point T, a mistake after
# T (every relying party deleted by the owner role), then a new cluster
# restored from the base backup and the archive to T, checked with counts and
# `dinhdanh audit verify` (with and without the witness's checkpoints).
# Everything lives under $DRILL (default /tmp/pitr-drill) and is removed first.
set -euo pipefail

BIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DRILL=${DRILL:-/tmp/pitr-drill}
DINHDANH=${DINHDANH:?set DINHDANH to a built dinhdanh binary}
PRIMARY_PORT=${PRIMARY_PORT:-55432}
RESTORED_PORT=${RESTORED_PORT:-55433}
CLIENTS_BEFORE=${CLIENTS_BEFORE:-20}
CLIENTS_AFTER=${CLIENTS_AFTER:-10}
PEOPLE=${PEOPLE:-200000} # generated citizens on top of the demo file (at most 899999)

as_pg() { runuser -u postgres -- "$@"; }
psql_at() { as_pg "$BIN/psql" -X -q -A -t -h "$DRILL" -p "$1" -U postgres -d "${3:-dinhdanh}" -c "$2"; }
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
step() { printf '\n== %s  %s\n' "$(now)" "$*"; }
timed() { # timed LABEL CMD...: runs CMD, prints its wall time
	local label=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	printf '   %s: %.2f s\n' "$label" "$(echo "$t1 - $t0" | bc)"
}

cleanup() {
	for d in primary restored; do
		[ -f "$DRILL/$d/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DRILL/$d" -m immediate stop >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT

step "fresh drill folder $DRILL"
cleanup
rm -rf "$DRILL"
mkdir -p "$DRILL/wal" "$DRILL/base"
chown -R postgres: "$DRILL"

step "primary: initdb, WAL archiving to $DRILL/wal"
as_pg "$BIN/initdb" -D "$DRILL/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >>"$DRILL/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$DRILL'
wal_level = replica
archive_mode = on
# Never overwrite a segment already archived; cp stands in for object storage.
archive_command = 'test ! -f $DRILL/wal/%f && cp %p $DRILL/wal/%f'
archive_timeout = 60
EOF
as_pg "$BIN/pg_ctl" -D "$DRILL/primary" -l "$DRILL/primary.log" -w start >/dev/null
psql_at "$PRIMARY_PORT" "CREATE ROLE dinhdanh_owner LOGIN; CREATE ROLE dinhdanh_app LOGIN" postgres
psql_at "$PRIMARY_PORT" "CREATE DATABASE dinhdanh OWNER dinhdanh_owner" postgres

# The gateway's own environment: keys, the two roles' URLs, a witness file.
export DINHDANH_ENCRYPTION_KEY DINHDANH_PAIRWISE_KEY DINHDANH_SECRET_PEPPER DINHDANH_AUDIT_KEY DINHDANH_SESSION_KEY
for v in DINHDANH_ENCRYPTION_KEY DINHDANH_PAIRWISE_KEY DINHDANH_SECRET_PEPPER DINHDANH_AUDIT_KEY DINHDANH_SESSION_KEY; do
	printf -v "$v" '%s' "$(openssl rand -base64 32)"
done
cat >"$DRILL/config.yaml" <<EOF
audit:
  witness:
    file: $DRILL/witness.jsonl
EOF
app_url() { echo "postgres://dinhdanh_app@127.0.0.1:$1/dinhdanh?sslmode=disable"; }
owner_url() { echo "postgres://dinhdanh_owner@127.0.0.1:$1/dinhdanh?sslmode=disable"; }
dd() { # dd PORT ARGS...: dinhdanh as the application role against PORT
	local port=$1
	shift
	DATABASE_URL=$(app_url "$port") "$DINHDANH" "$@"
}
new_clients() { # new_clients N TAG: N audited relying-party registrations
	for i in $(seq 1 "$1"); do
		dd "$PRIMARY_PORT" client create -config "$DRILL/config.yaml" -actor drill -name-vi "Cổng $2 $i" -kind public_service \
			-redirect-uri "https://rp$i.$2.example/cb" -scopes "openid profile" >/dev/null
	done
}

step "schema (owner role), demo population (application role), audited registrations"
quiet() { "$@" >/dev/null; }
timed "migrate up" quiet env DATABASE_MIGRATE_URL="$(owner_url "$PRIMARY_PORT")" "$DINHDANH" migrate -config "$DRILL/config.yaml" up
timed "import population (demo file)" quiet dd "$PRIMARY_PORT" import -config "$DRILL/config.yaml" population "$(dirname "$0")/demo/population.jsonl"
timed "$CLIENTS_BEFORE audited client registrations" new_clients "$CLIENTS_BEFORE" before

step "base backup (pg_basebackup, plain format, WAL streamed into it, checked against its manifest)"
timed "pg_basebackup" as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DRILL/base/b1" -Fp -X stream -c fast
timed "pg_verifybackup" as_pg "$BIN/pg_verifybackup" "$DRILL/base/b1"
du -sh "$DRILL/base/b1" | sed 's/^/   size: /'

step "after the backup: $PEOPLE more citizens, $CLIENTS_AFTER more registrations, then the recovery point T"
seq 1 "$PEOPLE" | awk '{ printf "{\"personal_id\":\"079195%06d\",\"full_name\":\"Công Dân %d\",\"birth_date\":\"1995-08-20\",\"gender\":\"female\",\"nationality\":\"VN\",\"residence\":{\"street_address\":\"%d Nguyễn Huệ\",\"ward\":\"Phường Bến Nghé\",\"district\":\"Quận 1\",\"province\":\"Hồ Chí Minh\",\"country\":\"VN\"},\"issue_date\":\"2021-04-12\"}\n", $1 + 100000, $1, $1 }' >"$DRILL/people.jsonl"
timed "import population ($PEOPLE generated)" quiet dd "$PRIMARY_PORT" import -config "$DRILL/config.yaml" population "$DRILL/people.jsonl"
timed "$CLIENTS_AFTER audited client registrations" new_clients "$CLIENTS_AFTER" after
sleep 1
T=$(date -u '+%Y-%m-%d %H:%M:%S.%N+00')
sleep 1
at_t_clients=$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM oidc_clients")
at_t_events=$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM audit_events")
at_t_people=$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM population")
echo "   T = $T: $at_t_clients clients, $at_t_events audit events, $at_t_people people"

step "the mistake after T: the owner deletes every relying party; more events follow"
psql_at "$PRIMARY_PORT" "SET ROLE dinhdanh_owner; DELETE FROM oidc_clients"
new_clients 3 late
echo "   primary now: $(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM oidc_clients") clients, $(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM audit_events") audit events"
# Close the current segment and wait until the archiver has copied it.
last=$(psql_at "$PRIMARY_PORT" "SELECT pg_walfile_name(pg_switch_wal())")
until [ -f "$DRILL/wal/$last" ]; do sleep 0.2; done
echo "   archived WAL segments: $(ls "$DRILL/wal" | grep -c '^[0-9A-F]\{24\}$'), $(du -sh "$DRILL/wal" | cut -f1)"
step "primary lost (immediate stop)"
as_pg "$BIN/pg_ctl" -D "$DRILL/primary" -m immediate stop >/dev/null

step "restore: copy the base backup, recovery.signal, restore_command, recovery_target_time = T"
timed "copy the base backup" as_pg cp -a "$DRILL/base/b1" "$DRILL/restored"
as_pg rm -f "$DRILL/restored/backup_manifest"
t0=$(date +%s.%N)
cat >>"$DRILL/restored/postgresql.conf" <<EOF
port = $RESTORED_PORT
archive_mode = off
restore_command = 'cp $DRILL/wal/%f %p'
recovery_target_time = '$T'
recovery_target_action = 'promote'
EOF
as_pg touch "$DRILL/restored/recovery.signal"
as_pg "$BIN/pg_ctl" -D "$DRILL/restored" -l "$DRILL/restored.log" -w -t 600 start >/dev/null
until [ "$(psql_at "$RESTORED_PORT" "SELECT pg_is_in_recovery()" postgres)" = f ]; do sleep 0.2; done
t1=$(date +%s.%N)
printf '   start, replay to T, promote: %.2f s\n' "$(echo "$t1 - $t0" | bc)"
grep -E 'starting point-in-time recovery|recovery stopping|redo done|selected new timeline|archive recovery complete' "$DRILL/restored.log" | sed 's/^/   log: /'

step "check the restored cluster"
r_clients=$(psql_at "$RESTORED_PORT" "SELECT count(*) FROM oidc_clients")
r_events=$(psql_at "$RESTORED_PORT" "SELECT count(*) FROM audit_events")
r_people=$(psql_at "$RESTORED_PORT" "SELECT count(*) FROM population")
echo "   restored: $r_clients clients (at T: $at_t_clients), $r_events audit events (at T: $at_t_events), $r_people people (at T: $at_t_people)"
[ "$r_clients" = "$at_t_clients" ] && [ "$r_events" = "$at_t_events" ] && [ "$r_people" = "$at_t_people" ] || {
	echo "MISMATCH" >&2
	exit 1
}
timed "audit verify (restored)" dd "$RESTORED_PORT" audit verify -config "$DRILL/config.yaml"
echo "   witness holds $(wc -l <"$DRILL/witness.jsonl") checkpoints; verifying the restored chain against them:"
set +e
dd "$RESTORED_PORT" audit verify -config "$DRILL/config.yaml" -checkpoints "$DRILL/witness.jsonl"
echo "   exit status $? (expected 1: the witness saw the events after T that the restore gave up)"
set -e
head=$(psql_at "$RESTORED_PORT" "SELECT max(seq) FROM audit_events")
jq -c "select(.seq <= $head)" "$DRILL/witness.jsonl" >"$DRILL/witness-upto-restore.jsonl"
echo "   the witness's checkpoints up to the restored head (event $head): $(wc -l <"$DRILL/witness-upto-restore.jsonl")"
dd "$RESTORED_PORT" audit verify -config "$DRILL/config.yaml" -checkpoints "$DRILL/witness-upto-restore.jsonl"
step "done"
