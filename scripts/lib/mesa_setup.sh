#!/usr/bin/env bash
# A demo workspace for la mesa (scripts/run --mesa, the mesa tests, scripts/bench mesa), made with
# the real tools from the PUBLIC demo keys of keys-example/ (their passphrase is public: never for
# real reports):
#   DIR/keys          a copy of keys-example/            DIR/casos   the offline workspace
#   DIR/usb/*.rsgb    a bundle of the Spanish fixture reports (Tests/Fixtures/reports), some with
#                     a codename key so replies are possible, signed by a fresh vault key it trusts
#   DIR/coordinacion  a relocation coordinator's keys, registered as "Casa Refugio"
#   scripts/lib/mesa_setup.sh DIR BIN [EXTRA_REPORTS]   BIN: swift build --show-bin-path
set -euo pipefail
dir=$1; bin=$2; extra=${3:-0}
root="$(cd "$(dirname "$0")/../.." && pwd)"
umask 077
mkdir -p "$dir/usb" "$dir/reports"
cp -r "$root/keys-example" "$dir/keys"
chmod 600 "$dir/keys"/*.key
pass="$dir/keys/passphrase.txt"
env LC_ALL=C "$bin/resguardo" init --workspace "$dir/casos" --keys "$dir/keys" --passphrase-file "$pass" >/dev/null
/usr/bin/python3 "$root/scripts/lib/mesa.py" fixtures "$root/Tests/Fixtures/reports" "$dir/reports" "$extra"
fp=$(/usr/bin/python3 "$root/scripts/lib/make_bundle.py" "$dir/keys/manifest.json" "$dir/usb/informes-$(date +%Y-%m-%d).rsgb" "$dir/vault.pub" "$dir/reports"/*.json)
env LC_ALL=C "$bin/resguardo" vault trust --workspace "$dir/casos" --fingerprint "$fp" --public-key "$dir/vault.pub" >/dev/null
made=$(env RESGUARDO_PASSPHRASE="frase de la casa refugio (demo)" LC_ALL=C "$bin/resguardo" key init --role coordinator --dir "$dir/coordinacion" --kdf interactive)
cfp=$(printf '%s\n' "$made" | sed -n 's/^coordinator-key fingerprint: //p')
sfp=$(printf '%s\n' "$made" | sed -n 's/.*, fingerprint //p')
env LC_ALL=C "$bin/resguardo" coordinators add "Casa Refugio" --workspace "$dir/casos" --public-key "$dir/coordinacion/coordinator.pub" --fingerprint "$cfp" \
    --signing-key "$dir/coordinacion/coordinator-signing.pub" --signing-fingerprint "$sfp" >/dev/null
