#!/bin/bash -eu
# Builds ferrodis's fuzz targets for OSS-Fuzz or ClusterFuzzLite, in the shape those services
# expect of a cargo-fuzz project: each target's binary in $OUT, with its seed corpus
# ($OUT/TARGET_seed_corpus.zip), its dictionary ($OUT/TARGET.dict) and its libFuzzer options
# ($OUT/TARGET.options, max_len and dict), all taken from fuzz/targets.sh as the local runners
# take them. The planted crash is left out.
#
# In the services' image, $SRC/ferrodis is this repository and the image sets the sanitizer
# flags. Here it runs as it is, given a place for the output:
#   SRC=/path/above/the/clone OUT=$(mktemp -d) fuzz/oss-fuzz/build.sh
# (with SRC unset it builds the clone it belongs to).

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fuzz="${SRC:+$SRC/ferrodis/fuzz}"
if [ -z "$fuzz" ] || [ ! -d "$fuzz" ]; then
    fuzz="$(dirname "$here")"
fi
: "${OUT:?set OUT to the directory the targets go to}"
mkdir -p "$OUT"
cd "$fuzz"
source ./targets.sh

# The services' image sets RUSTFLAGS for its sanitizer; here, as the local runners, none.
sanitizer=()
if [ -z "${SANITIZER:-}" ]; then
    sanitizer=(--sanitizer=none)
fi
toolchain=()
if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
fi
cargo "${toolchain[@]}" fuzz build -O "${sanitizer[@]}"
host="$(rustc "${toolchain[@]}" -vV | sed -n 's/^host: //p')"
bin_dir="${FUZZ_TARGET_DIR:-$fuzz/target}/$host/release"

mapfile -t targets < <(fuzz_targets)
for target in "${targets[@]}"; do
    cp "$bin_dir/$target" "$OUT/"
    rm -f "$OUT/${target}_seed_corpus.zip"
    zip -q -j "$OUT/${target}_seed_corpus.zip" corpus/"$target"/*
    options="$OUT/$target.options"
    echo "[libfuzzer]" >"$options"
    echo "max_len = $(fuzz_max_len "$target")" >>"$options"
    dict="$(fuzz_dict "$target")"
    if [ -n "$dict" ]; then
        cp "$dict" "$OUT/$target.dict"
        echo "dict = $target.dict" >>"$options"
    fi
done
echo "built ${#targets[@]} targets into $OUT"
