#!/usr/bin/env bash
# Refreshes the embedded Public Suffix List (MPL-2.0) from Debian's publicsuffix package, comments dropped.
set -euo pipefail
source=/usr/share/publicsuffix/public_suffix_list.dat
[ -f "$source" ] || { echo "install Debian's publicsuffix package first" >&2; exit 1; }
cd "$(dirname "$0")"
{
  sed -n '1,3p' "$source"
  echo "// Copied without comments from Debian's publicsuffix package ($(dpkg-query -W -f='${Version}' publicsuffix | cut -d. -f1)); regenerate with Sites/update-public-suffix-list.sh."
  grep -v '^//' "$source" | grep -v '^\s*$'
} > public_suffix_list.dat
