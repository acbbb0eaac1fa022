#!/usr/bin/env bash
# Runs every test of the repository against real servers on loopback, starting them first.
#
#   compose/local/test.sh
#
# Ends with one line `N passed, N failed, N skipped` summed over every suite, and exits non-zero when a test
# failed, was skipped, or when no test ran at all: a suite that silently ran nothing is a failure, not a pass.
set -euo pipefail
cd "$(dirname "$0")/../.."

eval "$(compose/local/servers.sh up)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build CacheBus.sln -c Release --nologo -v quiet

passed=0 failed=0 skipped=0 status=0
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  log="$(mktemp)"
  echo "== $name"
  # xUnit v3 test projects are programs; their summary line is
  #   <name>  Total: 18, Errors: 0, Failed: 0, Skipped: 0, Not Run: 0, Time: 10.6s
  "tests/$name/bin/Release/net10.0/$name" -noColor 2>&1 | tee "$log" || status=1
  summary="$(grep -E "^\s*$name\s+Total: " "$log" | tail -n 1)" || true
  if [[ -z "$summary" ]]; then
    echo "test.sh: $name printed no summary" >&2
    status=1
    continue
  fi
  count() { sed -E "s/.*[ ,]$1: ([0-9]+).*/\1/" <<<"$summary"; }
  total=$(count Total) errors=$(count Errors) fails=$(count Failed) skips=$(( $(count Skipped) + $(count 'Not Run') ))
  passed=$(( passed + total - fails - skips ))
  failed=$(( failed + fails + errors ))
  skipped=$(( skipped + skips ))
  rm -f "$log"
done

echo "$passed passed, $failed failed, $skipped skipped"
if (( failed > 0 || skipped > 0 || passed == 0 )); then
  status=1
fi
exit "$status"
