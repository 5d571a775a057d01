#!/usr/bin/env bash
# Produces the CLI sample of README.md ("For operators"): builds a small gateway state
# directory, then runs one sequence of commands on it and prints the transcript, every
# command with the output it really gave. Paste the output into README.md as it is.
#
#   npm run build && bash scripts/readme-sample.sh > /tmp/sample.txt
#
# The state lives in $HARDFS_SAMPLE_DIR (default /tmp/gateway, so that the transcript shows
# short paths); the script deletes it first only if an earlier run of this script made it.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cli="$repo/dist/cli/main.cjs"
base="${HARDFS_SAMPLE_DIR:-/tmp/gateway}"
marker=".hardfs-readme-sample"

if [ ! -f "$cli" ]; then
  echo "readme-sample: $cli is missing: run npm run build first" >&2
  exit 2
fi
if [ -e "$base" ] || [ -L "$base" ]; then
  if [ -f "$base/$marker" ] && [ ! -L "$base" ]; then
    rm -rf "$base"
  else
    echo "readme-sample: $base exists and was not made by this script; set HARDFS_SAMPLE_DIR" >&2
    exit 2
  fi
fi

umask 077
mkdir -p "$base"
touch "$base/$marker"
cd "$base"

# --- the state directory, as a gateway left it -----------------------------------------------
# agents/main: a legacy store with an older case variant of a key and a null entry.
mkdir -p state/agents/main/sessions
cat > state/agents/main/sessions/sessions.json <<'JSON'
{
  "agent:main:chat-1": { "updatedAt": 1736845920000, "model": "m1" },
  "Agent:Main:Chat-1": { "updatedAt": 1736000000000, "model": "m0" },
  "agent:main:chat-2": { "updatedAt": 1736848980000 },
  "agent:main:cron": null
}
JSON
# agents/ops: a legacy store in a directory its group can write to.
mkdir -p state/agents/ops/sessions
cat > state/agents/ops/sessions/sessions.json <<'JSON'
{ "agent:ops:deploy": { "updatedAt": 1736850000000 } }
JSON
chmod 0775 state/agents/ops
# agents/intruder: a symlink to a directory outside the state tree.
mkdir -p elsewhere/sessions
echo '{}' > elsewhere/sessions/sessions.json
ln -s "$base/elsewhere" state/agents/intruder

# --- the transcript -----------------------------------------------------------------------
# Each command is printed as typed, then its stdout and stderr; a non-zero exit status is
# shown the way a user would ask for it.
hardfs() {
  printf '$ hardfs %s\n' "$*"
  local status=0
  node "$cli" "$@" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then printf '$ echo $?\n%s\n' "$status"; fi
  echo
}
shell() {
  printf '$ %s\n' "$*"
  eval "$@"
}

hardfs audit state
hardfs audit state --fix
hardfs sessions migrate state
# Later, a crash leaves a temp file behind and someone copies an entry file by hand.
entries=state/agents/main/sessions/sessions.d
shell "touch -d '3 hours ago' $entries/.hardfs-5f0c2a9d8e7b6a5f4e3d2c1b0a998877.tmp"
shell "cp $entries/agent%3Amain%3Achat-2.json $entries/agent%3Amain%3Achat-3.json && chmod 644 $entries/agent%3Amain%3Achat-3.json"
echo
hardfs sessions inspect state/agents/main/sessions/sessions.json
hardfs sessions inspect state/agents/main/sessions/sessions.json agent:main:chat-1
hardfs sessions verify state/agents/main/sessions/sessions.json
hardfs audit state --fix
