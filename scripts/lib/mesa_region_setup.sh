#!/usr/bin/env bash
# The regional office beside a demo network (scripts/lib/mesa_setup.sh DIR made first), with the
# real tools: the network imports its bundle, vets and registers its cases, takes the office's
# key and publishes registry bundle 1 onto the office's stick.
#   DIR/region          the office's folder (passphrase: DIR/region-pass.txt, demo only)
#   DIR/usb-region/registro-demo-1.json   the network's first registry bundle
#   scripts/lib/mesa_region_setup.sh DIR BIN [--no-publish]   (then la mesa of the network publishes)
set -euo pipefail
dir=$1; bin=$2; publish=1
[ "${3:-}" = --no-publish ] && publish=0
umask 077
pass="$dir/keys/passphrase.txt" rpass="$dir/region-pass.txt" ws="$dir/casos"
r() { env LC_ALL=C "$bin/resguardo" "$@"; }
printf 'frase de la oficina regional (demo)\n' > "$rpass"
mkdir -p "$dir/usb-region"
r unseal --workspace "$ws" --passphrase-file "$pass" "$dir"/usb/*.rsgb >/dev/null
printf 'Validado para la demostración regional.\n' > "$dir/nota.txt"
registered=0
for id in $(r cases list --workspace "$ws" --state new | awk 'length($1) == 12 && $1 ~ /^[0-9a-f]+$/ {print $1}'); do
    r cases vet "$id" --workspace "$ws" --decision accept --note-file "$dir/nota.txt" >/dev/null
    # A case without her consent to the registry is refused, as it should be; the rest load.
    if r registry add "$id" --workspace "$ws" --passphrase-file "$pass" >/dev/null 2>&1; then registered=$((registered + 1)); fi
done
[ "$registered" -ge 10 ] || { echo "mesa_region_setup: only $registered cases registered" >&2; exit 1; }
made=$(r region init --region "$dir/region" --name "Iniciativa Mesoamericana (demo)" --kdf interactive --passphrase-file "$rpass")
rfp=$(printf '%s\n' "$made" | sed -n 's/^regional signing-key fingerprint: //p' | cut -c1-39)
nfp=$(r key show --dir "$dir/keys" | sed -n 's/^signing-key fingerprint: //p' | cut -c1-39)
[ -n "$rfp" ] && [ -n "$nfp" ] || { echo "mesa_region_setup: no fingerprint ($rfp / $nfp)" >&2; exit 1; }
r networks add demo --fingerprint "$nfp" --countries MX,GT,HN,SV --region "$dir/region" >/dev/null
r region key-for demo --manifest "$dir/keys/manifest.json" --region "$dir/region" --out "$dir/clave-regional-demo.json" --passphrase-file "$rpass" >/dev/null
r registry regional-key import "$dir/clave-regional-demo.json" --region-fingerprint "$rfp" --workspace "$ws" --passphrase-file "$pass" >/dev/null
[ "$publish" = 0 ] || r registry publish --workspace "$ws" --out "$dir/usb-region/registro-demo-1.json" --passphrase-file "$pass" >/dev/null
echo "$registered"
