# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# PostgreSQL, Redis and Docker on the local machine. Requires common.sh and a
# loaded .env. Service data lives in the distribution's default places
# (/var/lib/...) so it survives `npm run down` and re-clones.

# --- PostgreSQL -----------------------------------------------------------

# Sets DB_USER DB_PASSWORD DB_HOST DB_PORT DB_NAME from DATABASE_URL.
parse_database_url() {
  local re='^postgres(ql)?://([^:@/]+):([^@/]*)@([^:/]+)(:([0-9]+))?/([^?]+)'
  [[ "$DATABASE_URL" =~ $re ]] || die "DATABASE_URL must look like postgres://user:password@host:port/db"
  DB_USER="${BASH_REMATCH[2]}"
  DB_PASSWORD="$(_url_decode "${BASH_REMATCH[3]}")"
  DB_HOST="${BASH_REMATCH[4]}"
  DB_PORT="${BASH_REMATCH[6]:-5432}"
  DB_NAME="${BASH_REMATCH[7]}"
}

_url_decode() {
  local s="${1//+/ }"
  printf '%b' "${s//%/\\x}"
}

# psql as the postgres superuser over the local socket. SQL comes on stdin and
# takes values only through psql variables (:'var' / :"var") or \getenv.
_pg_admin() {
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$DB_PORT" -d postgres "$@"
}

_pg_cluster_for_port() {
  # pg_lsclusters: Ver Cluster Port Status Owner Datadir Logfile
  pg_lsclusters --no-header 2>/dev/null | awk -v port="$1" '$3 == port { print $1, $2, $4; exit }'
}

ensure_postgres() {
  local cluster ver name status
  parse_database_url
  if ! is_root; then
    # Without root we can only check that the configured database works.
    PGPASSWORD="$DB_PASSWORD" psql -X -q -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" \
      -c 'select 1' >/dev/null 2>&1 ||
      die "PostgreSQL at $DB_HOST:$DB_PORT is not reachable as $DB_USER; run npm run up as root once"
    return 0
  fi
  command -v pg_lsclusters >/dev/null || die "postgresql is not installed"

  cluster="$(_pg_cluster_for_port "$DB_PORT")"
  if [[ -z "$cluster" ]]; then
    ver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -1)"
    [[ -n "$ver" ]] || die "no PostgreSQL server version found in /usr/lib/postgresql"
    info "creating PostgreSQL cluster $ver/main on port $DB_PORT"
    pg_createcluster --port "$DB_PORT" "$ver" main >/dev/null || die "pg_createcluster failed"
    cluster="$(_pg_cluster_for_port "$DB_PORT")"
  fi
  read -r ver name status <<<"$cluster"
  if [[ "$status" != online* ]]; then
    info "starting PostgreSQL cluster $ver/$name"
    pg_ctlcluster "$ver" "$name" start || die "could not start PostgreSQL $ver/$name (see /var/log/postgresql/)"
  fi
  wait_until 30 "PostgreSQL on port $DB_PORT" pg_isready -q -h 127.0.0.1 -p "$DB_PORT" ||
    die "PostgreSQL is not accepting connections"

  local out
  out="$(SAAS_DB_PASSWORD="$DB_PASSWORD" _pg_admin -t -A -v role="$DB_USER" -v db="$DB_NAME" <<'SQL'
\getenv pw SAAS_DB_PASSWORD
SELECT 'created role ' || :'role' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role');
SELECT format('CREATE ROLE %I LOGIN CREATEDB CREATEROLE PASSWORD %L', :'role', :'pw')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
-- Keep the role's password and attributes in line with .env on every run.
SELECT format('ALTER ROLE %I LOGIN CREATEDB CREATEROLE PASSWORD %L', :'role', :'pw') \gexec
SELECT 'created database ' || :'db' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db');
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
)" || die "could not create the PostgreSQL role/database"
  [[ -z "$out" ]] || while IFS= read -r line; do ok "PostgreSQL: $line"; done <<<"$out"
}

# recreate_database NAME: drops and creates NAME owned by the app role.
recreate_database() {
  parse_database_url
  is_root || die "recreating the test database needs root (runuser -u postgres)"
  _pg_admin -v db="$1" -v role="$DB_USER" <<'SQL' || die "could not recreate database $1"
SET client_min_messages = warning;
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') \gexec
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'db') \gexec
SQL
  ok "recreated database $1"
}

