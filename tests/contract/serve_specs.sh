#!/usr/bin/env bash
# Twilio's OpenAPI specs (tests/contract/specs/) as validating mocks on
# loopback, one Stoplight Prism process per spec, plain HTTP:
#   tests/contract/serve_specs.sh BASE_PORT
#     Verify v2 on BASE_PORT, the 2010-04-01 API (Messages, Calls) on
#     BASE_PORT+1, Lookup v2 on BASE_PORT+2, all on 127.0.0.1.
# Prism answers a request that breaks the spec with a 4xx problem+json that
# names what is wrong (401 no Basic auth, 415 not a form, 422 a required
# parameter missing, 404 no such path), and a valid one with the spec's
# example. Once all three answer, prints one line
#   ready verify=URL api=URL lookups=URL
# and stays in the foreground; TERM or INT stops the three. Exits non-zero
# if a mock does not start, or stops by itself.
#
# Prism comes from npm (node and npm: Debian's nodejs and npm), pinned, and
# is installed once into PRISM_HOME (default ~/.cache/twilio-contract).
set -euo pipefail

prism_version=5.14.2  # pinned: the 4xx answers above are what this version gives
specs=$(cd "$(dirname "$0")/specs" && pwd)
base=${1:?usage: serve_specs.sh BASE_PORT}
prism_home=${PRISM_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/twilio-contract}
prism=$prism_home/node_modules/.bin/prism

# The version npm installed, read from the package itself; empty if none.
installed_version() {
  local manifest=$prism_home/node_modules/@stoplight/prism-cli/package.json
  if [ -f "$manifest" ]; then node -p "require(process.argv[1]).version" "$manifest" 2>/dev/null || true; fi
}
if [ "$(installed_version)" != "$prism_version" ] || [ ! -x "$prism" ]; then
  command -v npm >/dev/null || { echo "serve_specs: npm not found (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$prism_home"
  echo "serve_specs: installing @stoplight/prism-cli@$prism_version into $prism_home" >&2
  npm install --prefix "$prism_home" --no-audit --no-fund --loglevel=error \
    "@stoplight/prism-cli@$prism_version" >&2
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/twotp-prism.XXXXXX")
mock_pids=()
stop_mocks() {
  [ ${#mock_pids[@]} -eq 0 ] || kill "${mock_pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$logs"
}
trap stop_mocks EXIT
# A signal ends the script through exit, so the EXIT trap stops the mocks.
trap 'exit 143' TERM
trap 'exit 130' INT

ports=("$base" $((base + 1)) $((base + 2)))
spec_files=(twilio_verify_v2.json twilio_api_v2010.json twilio_lookups_v2.json)
for i in 0 1 2; do
  "$prism" mock --host 127.0.0.1 --port "${ports[i]}" "$specs/${spec_files[i]}" \
    >"$logs/${spec_files[i]}.log" 2>&1 &
  mock_pids+=($!)
done

# answers PORT: something listens there and speaks HTTP (any status will do).
answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; }
# Until all three answer; a mock that exits ends the wait at once. The
# 1.9 MB API spec takes Prism a few seconds to load; the limit only keeps a
# hung start from hanging the caller.
for ((tries = 0; tries < 600; tries++)); do
  waiting=0
  for i in 0 1 2; do
    if ! kill -0 "${mock_pids[i]}" 2>/dev/null; then
      echo "serve_specs: the mock of ${spec_files[i]} exited; its log:" >&2
      tail -n 15 "$logs/${spec_files[i]}.log" >&2
      exit 1
    fi
    answers "${ports[i]}" || waiting=1
  done
  [ "$waiting" -eq 0 ] && break
  sleep 0.2
done
if [ "$waiting" -ne 0 ]; then
  echo "serve_specs: the mocks did not answer within 2 minutes; their logs:" >&2
  tail -n 5 "$logs"/*.log >&2
  exit 1
fi
echo "ready verify=http://127.0.0.1:${ports[0]} api=http://127.0.0.1:${ports[1]} lookups=http://127.0.0.1:${ports[2]}"

# Serve until a signal; a mock that stops by itself is a failure.
wait -n "${mock_pids[@]}" || true
echo "serve_specs: a mock stopped by itself" >&2
exit 1
