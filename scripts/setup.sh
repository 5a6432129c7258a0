#!/usr/bin/env bash
# One-command set-up and main job: installs the native dependencies (Debian/Ubuntu), builds the
# solution, fetches public-domain demo photos from Debian's python3-skimage package and batch-scores
# them with the shipped default model. Idempotent and non-interactive.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# OpenCvSharp's official runtime links GTK 3; opencv-data has the Haar cascades (the detector that
# needs no model download); readelf (binutils) checks the TorchSharp patch; SkiaSharp (ML.NET images) needs fontconfig.
# libdlib-dev, g++ and pkg-config build the dlib shim (native/dlib-shim); libdlib-data has the 68-point landmark model.
# slurm-wlm and munge run the single-node cluster of the sharded-scoring test (deploy/slurm); chromium and
# chromium-driver run the browser test of `edram serve`'s web page.
packages=(libgtk-3-0 opencv-data binutils libfontconfig1 ca-certificates libdlib-dev libdlib-data g++ pkg-config slurm-wlm munge chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Before the .NET build: EdramFer.Vision copies the built shim into every output that references it.
bash native/dlib-shim/build.sh
dotnet build EdramFer.sln -c Release -nologo -v quiet

# Demo photos: NASA portrait of Eileen Collins and the "cameraman" (public domain), plus a cat (no human face).
demo="$root/artifacts/demo"
if [ ! -f "$demo/images.csv" ]; then
  mkdir -p "$demo/images" && tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1 && dpkg-deb -x python3-skimage_*.deb x)
  for f in astronaut camera chelsea; do cp "$tmp/x/usr/lib/python3/dist-packages/skimage/data/$f.png" "$demo/images/"; done
  rm -rf "$tmp"
  printf 'path,description\nimages/astronaut.png,Eileen Collins (NASA)\nimages/camera.png,cameraman\nimages/chelsea.png,a cat: no human face\n' > "$demo/images.csv"
fi

cli="src/EdramFer.Cli/bin/Release/net10.0/edram"
"$cli" score --model onnx/edram-fer2013.onnx --input "$demo/images.csv" --output "$demo/predictions.csv"
echo "Predictions written to artifacts/demo/predictions.csv:"
cat "$demo/predictions.csv"
