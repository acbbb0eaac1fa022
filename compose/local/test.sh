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
compose/local/servers.sh fresh-vhost

# Python suites run on Debian's interpreter and packages (PyPI is not reachable from CI).
python_packages=(python3-django python3-django-redis python3-pytest python3-psycopg2 python3-redis python3-pika python3-pymemcache)
missing=()
for package in "${python_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if (( ${#missing[@]} > 0 )); then
  echo "test.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build CacheBus.sln -c Release --nologo -v quiet

passed=0 failed=0 skipped=0 status=0
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  log="$(mktemp)"
  echo "== $name"
  # xUnit v3 test projects are programs; their summary line is
  #   <name>  Total: 18, Errors: 0, Failed: 0, Skipped: 0, Not Run: 0, Time: 10.6s
  # -showLiveOutput: the fault table, WAL retention and standby take-over figures are printed as they are measured.
  "tests/$name/bin/Release/net10.0/$name" -noColor -showLiveOutput 2>&1 | tee "$log" || status=1
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

# pytest's closing line, e.g. "1 failed, 12 passed, 1 skipped in 9.81s"; exit code 5 means it found no test.
for suite in tests/django services/cachebus-django/tests; do
  [[ -d "$suite" ]] || continue
  log="$(mktemp)"
  echo "== $suite"
  /usr/bin/python3 -m pytest "$suite" -q -p no:cacheprovider 2>&1 | tee "$log" || status=1
  summary="$(grep -E '^=*\s*[0-9]+ (passed|failed|error)' "$log" | tail -n 1)" || true
  [[ -n "$summary" ]] || { echo "test.sh: $suite printed no summary" >&2; status=1; }
  pycount() { grep -oE "[0-9]+ $1" <<<"$summary" | grep -oE '[0-9]+' || echo 0; }
  passed=$(( passed + $(pycount passed) ))
  failed=$(( failed + $(pycount failed) + $(pycount error) ))
  skipped=$(( skipped + $(pycount skipped) + $(pycount xfailed) ))
  rm -f "$log"
done

echo "$passed passed, $failed failed, $skipped skipped"
if (( failed > 0 || skipped > 0 || passed == 0 )); then
  status=1
fi
exit "$status"
