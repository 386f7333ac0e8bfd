#!/usr/bin/env bash
# Every C++ source of the project is formatted by the root .clang-format.
#
#   tests/check_format.sh ROOT [CLANG_FORMAT]
# Exits 1 naming each file whose formatting differs, and says how to fix it.
set -euo pipefail
root=${1:?usage: check_format.sh ROOT [CLANG_FORMAT]}
tool=${2:-clang-format-14}
[[ -f "$root/.clang-format" ]] || { echo "no .clang-format in $root" >&2; exit 2; }
mapfile -t files < <(cd "$root" && find lessons patterns shared bench tests -name '*.cpp' -o -name '*.hpp' 2>/dev/null | sort)
(( ${#files[@]} > 0 )) || { echo "no C++ sources under $root" >&2; exit 2; }
bad=()
for f in "${files[@]}"; do
  (cd "$root" && "$tool" --style=file --dry-run -Werror "$f" >/dev/null 2>&1) || bad+=("$f")
done
if (( ${#bad[@]} > 0 )); then
  printf 'not formatted by .clang-format: %s\n' "${bad[@]}"
  echo "fix: ./gdlab format   (runs $tool -i on the project's sources)"
  exit 1
fi
echo "${#files[@]} sources formatted by .clang-format"
