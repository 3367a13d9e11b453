#!/usr/bin/env bash
# Deploys the platform on a Docker Swarm (docs/deploy.md#on-a-swarm-stack), from a manager or with DOCKER_HOST
# pointing at one:
#
#   scripts/deploy-stack.sh [--env-file deploy/platform.env] [--secrets-dir deploy/secrets] [--stack saas] [--datastores]
#                           [--monitoring]
#   scripts/deploy-stack.sh --remove [--stack saas]
#
# 1. reads the env file (the stack's settings, deploy/platform.env.example);
# 2. creates each missing Docker secret <stack>_<name> from <secrets-dir>/<name>: database_url, redis_url and
#    smtp_url must be there (smtp_url may be empty: local mode's mailbox); jwt_secret, encryption_key,
#    backup_encryption_key and alertmanager_webhook_token are generated into the directory first (mode 600)
#    when missing. Keep a copy of that directory elsewhere: backups cannot be read without their key;
#    With --datastores (PostgreSQL and Redis as services, deploy/stack.datastores.yaml), postgres_password is
#    generated too, and database_url and redis_url default to those services;
# 3. makes the stack's overlay network <stack>_platform if missing (with --datastores, deploys them first);
# 4. runs the migrations as a one-shot job (saas-platform migrate, a replicated-job service) and waits for it;
# 5. docker stack deploy -c deploy/stack.yaml: the API and the worker roll over start-first. Services dropped from
#    the files are not pruned (a deploy without --datastores must not remove PostgreSQL): docker service rm them.
#    With --monitoring, deploy/stack.monitoring.yaml too (Prometheus, Alertmanager, the exporters; docs/deploy.md#monitoring):
#    its configuration is rendered first by the platform image (cli monitoring-config --stack), and a node must carry
#    the label saas.monitoring=true (their data volumes live there).
# The images must be on the nodes (docker save | docker load, or a registry the nodes pull from).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$ROOT/deploy/platform.env"
SECRETS_DIR="$ROOT/deploy/secrets"
STACK=''
REMOVE=''
DATASTORES=''
MONITORING=''
MIGRATE_TIMEOUT="${MIGRATE_TIMEOUT:-300}"

die() {
  printf 'deploy-stack: %s\n' "$*" >&2
  exit 1
}
say() { printf 'deploy-stack: %s\n' "$*" >&2; }

while (($# > 0)); do
  case "$1" in
    --env-file) ENV_FILE="${2:?}" && shift ;;
    --secrets-dir) SECRETS_DIR="${2:?}" && shift ;;
    --stack) STACK="${2:?}" && shift ;;
    --remove) REMOVE=1 ;;
    --datastores) DATASTORES=1 ;;
    --monitoring) MONITORING=1 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p;}' "${BASH_SOURCE[0]}" && exit 0 ;;
    *) die "unknown argument $1 (--help)" ;;
  esac
  shift
done

if [[ -z "$REMOVE" ]]; then
  [[ -f "$ENV_FILE" ]] || die "no env file at $ENV_FILE (copy deploy/platform.env.example)"
  # The stack file reads these settings ("${VAR}"); exported for docker stack deploy. Read as docker's --env-file
  # reads them (NAME=value, the value literal, no quotes or expansions), not sourced: the job below reads the same file.
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "$ENV_FILE: not NAME=value: $line"
    export "${line?}"
  done <"$ENV_FILE"
fi
STACK="${STACK:-${STACK_NAME:-saas}}"
[[ "$STACK" =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "stack name '$STACK': lower-case letters, digits and dashes"
export STACK_NAME="$STACK"
NETWORK="${STACK}_platform"
SECRETS=(database_url redis_url jwt_secret encryption_key backup_encryption_key smtp_url alertmanager_webhook_token)
FILES=(-c "$ROOT/deploy/stack.yaml")
if [[ -n "$DATASTORES" ]]; then
  SECRETS=(postgres_password "${SECRETS[@]}")
  FILES+=(-c "$ROOT/deploy/stack.datastores.yaml")
fi
[[ -z "$MONITORING" ]] || FILES+=(-c "$ROOT/deploy/stack.monitoring.yaml")

if [[ -n "$REMOVE" ]]; then
  # Secrets, volumes and the network stay: a redeploy finds them (remove them by hand to start over).
  docker stack rm "$STACK" >/dev/null 2>&1 || true
  docker service rm "${STACK}_migrate" >/dev/null 2>&1 || true
  say "stack $STACK removed"
  exit 0
fi

[[ -n "${SAAS_VERSION:-}" ]] || die "SAAS_VERSION is not set in $ENV_FILE"
[[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" == true ]] || die "the engine at ${DOCKER_HOST:-the local socket} is not a swarm manager"

# --- secrets
generate() {
  case "$1" in
    jwt_secret | alertmanager_webhook_token | postgres_password) openssl rand -hex 32 ;;
    database_url) [[ -n "$DATASTORES" ]] && printf 'postgres://saas:%s@postgres:5432/saas' "$(tr -d '\n' <"$SECRETS_DIR/postgres_password")" ;;
    redis_url) [[ -n "$DATASTORES" ]] && printf 'redis://redis:6379/0' ;;
    encryption_key | backup_encryption_key) openssl rand -base64 32 ;;
    *) return 1 ;;
  esac
}
for name in "${SECRETS[@]}"; do
  docker secret inspect "${STACK}_$name" >/dev/null 2>&1 && continue
  file="$SECRETS_DIR/$name"
  if [[ ! -f "$file" ]]; then
    value="$(generate "$name")" || die "$file is missing: write the value of ${name^^} there (docs/deploy.md)"
    mkdir -p "$SECRETS_DIR"
    (umask 077 && printf '%s\n' "$value" >"$file")
    say "generated $file"
  fi
  # A secret cannot be empty: an empty file (no SMTP server) becomes a line break, which the platform drops.
  if [[ -s "$file" ]]; then cat "$file"; else printf '\n'; fi |
    docker secret create --label "org.odoo-saas.stack=$STACK" "${STACK}_$name" - >/dev/null
  say "created secret ${STACK}_$name"
