#!/usr/bin/env bash
# Load test on loopback: gunicorn + PostgreSQL (the city data set), mixed traffic with locust,
# then a claim storm. Bounded in time; stops by itself. See BENCHMARKS in the README.
#   scripts/loadtest.sh [DATABASE_URL] [USERS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:-postgresql://postgres@127.0.0.1:5432/zhongfu_city}"
users="${2:-200}"
seconds="${3:-200}"
port=8765
export ZHONGFU_DATABASE_URL="$db"
export ZHONGFU_INSTANCE_PATH="${ZHONGFU_INSTANCE_PATH:-$(mktemp -d)}"
# Every simulated user logs in from 127.0.0.1: lift the per-address login limit for this run only.
export ZHONGFU_LOGIN_RATE_LIMIT="100000 per minute"
.venv/bin/zhongfu bench web --repeat 3 >/dev/null   # creates bench_staff / bench_member
.venv/bin/gunicorn -c gunicorn.conf.py marketplace.wsgi:app --bind "127.0.0.1:$port" \
  --workers "${GUNICORN_WORKERS:-3}" --threads "${GUNICORN_THREADS:-4}" >"$ZHONGFU_INSTANCE_PATH/gunicorn.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 1; done
# Stats are reset once every user has logged in (argon2id logins are the ramp-up, not the load).
.venv/bin/locust -f loadtest/locustfile.py --headless -u "$users" -r 10 -t "${seconds}s" --reset-stats \
  --host "http://127.0.0.1:$port" --only-summary --stop-timeout 5 2>&1 | tail -40
.venv/bin/python scripts/claim_storm.py --base-url "http://127.0.0.1:$port" --db-url "$db" --users 500 --wishes 20
