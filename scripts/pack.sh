#!/usr/bin/env bash
# Packs every package into artifacts/packages (docs/packages.md): the solution's packages from the Release build
# (scripts/setup.sh), then the CPU-only tool variants edram-cpu and edram-train-cpu, built in artifacts/cpu so that
# the default build is left as it is. Prints each package's size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/packages
rm -rf "$out"
dotnet pack EdramFer.sln -c Release --no-build -nologo -v quiet -o "$out"
for cli in src/EdramFer.Cli src/EdramFer.Training.Cli; do
  dotnet pack "$cli" -c Release -nologo -v quiet -p:OnnxRuntimeFlavor=cpu -p:EdramOutputRoot=artifacts/cpu -o "$out"
done
ls -l "$out" | awk 'NR > 1 { printf "%12d  %s\n", $5, $9 }'
