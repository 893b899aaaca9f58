#!/usr/bin/env bash
# For each public type of an application library (read from its PublicAPI.*.txt files), lists where it is used
# outside the library and its own test project: the CLI, other src/ libraries, samples/, bench/ and the other tests.
# A type is counted as used in a file when the file names it (whole word) and mentions its namespace (a using
# directive or a qualified name). A type used nowhere outside is a candidate for `internal`.
#   scripts/public-api-usage-apps.sh SafeWire.Chat [SafeWire.KeyDistribution ...]
set -euo pipefail
cd "$(dirname "$0")/.."
for lib in "$@"; do
  echo "== $lib"
  own_tests="tests/$lib.Tests"
  mapfile -t files < <(find src samples bench tests -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' \
    -not -path "src/$lib/*" -not -path "$own_tests/*" | sort)
  # Type lines are the bare dotted names (no member signature, no spaces).
  cat "src/$lib/PublicAPI.Shipped.txt" "src/$lib/PublicAPI.Unshipped.txt" | grep -Ev '^#|[ (]' | LC_ALL=C sort -u |
  while read -r full; do
    # Skip members without a signature (enum values, fields): keep only names whose parent is a namespace.
    parent=${full%.*}
    if grep -qxF "$parent" <(cat "src/$lib/PublicAPI.Shipped.txt" "src/$lib/PublicAPI.Unshipped.txt"); then continue; fi
    name=${full##*.}
    ns=$parent
    users=()
    while read -r f; do
      [[ -n $f ]] && grep -qF -- "$ns" "$f" && users+=("$f")
    done < <(grep -lw -- "$name" "${files[@]}" || true)
    if ((${#users[@]} == 0)); then
      printf '%-60s (only inside %s and its tests)\n' "$full" "$lib"
    else
      printf '%-60s %s\n' "$full" "$(printf '%s\n' "${users[@]}" | sed -E 's#^(src|tests|bench|samples)/([^/]+)/.*#\1/\2#' | sort | uniq -c | awk '{printf "%s(%s) ", $2, $1}')"
    fi
  done
done
