#!/usr/bin/env bash
# Back up the production PostgreSQL database (custom format, compressed, consistent snapshot).
# Usage: scripts/backup.sh [DATABASE_URL] [OUT_DIR]   (defaults: $ZHONGFU_DATABASE_URL, ./backups)
set -euo pipefail
url="${1:-${ZHONGFU_DATABASE_URL:?set ZHONGFU_DATABASE_URL or pass the database URL}}"
out="${2:-backups}"
mkdir -p "$out"
file="$out/zhongfu-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --dbname="${url/postgresql+psycopg:/postgresql:}" --file="$file"
echo "$file"
