#!/bin/sh
# Writes the compose file's secrets once (never overwrites): the Redis password, the gateway's
# cache URL carrying it, and the cache secret that seals values in Redis. Run from anywhere.
set -eu
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"
chmod 700 "$dir"  # only you can reach them on the host; the containers see them read-only
umask 022         # readable inside the containers, which run as uid 10001 and 10002
random() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
if [ ! -s "$dir/redis_password" ]; then
  python3 -c 'import secrets; print(secrets.token_hex(32))' > "$dir/redis_password"
fi
if [ ! -s "$dir/GO4GRAPH_CACHE_URL" ]; then
  printf 'redis://:%s@redis:6379/0\n' "$(cat "$dir/redis_password")" > "$dir/GO4GRAPH_CACHE_URL"
fi
if [ ! -s "$dir/GO4GRAPH_CACHE_SECRET" ]; then
  random > "$dir/GO4GRAPH_CACHE_SECRET"
fi
echo "secrets in $dir: redis_password, GO4GRAPH_CACHE_URL, GO4GRAPH_CACHE_SECRET"