# --- Redis ----------------------------------------------------------------

_redis_ping() { [[ "$(redis-cli -h "$1" -p "$2" ping 2>/dev/null)" == PONG ]]; }

ensure_redis() {
  local host port
  host="$(url_host "$REDIS_URL")"
  port="$(url_port "$REDIS_URL" 6379)"
  if ! is_hostname "$host" || ! is_port "$port"; then
    die "REDIS_URL has an invalid host or port"
  fi
  _redis_ping "$host" "$port" && return 0
  [[ "$host" == 127.0.0.1 || "$host" == localhost ]] || die "Redis at $host:$port is not answering"

  info "starting redis-server on 127.0.0.1:$port"
  if is_root && [[ "$port" == 6379 && -x /etc/init.d/redis-server ]]; then
    # Debian's init script: runs as the redis user with /etc/redis/redis.conf.
    /etc/init.d/redis-server start >/dev/null 2>&1 || warn "redis init script failed; starting directly"
  fi
  if ! wait_until 5 "Redis" _redis_ping 127.0.0.1 "$port"; then
    local dir=/var/lib/redis
    is_root || dir="$RUN_DIR/redis"
    mkdir -p "$dir"
    if is_root && id redis >/dev/null 2>&1; then
      chown redis:redis "$dir"
      runuser -u redis -- redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir" \
        --logfile "$dir/redis-server.log" >/dev/null
    else
      redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir" \
        --logfile "$dir/redis-server.log" >/dev/null
    fi
  fi
  wait_until 20 "Redis" _redis_ping 127.0.0.1 "$port" || die "Redis did not answer PING"
  ok "Redis is running on 127.0.0.1:$port"
}

# --- Docker ---------------------------------------------------------------

ensure_docker() {
  docker info >/dev/null 2>&1 && return 0
  is_root || die "the Docker engine is not running and starting it needs root"
  command -v dockerd >/dev/null || die "dockerd not found (apt-get install docker.io)"
  mkdir -p "$RUN_DIR"
  # Without systemd nothing may have mounted the cgroup hierarchy dockerd needs.
  if [[ -d /sys/fs/cgroup ]] && ! mountpoint -q /sys/fs/cgroup; then
    mount -t cgroup2 none /sys/fs/cgroup || warn "could not mount cgroup2 on /sys/fs/cgroup"
  fi
  info "starting dockerd (log: .run/dockerd.log)"
  (exec setsid nohup dockerd </dev/null >>"$RUN_DIR/dockerd.log" 2>&1) &
  wait_until 30 "the Docker engine" docker info || {
    tail -n 20 "$RUN_DIR/dockerd.log" >&2 || true
    die "dockerd did not come up"
  }
  ok "Docker engine is running"
}

# --- PostgreSQL for Odoo containers ------------------------------------------

