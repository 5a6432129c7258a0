#!/usr/bin/env bash
# Builds libedram_dlib.so (the C ABI over dlib that EdramFer.Vision's DlibFaceDetector calls) into build/ beside this
# script, against the system dlib (Debian: libdlib-dev). EdramFer.Vision copies it into every build output that
# references it, so run this before `dotnet build` (scripts/setup.sh does both). Rebuilds only when the source changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build/libedram_dlib.so"
if [ -f "$out" ] && [ "$out" -nt "$here/edram_dlib.cpp" ] && [ "$out" -nt "$here/build.sh" ]; then exit 0; fi
if ! pkg-config --exists dlib-1 2>/dev/null && [ ! -f /usr/include/dlib/image_processing/frontal_face_detector.h ]; then
  echo "dlib development files not found: install libdlib-dev (Debian/Ubuntu) or run scripts/setup.sh" >&2
  exit 1
fi
mkdir -p "$here/build"
# pkg-config adds the BLAS/LAPACK that dlib's headers call (shape predictor similarity transforms).
flags=$(pkg-config --cflags --libs dlib-1 2>/dev/null || echo "-ldlib -lblas -llapack")
echo "Building $out"
# -O2: dlib's HOG scanner is about 10x slower unoptimised. -fvisibility=hidden keeps dlib's symbols out of the ABI.
g++ -std=c++17 -O2 -DNDEBUG -fPIC -shared -fvisibility=hidden -fvisibility-inlines-hidden \
  -Wl,--no-undefined -o "$out.tmp" "$here/edram_dlib.cpp" $flags
mv "$out.tmp" "$out"
