#!/usr/bin/env bash
# tests/layers.sh LAYER... — checks that data flows one way through engine/:
# a module (engine/LAYER/*.c, *.h) includes only headers of its own layer or
# of a layer named before it. Layers are given lowest first (the Makefile's
# ENGINE_LAYERS). Exit 1 naming every include that reaches up.
set -u
cd "$(dirname "$0")/.." || exit 2
declare -A rank home
i=0
for layer in "$@"; do rank[$layer]=$i; i=$((i + 1)); done
for f in engine/*/*.h; do
    layer=${f#engine/}; layer=${layer%%/*}
    home[$(basename "$f")]=$layer
done
bad=0
for f in engine/*/*.c engine/*/*.h; do
    layer=${f#engine/}; layer=${layer%%/*}
    [ -n "${rank[$layer]+x}" ] || { echo "layers: $f: folder engine/$layer is not a layer"; bad=1; continue; }
    while IFS=: read -r line header; do
        target=${home[$header]:-}
        [ -n "$target" ] || continue   # generated headers (build/gen)
        if [ "${rank[$target]}" -gt "${rank[$layer]}" ]; then
            echo "layers: $f:$line includes $header of engine/$target, a layer above engine/$layer"
            bad=1
        fi
    done < <(grep -n '^#include "' "$f" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
done
[ $bad = 0 ] && echo "layers: every include points down ($# layers)"
exit $bad
