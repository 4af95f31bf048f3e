# Sourced by `make test`: start the PostgreSQL and Redis the tests use when they are down,
# and point the tests at PostgreSQL. Tests start their own Redis servers on free ports; the
# machine's Redis and PostgreSQL are started with the commands this machine documents.

_pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }

if ! _pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 30); do _pg_up && break; sleep 1; done
fi
if _pg_up; then
    export MODERATION_TEST_POSTGRES_URL="${MODERATION_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
else
    echo "PostgreSQL is not running: its tests will skip (and fail under CI=true)" >&2
fi

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
        echo "starting Redis" >&2
        mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
            --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    fi
fi
