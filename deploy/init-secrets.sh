#!/bin/sh
# Creates the secrets that the gateway replicas and Valkey share, once, so none is committed:
# run by the secrets-init service of the two-replica compose example (deploy/compose.replicas.yaml),
# and by hand for Kubernetes (docs/deployment.md, "Kubernetes": the files become the Secrets).
#
#   init-secrets.sh <gateway-dir> <valkey-dir>
#
# <gateway-dir>/cookie-secret  ZITAUTH_COOKIE_SECRET_FILE of every replica (64 hex = 256 bits)
# <gateway-dir>/redis-url      ZITAUTH_REDIS_URL_FILE: redis://zitauth:<password>@valkey:6379/0
#                              ("valkey" is the compose service and the Kubernetes Service)
# <valkey-dir>/users.acl       Valkey's --aclfile: the least-privilege user of docs/deployment.md
#                              ("Redis/Valkey") with the password's SHA-256, so this file holds
#                              no secret; the default user may only PING (health checks).
#
# Re-runs keep what exists: a new cookie secret would make every stored session unreadable, a new
# password would lock the running replicas out. Delete the files to start over.
# POSIX sh + head/sha256sum/cut only: it runs in the Valkey image's busybox and in the tests.
set -eu

gateway_dir=${1:?usage: init-secrets.sh <gateway-dir> <valkey-dir>}
valkey_dir=${2:?usage: init-secrets.sh <gateway-dir> <valkey-dir>}
umask 077

# 32 random bytes, hashed to 64 hex characters: URL-safe (the password sits in a URL) and long
# enough for ZITAUTH_COOKIE_SECRET (at least 32 characters).
random_hex() { head -c 32 /dev/urandom | sha256sum | cut -c1-64; }

# Written next to the target and renamed: a crash never leaves a half-written secret behind.
write() { printf '%s' "$2" > "$1.tmp" && mv "$1.tmp" "$1"; }

if [ ! -s "$gateway_dir/cookie-secret" ]; then
  write "$gateway_dir/cookie-secret" "$(random_hex)"
  echo "init-secrets: created the shared cookie secret"
fi

# The URL and the ACL file carry the same password: made together or not at all.
if [ ! -s "$gateway_dir/redis-url" ] || [ ! -s "$valkey_dir/users.acl" ]; then
  password=$(random_hex)
  hash=$(printf '%s' "$password" | sha256sum | cut -c1-64)
  write "$gateway_dir/redis-url" "redis://zitauth:$password@valkey:6379/0"
  write "$valkey_dir/users.acl" "user default reset on nopass +ping
user zitauth reset on #$hash ~zitauth:* resetchannels +hello +ping +select +get +set +del +pexpire +pttl +eval +evalsha +time +zadd +zcard +zremrangebyscore +zrangebyscore
"
  echo "init-secrets: created the Valkey user zitauth and its URL"
fi

# The gateway runs as 65532 (the image's user) and alone reads its secrets; Valkey drops to its
# own user, so the hash-only ACL file is world-readable.
chmod 0400 "$gateway_dir/cookie-secret" "$gateway_dir/redis-url"
chmod 0444 "$valkey_dir/users.acl"
chmod 0700 "$gateway_dir"
chmod 0755 "$valkey_dir"
if [ "$(id -u)" = 0 ]; then
  chown 65532:65532 "$gateway_dir" "$gateway_dir/cookie-secret" "$gateway_dir/redis-url"
fi