# Lets Odoo containers reach the tenants' PostgreSQL (here the same server):
# it listens on the Docker host gateway too, and pg_hba admits from the instance
# subnet pool only members of the platform's instance group (<prefix>_instances,
# which the platform grants to each instance role), each to the database of the
# same name (and `postgres`): never the platform's own role, nor another
# platform's instances. Also closes the platform's database to other roles.
# ensure_postgres_for_containers [POOL [PREFIX]]: POOL defaults to INSTANCE_SUBNET_POOL,
# PREFIX to RESOURCE_PREFIX.
# shellcheck disable=SC2120 # the pool is optional
ensure_postgres_for_containers() {
  is_root || return 0
  local pool="${1:-${INSTANCE_SUBNET_POOL:-10.213.0.0/16}}" prefix="${2:-${RESOURCE_PREFIX:-saas}}"
  local group gateway hba listen ver name status cluster changed=0
  [[ "$prefix" =~ ^[a-z][a-z0-9]{0,15}$ ]] || die "RESOURCE_PREFIX must be lowercase letters and digits"
  group="${prefix}_instances"
  parse_database_url
  [[ "$pool" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] || die "INSTANCE_SUBNET_POOL must be an IPv4 CIDR"
  # The default bridge's gateway (host-gateway): its IPAM gateway, or the subnet's first address as Docker assigns it.
  gateway="$(docker network inspect bridge -f '{{with index .IPAM.Config 0}}{{.Gateway}} {{.Subnet}}{{end}}' 2>/dev/null)" ||
    die "cannot read the Docker bridge network"
  if [[ "$gateway" == " "* ]]; then
    local subnet="${gateway# }" a b c d
    IFS=./ read -r a b c d _ <<<"$subnet"
    gateway="$a.$b.$c.$((d + 1))"
  else
    gateway="${gateway%% *}"
  fi
  [[ "$gateway" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "unexpected Docker bridge gateway '$gateway'"

  # Every Odoo process keeps a few connections (its pool, the cron's LISTEN): 100 would serve a
  # few dozen instances. A connection that waits costs a few hundred KiB.
  if (("$(_pg_admin -t -A -c 'SHOW max_connections')" < 500)); then
    _pg_admin -c 'ALTER SYSTEM SET max_connections = 500' >/dev/null
    changed=1
  fi
  listen="$(_pg_admin -t -A -c 'SHOW listen_addresses')"
  if [[ ",$listen," != *",$gateway,"* && "$listen" != "*" ]]; then
    _pg_admin -v v="localhost,$gateway" <<'SQL' >/dev/null
SELECT format('ALTER SYSTEM SET listen_addresses = %L', :'v') \gexec
SQL
    changed=1
  fi
  hba="$(_pg_admin -t -A -c 'SHOW hba_file')"
  # The group must exist for pg_hba to match its members (the platform creates it too).
  _pg_admin -v g="$group" <<'SQL' >/dev/null || die "could not create the role $group"
SELECT format('CREATE ROLE %I NOLOGIN', :'g') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'g') \gexec
SQL
  # Odoo connects to `postgres` too: its server checks there whether its database exists, and
  # its bus and cron LISTEN there; that database holds no data.
  # The platform's role is a member of every instance role (it creates their databases and hands
  # objects to them), so through them of the group too: it is refused from the pool by name first.
  local reject="host    all    $DB_USER    $pool    reject"
  local rule="host    sameuser,postgres    +$group    $pool    scram-sha-256"
  local marker="# saas: odoo containers $pool"
  # Rules of earlier versions admitted every role (`all`), the platform's own included: removed.
  if grep -qE '^host +sameuser,postgres +all ' "$hba"; then
    sed -i -E '/^# saas: odoo containers /{N;/\nhost +sameuser,postgres +all /d}' "$hba"
    changed=1
  fi
  if [[ "$(grep -A2 -xF "$marker" "$hba")" != "$marker"$'\n'"$reject"$'\n'"$rule" ]]; then
    # This pool's block (the marker and its rules) is written anew at the end.
    awk -v m="$marker" -v p="    $pool    " '$0 == m || (index($0, p) && $1 == "host") { next } { print }' "$hba" >"$hba.saas-tmp"
    cat "$hba.saas-tmp" >"$hba" && rm -f "$hba.saas-tmp"
    printf '%s\n%s\n%s\n' "$marker" "$reject" "$rule" >>"$hba"
    changed=1
  fi
  if ((changed)); then
    cluster="$(_pg_cluster_for_port "$DB_PORT")"
    read -r ver name status <<<"$cluster"
    info "restarting PostgreSQL $ver/$name for containers (listening on $gateway, max_connections 500)"
    pg_ctlcluster "$ver" "$name" restart || die "could not restart PostgreSQL"
    wait_until 30 "PostgreSQL" pg_isready -q -h 127.0.0.1 -p "$DB_PORT" || die "PostgreSQL did not come back"
  fi
  _pg_admin -v db="$DB_NAME" <<'SQL' >/dev/null || die "could not restrict database access"
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'db') \gexec
SQL
  ok "PostgreSQL reachable from Odoo containers at $gateway (pg_hba: members of $group, sameuser, from $pool)"
}

# ensure_postgres_for_test_containers: the same for the tests' instances, whose subnet pools live in
# apps/server/test/subnet-pools.env, the file the tests read them from.
ensure_postgres_for_test_containers() {
  local STANDIN_SUBNET_POOL ODOO_SUBNET_POOL STANDIN_RESOURCE_PREFIX ODOO_RESOURCE_PREFIX
  # shellcheck source=../../apps/server/test/subnet-pools.env
  . "$ROOT/apps/server/test/subnet-pools.env" || die "cannot read apps/server/test/subnet-pools.env"
  ensure_postgres_for_containers "$STANDIN_SUBNET_POOL" "$STANDIN_RESOURCE_PREFIX"
  ensure_postgres_for_containers "$ODOO_SUBNET_POOL" "$ODOO_RESOURCE_PREFIX"
}
