#!/usr/bin/env bash
# Lists every public type of one library (src/NAME) and where it is used outside that library, to review what must
# stay public. For each type: the folders that name it (other src/ libraries, the CLI, samples/, bench/, tests/),
# and a verdict:
#   user      named in samples/, docs/LIBRARY.md, src/SafeWire.AspNetCore or another library's public API: users need it
#   repo      named only by other src/ projects of this repository (candidate for internal + InternalsVisibleTo)
#   tests     named only by tests/ (and bench/): candidate for internal (tests see internals)
#   unused    named nowhere outside its library: candidate for internal
# The match is by simple type name on word boundaries, so a common name (Alert, Secrets) may over-report; read the
# listed files before deciding. A type that a public member of its own library takes, returns or derives from (an
# options base class, a result record, an enum on an exception) must stay public whatever the verdict: make it
# internal and the compiler says so (CS0050-CS0061).
# Usage: scripts/public-api-usage.sh src/SafeWire [--brief]
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${1:?usage: scripts/public-api-usage.sh src/LIBRARY [--brief]}
lib=${lib%/}
brief=${2:-}
[ -d "$lib" ] || { echo "public-api-usage: no folder $lib" >&2; exit 1; }

# Public top-level and nested type names declared in the library (generic arity dropped).
mapfile -t types < <(grep -rhoE --include='*.cs' \
  '^\s*public\s+((sealed|static|abstract|readonly|partial|ref|unsafe|new)\s+)*(class|struct|interface|enum|record( struct| class)?|delegate\s+[^ (]+)\s+[A-Za-z_][A-Za-z0-9_]*' \
  "$lib" | sed -E 's/.*\s([A-Za-z_][A-Za-z0-9_]*)$/\1/' | LC_ALL=C sort -u)

# Where to look: every C# file of the repository outside this library's folder and outside build output.
mapfile -t others < <(git ls-files '*.cs' | grep -v "^$lib/" )

for type in "${types[@]}"; do
  mapfile -t hits < <(grep -lwF "$type" "${others[@]}" 2>/dev/null || true)
  # Public API of other libraries naming the type (PublicAPI.*.txt of other src/ projects).
  api=$(grep -lE "(^|[^A-Za-z0-9_])$type([^A-Za-z0-9_]|$)" src/*/PublicAPI.*.txt 2>/dev/null | grep -v "^$lib/" || true)
  where=$(printf '%s\n' "${hits[@]}" | sed -E 's#^(src/[^/]+|samples/[^/]+|bench/[^/]+|tests/[^/]+|[^/]+)/.*#\1#' | { grep . || true; } | LC_ALL=C sort -u | tr '\n' ' ')
  documented=$(grep -lwF "$type" docs/LIBRARY.md 2>/dev/null || true)
  if [ -n "$api" ] || [ -n "$documented" ] || printf '%s\n' "${hits[@]}" | grep -qE '^(samples/|src/SafeWire\.AspNetCore/)'; then
    verdict=user
  elif printf '%s\n' "${hits[@]}" | grep -q '^src/'; then
    verdict=repo
  elif printf '%s\n' "${hits[@]}" | grep -q .; then
    verdict=tests
  else
    verdict=unused
  fi
  if [ "$brief" = --brief ]; then
    printf '%-7s %s\n' "$verdict" "$type"
  else
    printf '%-7s %-36s %s%s\n' "$verdict" "$type" "$where" "${api:+ [public API of: $(echo "$api" | xargs -n1 dirname | sort -u | tr '\n' ' ')]}"
  fi
done