done

# --- network
if ! docker network inspect "$NETWORK" >/dev/null 2>&1; then
  docker network create --driver overlay --attachable --label "org.odoo-saas.stack=$STACK" "$NETWORK" >/dev/null
  say "created network $NETWORK"
fi

if [[ -n "$DATASTORES" ]]; then
  docker stack deploy --resolve-image never -c "$ROOT/deploy/stack.datastores.yaml" "$STACK" >&2
  say "datastores deployed; the migrations' job retries until PostgreSQL answers"
fi

# --- migrations: one task that must complete before the services roll over
job="${STACK}_migrate"
docker service rm "$job" >/dev/null 2>&1 || true
args=(--detach --quiet --name "$job" --mode replicated-job --network "$NETWORK"
  --restart-delay 5s
  --env-file "$ENV_FILE" --read-only --mount type=tmpfs,target=/tmp --user 10001:10001
  --label "org.odoo-saas.stack=$STACK")
# PostgreSQL of the stack may still be starting: then a failed attempt is retried (ten times, 5 s apart).
if [[ -n "$DATASTORES" ]]; then args+=(--restart-condition on-failure --restart-max-attempts 10); else args+=(--restart-condition none); fi
for name in "${SECRETS[@]}"; do
  [[ "$name" == postgres_password ]] && continue
  args+=(--secret "source=${STACK}_$name,target=$name" --env "${name^^}_FILE=/run/secrets/$name")
done
docker service create --no-resolve-image "${args[@]}" "saas-platform:$SAAS_VERSION" migrate >/dev/null
say "migrating (job $job)"
deadline=$((SECONDS + MIGRATE_TIMEOUT))
state=''
while ((SECONDS < deadline)); do
  state="$(docker service ps "$job" --format '{{.CurrentState}}|{{.Error}}' 2>/dev/null | head -n 1)"
  case "$state" in
    Complete*) break ;;
    Failed* | Rejected* | Shutdown*)
      # Retried while attempts remain (--datastores): the next task shows up after the delay.
      if [[ -n "$DATASTORES" ]] && (($(docker service ps "$job" -q | wc -l) <= 10)); then
        sleep 1
        continue
      fi
      docker service logs --raw "$job" 2>&1 | tail -n 30 >&2 || true
      docker service rm "$job" >/dev/null 2>&1 || true
      die "the migrations failed: $state"
      ;;
  esac
  sleep 1
done
[[ "$state" == Complete* ]] || {
  docker service rm "$job" >/dev/null 2>&1 || true
  die "the migrations did not complete within ${MIGRATE_TIMEOUT}s (last state: ${state:-none})"
}
docker service rm "$job" >/dev/null
say "migrations applied"

# --- monitoring: its configuration as Docker configs named by their content's hash (deploy/stack.monitoring.yaml)
if [[ -n "$MONITORING" ]]; then
  [[ -n "$(docker node ls --filter node.label=saas.monitoring=true --quiet)" ]] ||
    die "--monitoring: no node is labelled for Prometheus's data: docker node update --label-add saas.monitoring=true <node>"
  MONITORING_CONFIG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/saas-monitoring.XXXXXX")"
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -rf '$MONITORING_CONFIG_DIR'" EXIT
  # From the listeners deploy/stack.yaml gives the API and the worker (the defaults): none of the secrets needed.
  # Copied out with docker cp, not a bind mount: the engine may be a remote manager's (DOCKER_HOST).
  renderer="${STACK}_monitoring_config"
  docker rm --force "$renderer" >/dev/null 2>&1 || true
  docker create --name "$renderer" --network none --cap-drop ALL "saas-platform:$SAAS_VERSION" \
    cli monitoring-config --stack --out /tmp/monitoring >/dev/null
  if ! docker start --attach "$renderer" >/dev/null || ! docker cp "$renderer:/tmp/monitoring/." "$MONITORING_CONFIG_DIR"; then
    docker rm --force "$renderer" >/dev/null 2>&1 || true
    die "rendering the monitoring configuration failed"
  fi
  docker rm "$renderer" >/dev/null
  MONITORING_CONFIG_HASH="$(cd "$MONITORING_CONFIG_DIR" && cat prometheus.yml alert-rules.yml alertmanager.yml | sha256sum | cut -c1-12)"
  export MONITORING_CONFIG_DIR MONITORING_CONFIG_HASH
  say "monitoring configuration $MONITORING_CONFIG_HASH rendered"
fi

# --- the services
docker stack deploy --resolve-image never "${FILES[@]}" "$STACK" >&2
say "stack $STACK deployed: docker stack ps $STACK"
