#!/usr/bin/env bash
# Rewrites src/*/PublicAPI.Unshipped.txt from the code, for every library whose public API is tracked (the folders
# with a PublicAPI.Shipped.txt): builds them once with warnings allowed and writes each symbol the analyzer reports
# as undeclared (RS0016) into its project's Unshipped file. Review the diff: it is the API change.
# At a release, move the Unshipped lines into PublicAPI.Shipped.txt. A symbol removed from a Shipped file's API
# (RS0017) is not handled here: mark its line *REMOVED* in the Shipped file by hand, as the analyzer's help says.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t projects < <(ls -d src/*/PublicAPI.Shipped.txt | xargs -n 1 dirname)
for project in "${projects[@]}"; do
  printf '#nullable enable\n' >"$project/PublicAPI.Unshipped.txt"
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# No incremental build: a project whose compile is up to date would report nothing.
dotnet build SafeWire.Packages.slnf --no-incremental -p:TreatWarningsAsErrors=false -nologo -v q >"$log" 2>&1 || true
for project in "${projects[@]}"; do
  {
    printf '#nullable enable\n'
    grep -F ": warning RS0016: " "$log" | grep -F "[$PWD/$project/" \
      | sed -E "s/^.*: warning RS0016: Symbol '(.*)' is not part of the declared public API.*$/\1/" \
      | LC_ALL=C sort -u
  } >"$project/PublicAPI.Unshipped.txt"
  echo "$project: $(($(wc -l <"$project/PublicAPI.Unshipped.txt") - 1)) unshipped symbols"
done
# What is left is what the script does not fix: the build's own errors, if any.
if grep -E ': (error|warning) [A-Z]+[0-9]+' "$log" | grep -v ': warning RS0016: ' | grep -v ': warning CS1591: ' | sort -u | grep .; then
  echo "update-public-api: the build reports the problems above; fix them and run again" >&2
  exit 1
fi
