#!/usr/bin/env bash
# Builds miaudit for machines without .NET: one folder per runtime under dist/<rid>/ holding the `miaudit`
# executable and SQLite's native library beside it.
#
#   bash src/publish.sh                 # all five: linux-x64 linux-arm64 osx-arm64 osx-x64 win-x64
#   bash src/publish.sh linux-x64       # just one (any of the five)
#   MIAUDIT_DIST=/tmp/d bash src/publish.sh …   # into /tmp/d/<rid>/ instead of dist/<rid>/
#   MIAUDIT_PUBLISH=r2r bash src/publish.sh linux-x64   # the ReadyToRun single file even where AOT is possible
#
# Where this machine can link a runtime natively (the same OS and CPU, a C toolchain), the build is Native AOT:
# no JIT, so full speed from the first second and ~160 ms from start to listening (docs/performance.md). Native AOT
# cannot cross-compile to another OS (nor here to another CPU), so the others are self-contained single files with
# ReadyToRun code: no .NET needed either, with the JIT only for what ReadyToRun leaves out.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(linux-x64 linux-arm64 osx-arm64 osx-x64 win-x64)
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=("${all[@]}")

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) host=linux-x64 ;;
  Linux-aarch64) host=linux-arm64 ;;
  Darwin-arm64) host=osx-arm64 ;;
  Darwin-x86_64) host=osx-x64 ;;
  *) host=none ;;
esac

for rid in "${rids[@]}"; do
  case " ${all[*]} " in
    *" $rid "*) ;;
    *) echo "publish.sh: unknown runtime '$rid' (one of: ${all[*]})" >&2; exit 2 ;;
  esac

  out="${MIAUDIT_DIST:-dist}/$rid"
  rm -rf "$out"
  # Its own artifacts folder: a publish for one runtime must not rewrite the obj/ the normal build and tests use.
  common=(src/MiAudit.Cli -c Release -r "$rid" -o "$out" --artifacts-path "${MIAUDIT_DIST:-dist}/.build/$rid"
          -p:PackAsTool=false -p:CopyOutputSymbolsToPublishDirectory=false -p:DebugType=none)
  if [ "$rid" = "$host" ] && [ "${MIAUDIT_PUBLISH:-}" != r2r ] && command -v cc >/dev/null; then
    echo "publish.sh: $rid, Native AOT"
    dotnet publish "${common[@]}" -p:PublishAot=true
  else
    echo "publish.sh: $rid, self-contained single file with ReadyToRun"
    dotnet publish "${common[@]}" --self-contained -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:PublishTrimmed=true \
      -p:IncludeNativeLibrariesForSelfExtract=false
  fi
  echo "publish.sh: $out/$(cd "$out" && ls miaudit miaudit.exe 2>/dev/null)"
done
