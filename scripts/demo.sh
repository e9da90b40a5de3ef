#!/usr/bin/env bash
# The walkthrough that `scripts/run.sh` ends with: starts a throwaway iamdb server, PostgreSQL 15
# and MariaDB 10.11 (both with TLS) in .run/ under the checkout, then does what an RDS user does
# to log in with IAM — register the databases, turn IAM authentication on, create an IAM user,
# a role and a policy, create the database users, make tokens, connect — printing each command
# as a person would type it. It then prints how to do the same from another shell and waits for
# Ctrl-C, which stops everything it started. Run it again at any time: it starts afresh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${IAMDB_BUILD_DIR:-$ROOT/build/release}
IAMDB=$BUILD/src/cli/iamdb
PG_BIN=/usr/lib/postgresql/15/bin
# Where its state lives and the PAM service it writes (tests run it elsewhere, side by side).
RUN=${IAMDB_DEMO_DIR:-$ROOT/.run}
PAM_SERVICE=${IAMDB_DEMO_PAM_SERVICE:-iamdb-demo}
REGION=us-east-1

bold=$(tput bold 2>/dev/null || true)
dim=$(tput dim 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$plain"; }
# Shows a command as a person would type it: arguments quoted where the shell needs it, the
# demo's own paths abbreviated. Arguments already written as shell text ('$TOKEN') pass as-is.
quote() {
  local a=$1
  if [[ $a =~ ^[][A-Za-z0-9_./:=@%+,{}\$\&()-]+$ ]]; then printf '%s' "$a"
  elif [[ $a != *[\"\$\`\\]* ]]; then printf '"%s"' "$a"
  else printf "'%s'" "${a//\'/\'\\\'\'}"; fi
}
typed() {
  local line=${1//$IAMDB/iamdb}
  printf '%s$ %s%s\n' "$bold" "${line//$BASE/\$DEMO}" "$plain"
}
show() {
  local line="" a
  for a in "$@"; do line+="${line:+ }$(quote "$a")"; done
  typed "$line"
}
run() {
  show "$@"
  "$@"
}
die() {
  echo "demo: $*" >&2
  exit 1
}

[ -x "$IAMDB" ] || die "iamdb is not built at $IAMDB (run scripts/run.sh)"
[ "$(id -u)" -eq 0 ] || die "the walkthrough writes a PAM service to /etc/pam.d and runs PostgreSQL as the postgres user: run it as root (sudo scripts/run.sh)"
aws() { /usr/bin/aws "$@"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- start afresh: stop what an earlier run left behind ---
stop_all() {
  local base
  base=$(readlink -f "$RUN/state" 2>/dev/null || true)
  if [ -n "$base" ] && [ -d "$base" ]; then
    [ -f "$base/pg/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$base/pg" -m fast -w stop >/dev/null 2>&1 || true
    for pidfile in "$base/mariadb.pid" "$base/iamdb.pid"; do
      if [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
  fi
  rm -f "/etc/pam.d/$PAM_SERVICE"
  if [ -n "$base" ] && [ "$base" != "$RUN/state" ] && [ -d "$base" ]; then rm -rf "$base"; fi
  rm -rf "$RUN"
}
stop_all

# The databases' OS users must reach their files and iamdb's socket. The checkout may sit under a
# private home directory; then the state lives in a directory of /tmp that .run/state points to.
mkdir -p "$RUN"
chmod 755 "$RUN"
if runuser -u postgres -- test -x "$RUN"; then
  BASE=$RUN/state
  mkdir -p "$BASE"
else
  BASE=$(mktemp -d /tmp/iamdb-demo.XXXXXX)
  ln -s "$BASE" "$RUN/state"
fi
chmod 755 "$BASE"

cleanup() {
  trap - EXIT INT TERM
  step "Stopping everything the walkthrough started"
  stop_all
  echo "stopped: iamdb, PostgreSQL and MariaDB are down, /etc/pam.d/$PAM_SERVICE removed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

IAMDB_PORT=$(free_port)
PG_PORT=$(free_port)
MY_PORT=$(free_port)
DATA=$BASE/iamdb
CA=$DATA/tls/ca.pem
API=http://127.0.0.1:$IAMDB_PORT
mkdir -p "$BASE/aws" "$BASE/run"
chmod 755 "$BASE/run"
export AWS_CONFIG_FILE=$BASE/aws/config AWS_SHARED_CREDENTIALS_FILE=$BASE/aws/credentials
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
started=$(date +%s)

step "1. The iamdb server: store, master key, TLS CA, first administrator key"
note "(\$DEMO is $BASE)"
show "$IAMDB" init --data-dir "$DATA" --api-listen "127.0.0.1:$IAMDB_PORT" --verify-socket "$BASE/run/verify.sock"
"$IAMDB" init --data-dir "$DATA" --api-listen "127.0.0.1:$IAMDB_PORT" --verify-socket "$BASE/run/verify.sock" 2>/dev/null >/dev/null
echo "account $(grep '^account_id' "$DATA/iamdb.toml" | cut -d'"' -f2); administrator key in \$DEMO/iamdb/credentials (profile iamdb-admin)"
# PostgreSQL's backends (OS user postgres) talk to the verify socket.
sed -i 's/^socket_group = ""/socket_group = "postgres"/' "$DATA/iamdb.toml"
show iamdb server --data-dir "$DATA" "&"
"$IAMDB" server --data-dir "$DATA" >"$BASE/iamdb.out" 2>"$BASE/iamdb.log" &
echo $! >"$BASE/iamdb.pid"
for _ in $(seq 1 300); do grep -q '^ready ' "$BASE/iamdb.out" 2>/dev/null && break; sleep 0.1; done
grep '^ready ' "$BASE/iamdb.out" || die "iamdb server did not start: $(cat "$BASE/iamdb.log")"
# The administrator's key from iamdb init, as an AWS CLI profile.
cat "$DATA/credentials" >>"$AWS_SHARED_CREDENTIALS_FILE"
admin() { aws --profile iamdb-admin --endpoint-url "$API" --region $REGION "$@"; }

step "2. A throwaway PostgreSQL 15 with TLS on port $PG_PORT"
install -d -o postgres -g postgres -m 700 "$BASE/pg" "$BASE/pg-socket"
runuser -u postgres -- "$PG_BIN/initdb" -D "$BASE/pg" -U postgres --auth-local=peer --auth-host=scram-sha-256 >/dev/null
install -o postgres -g postgres -m 644 "$DATA/tls/server.pem" "$BASE/pg/server.crt"
install -o postgres -g postgres -m 600 "$DATA/tls/server.key" "$BASE/pg/server.key"
cat >>"$BASE/pg/postgresql.conf" <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE/pg-socket'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
EOF
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$BASE/pg" -l "$BASE/pg/server.log" -w start >/dev/null
echo "PostgreSQL ready"

step "3. A throwaway MariaDB 10.11 with TLS on port $MY_PORT"
mkdir -p "$BASE/mariadb-plugins"
cp "$BUILD/plugins/mariadb/aws_authentication_plugin.so" "$BASE/mariadb-plugins/"
mariadb-install-db --no-defaults --datadir="$BASE/mariadb" --user=root --auth-root-authentication-method=socket >/dev/null 2>&1
mariadbd --no-defaults --user=root --datadir="$BASE/mariadb" --port="$MY_PORT" --bind-address=127.0.0.1 \
  --socket="$BASE/mariadb.sock" --pid-file="$BASE/mariadb.pid" --plugin-dir="$BASE/mariadb-plugins" \
  --ssl-cert="$DATA/tls/server.pem" --ssl-key="$DATA/tls/server.key" --ssl-ca="$CA" \
  --log-error="$BASE/mariadb.log" 2>>"$BASE/mariadb.log" &
for _ in $(seq 1 300); do [ -S "$BASE/mariadb.sock" ] && break; sleep 0.1; done
[ -S "$BASE/mariadb.sock" ] || die "MariaDB did not start: $(tail -5 "$BASE/mariadb.log")"
mariadb --socket="$BASE/mariadb.sock" -e "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;"
echo "MariaDB ready"

step "4. Register both databases and turn on IAM DB authentication, as on RDS"
note "(admin = aws --profile iamdb-admin --endpoint-url $API: the AWS CLI, talking to iamdb)"
show admin rds create-db-instance --db-instance-identifier demo-postgres --engine postgres --db-instance-class db.iamdb.external --tags "Key=iamdb:endpoint,Value=localhost:$PG_PORT"
admin rds create-db-instance --db-instance-identifier demo-postgres --engine postgres --db-instance-class db.iamdb.external \
  --tags "Key=iamdb:endpoint,Value=localhost:$PG_PORT" --query 'DBInstance.[DBInstanceIdentifier,DbiResourceId]' --output text
show "$IAMDB" instance add --data-dir "$DATA" --id demo-mariadb --engine mariadb --endpoint "127.0.0.1:$MY_PORT"
"$IAMDB" instance add --data-dir "$DATA" --id demo-mariadb --engine mariadb --endpoint "127.0.0.1:$MY_PORT"
for db in demo-postgres demo-mariadb; do
  show admin rds modify-db-instance --db-instance-identifier $db --enable-iam-database-authentication
  admin rds modify-db-instance --db-instance-identifier $db --enable-iam-database-authentication \
    --query 'DBInstance.[DBInstanceIdentifier,IAMDatabaseAuthenticationEnabled]' --output text
done
PG_DBI=$(admin rds describe-db-instances --db-instance-identifier demo-postgres --query 'DBInstances[0].DbiResourceId' --output text)
MY_DBI=$(admin rds describe-db-instances --db-instance-identifier demo-mariadb --query 'DBInstances[0].DbiResourceId' --output text)
ACCOUNT=$(admin sts get-caller-identity --query Account --output text)

step "5. Let the databases ask iamdb: pam_iamdb for PostgreSQL, AWSAuthenticationPlugin for MariaDB"
install -d -m 755 "$BASE/pam"
install -m 644 "$BUILD/plugins/pam/pam_iamdb.so" "$BASE/pam/pam_iamdb.so"
run "$IAMDB" setup postgres --instance demo-postgres --data-dir "$DATA" --module "$BASE/pam/pam_iamdb.so" \
  --pam-service $PAM_SERVICE --apply "$BASE/pg" --apply-sql --host "$BASE/pg-socket" --port "$PG_PORT"
run "$IAMDB" setup mariadb --instance demo-mariadb --data-dir "$DATA" --module "$BASE/mariadb-plugins/aws_authentication_plugin.so" \
  --apply-sql --socket "$BASE/mariadb.sock" --os-user root

step "6. IAM: user alice with an access key, a role she may assume, a policy allowing rds-db:connect as app_user"
run admin iam create-user --user-name alice --query User.Arn --output text
KEY=$(admin iam create-access-key --user-name alice --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
show admin iam create-access-key --user-name alice
printf '[alice]\naws_access_key_id = %s\naws_secret_access_key = %s\n' $KEY >>"$AWS_SHARED_CREDENTIALS_FILE"
echo "(saved as AWS CLI profile alice)"
cat >"$BASE/connect-policy.json" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ConnectAsAppUser",
    "Effect": "Allow",
    "Action": "rds-db:connect",
    "Resource": [
      "arn:aws:rds-db:$REGION:$ACCOUNT:dbuser:$PG_DBI/app_user",
      "arn:aws:rds-db:$REGION:$ACCOUNT:dbuser:$MY_DBI/app_user"
    ]
  }, {
    "Sid": "FindTheDatabases",
    "Effect": "Allow",
    "Action": "rds:DescribeDBInstances",
    "Resource": "*"
  }]
}
EOF
cat >"$BASE/trust-policy.json" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::$ACCOUNT:user/alice"}, "Action": "sts:AssumeRole"}]
}
EOF
cat "$BASE/connect-policy.json"
POLICY=$(admin iam create-policy --policy-name demo-db-connect --policy-document "file://$BASE/connect-policy.json" --query Policy.Arn --output text)
show admin iam create-policy --policy-name demo-db-connect --policy-document "file://$BASE/connect-policy.json"
run admin iam attach-user-policy --user-name alice --policy-arn "$POLICY"
run admin iam create-role --role-name demo-db-role --assume-role-policy-document "file://$BASE/trust-policy.json" --query Role.Arn --output text
run admin iam attach-role-policy --role-name demo-db-role --policy-arn "$POLICY"
run admin iam put-user-policy --user-name alice --policy-name assume-demo-db-role --policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::$ACCOUNT:role/demo-db-role\"}]}"
cat >>"$AWS_CONFIG_FILE" <<EOF
[profile alice]
region = $REGION
endpoint_url = $API
[profile db-role]
role_arn = arn:aws:iam::$ACCOUNT:role/demo-db-role
source_profile = alice
region = $REGION
endpoint_url = $API
EOF
echo "(AWS CLI profile db-role: role_arn = ...:role/demo-db-role, source_profile = alice)"

step "7. The database users that log in with IAM, as on RDS"
run runuser -u postgres -- psql -q -h "$BASE/pg-socket" -p "$PG_PORT" -c "CREATE USER app_user; GRANT rds_iam TO app_user;"
run mariadb --socket="$BASE/mariadb.sock" -e "CREATE USER 'app_user'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'; GRANT SELECT ON mysql.* TO 'app_user'@'%';"

step "8. Tokens as passwords: the AWS CLI for PostgreSQL, iamdb with the assumed role for MariaDB"
typed "TOKEN=\$(aws rds generate-db-auth-token --profile alice --hostname localhost --port $PG_PORT --region $REGION --username app_user)"
TOKEN=$(aws rds generate-db-auth-token --profile alice --hostname localhost --port "$PG_PORT" --region $REGION --username app_user)
echo "${TOKEN:0:96}..."
show PGPASSWORD='$TOKEN' psql "host=localhost port=$PG_PORT user=app_user dbname=postgres sslmode=verify-full sslrootcert=$CA" -c "SELECT current_user, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
PGPASSWORD=$TOKEN psql "host=localhost port=$PG_PORT user=app_user dbname=postgres sslmode=verify-full sslrootcert=$CA" \
  -c "SELECT current_user, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
typed "TOKEN=\$(iamdb generate-db-auth-token --profile db-role --hostname 127.0.0.1 --port $MY_PORT --username app_user)"
TOKEN=$("$IAMDB" generate-db-auth-token --profile db-role --hostname 127.0.0.1 --port "$MY_PORT" --username app_user)
MY_QUERY='SELECT CURRENT_USER() AS user, VARIABLE_VALUE AS tls FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = "Ssl_version"'
show MYSQL_PWD='$TOKEN' mariadb --host=127.0.0.1 --port="$MY_PORT" --user=app_user --ssl --ssl-ca="$CA" --ssl-verify-server-cert -e "$MY_QUERY"
MYSQL_PWD=$TOKEN mariadb --host=127.0.0.1 --port="$MY_PORT" --user=app_user --ssl --ssl-ca="$CA" --ssl-verify-server-cert -e "$MY_QUERY"

step "9. Refused: a token made for another database user"
typed "WRONG=\$(aws rds generate-db-auth-token --profile alice --hostname localhost --port $PG_PORT --region $REGION --username reporting)"
WRONG=$(aws rds generate-db-auth-token --profile alice --hostname localhost --port "$PG_PORT" --region $REGION --username reporting)
show PGPASSWORD='$WRONG' psql "host=localhost port=$PG_PORT user=app_user dbname=postgres sslmode=verify-full sslrootcert=$CA" -c "SELECT 1"
if PGPASSWORD=$WRONG psql "host=localhost port=$PG_PORT user=app_user dbname=postgres sslmode=verify-full sslrootcert=$CA" -c "SELECT 1" 2>&1; then
  die "the wrong token was accepted"
fi

step "10. The audit log: every attempt, with who, from where, and why"
sleep 0.3  # the audit thread writes within 100 ms
run "$IAMDB" audit --data-dir "$DATA" --kind connect --limit 10

elapsed=$(($(date +%s) - started))
step "Ready ($elapsed s). Try it yourself in another shell:"
cat <<EOF
  export AWS_CONFIG_FILE=$AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE
  export PATH=$BUILD/src/cli:\$PATH

  # PostgreSQL as app_user, with a token from the AWS CLI (user alice)
  PGPASSWORD=\$(aws rds generate-db-auth-token --profile alice --hostname localhost --port $PG_PORT --region $REGION --username app_user) \\
    psql "host=localhost port=$PG_PORT user=app_user dbname=postgres sslmode=verify-full sslrootcert=$CA"

  # MariaDB as app_user through the role (iamdb assumes it for the profile)
  iamdb connect --profile db-role --instance demo-mariadb --user app_user --ssl-ca $CA

  # The IAM API, as the administrator
  aws --profile iamdb-admin --endpoint-url $API iam list-users

  # Every login attempt, as it happens
  iamdb audit --data-dir $DATA --follow

Press Ctrl-C to stop iamdb, PostgreSQL and MariaDB.
EOF
wait "$(cat "$BASE/iamdb.pid")" || true
