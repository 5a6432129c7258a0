#!/usr/bin/env bash
# Builds the face-less picture set for the `detectors` benchmark (false detections) from Debian packages, extracted
# at run time and never committed: scikit-image's sample photos (python3-skimage), matplotlib's sample pictures
# (python-matplotlib-data) and KDE Plasma's wallpapers (plasma-workspace-wallpapers, landscapes and abstract art).
# Pictures that show people (astronaut, camera, grace_hopper, the GIF meme) and the cartoon dragon are left out.
# Usage: faceless-images.sh OUT_DIR
set -euo pipefail
out="${1:?usage: faceless-images.sh OUT_DIR}"
mkdir -p "$out"
tmp=$(mktemp -d)
chmod 755 "$tmp" # apt-get download runs as _apt where it can
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download python3-skimage python-matplotlib-data plasma-workspace-wallpapers >/dev/null
for deb in *.deb; do dpkg-deb -x "$deb" x; done

sk=x/usr/lib/python3/dist-packages/skimage/data
for f in brick.png cell.png chelsea.png clock_motion.png coffee.png coins.png color.png grass.png gravel.png horse.png \
         hubble_deep_field.jpg ihc.png logo.png microaneurysms.png moon.png motorcycle_left.png page.png phantom.png \
         retina.jpg rocket.jpg text.png; do
  cp "$sk/$f" "$out/skimage-$f"
done
mpl=x/usr/share/matplotlib/mpl-data/sample_data
for f in Minduka_Present_Blue_Pack.png logo2.png; do cp "$mpl/$f" "$out/matplotlib-$f"; done

# One real (non-link) image per wallpaper, the smallest at least 1280 px wide.
for dir in x/usr/share/wallpapers/*/; do
  name=$(basename "$dir")
  [ "$name" = FlyingKonqui ] && continue
  best=$(find "$dir/contents/images" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) -printf '%f\n' 2>/dev/null \
         | awk -F'[x.]' '$1 >= 1280 {print $1 * $2, $0}' | sort -n | head -1 | cut -d' ' -f2)
  [ -n "$best" ] && cp "$dir/contents/images/$best" "$out/plasma-$name-$best"
done
echo "$(ls "$out" | wc -l) face-less pictures in $out"
