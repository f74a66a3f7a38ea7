#!/usr/bin/env bash
# A report through a private Tor network to the onion side of a real intake, then offline.
# Runs inside its own network namespace (`unshare -n`, only loopback up): no packet can leave
# this machine whatever tor is told. Called by scripts/test and `scripts/stress tor`.
#   scripts/lib/onion_e2e.sh BIN_DIR        (the directory of resguardo and resguardo-intake)
# Every process it starts is ended by PID on the way out; the whole run is bounded (180 s).
set -euo pipefail
bin=$1
repo="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -z "${RESGUARDO_IN_NETNS:-}" ]; then
    export RESGUARDO_IN_NETNS=1
    exec timeout 240 unshare -n "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d)
intake_pid=""
filter_pid=""
cleanup() {
    [ -z "$intake_pid" ] || kill "$intake_pid" 2>/dev/null || true
    [ -z "$filter_pid" ] || kill "$filter_pid" 2>/dev/null || true
    /usr/bin/python3 "$repo/scripts/lib/tornet.py" down "$work/net" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
say() { echo "onion: $* ($(( $(date +%s) - started )) s)"; }

onion_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
state=$(/usr/bin/python3 "$repo/scripts/lib/tornet.py" up "$work/net" "$onion_port" $$)
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$state" "$1"; }
socks=$(field socks)
/usr/bin/python3 "$repo/scripts/lib/tornet.py" check "$work/net" >/dev/null || { echo "onion: a tor could reach outside the private network"; exit 1; }
say "private network of 8 tor processes started; no public authority or fallback in any torrc"

# The demo keys and a vault with its own signing key, in a folder of its own.
mkdir -p "$work/intake"
cp -r "$repo/keys-example" "$work/intake/keys-example"
chmod 700 "$work/intake/keys-example"; chmod 600 "$work/intake/keys-example/"*.key
printf 'frase del servidor cebolla\n' >"$work/vpass"
"$bin/resguardo-intake" vault init --vault "$work/vault.sqlite" --passphrase-file "$work/vpass" >"$work/vault-init.txt"
for _ in $(seq 1 100); do [ -s "$work/net/onion/hs/hostname" ] && break; sleep 0.2; done
onion=$(cat "$work/net/onion/hs/hostname")
# Review N12: the intake gets no cookie, only the filter's socket (GETINFO hs/… and SETEVENTS HS_DESC).
"$bin/resguardo-intake" tor-control-filter --listen "unix:$work/tor-control.sock" --control "127.0.0.1:$(field hs_control)" \
    --cookie "$(field hs_cookie)" >"$work/filter.log" 2>&1 &
filter_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/filter.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/filter.log" || { cat "$work/filter.log"; exit 1; }
filtered=$(/usr/bin/python3 - "$work/tor-control.sock" "${onion%.onion}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
def ask(line):
    f.write(line.encode() + b"\r\n"); f.flush()
    out, data = [], False
    while True:
        l = f.readline().decode().rstrip("\r\n"); out.append(l)
        if data:
            data = l != "."
        elif len(l) >= 4 and l[3] == "+":
            data = True
        elif len(l) < 4 or l[3] == " ":
            return out
print("AUTH", ask("AUTHENTICATE")[-1])
print("SETCONF", ask('SETCONF Log="debug stdout"')[-1])
print("SAVECONF", ask("SAVECONF")[-1])
print("GETINFO-CONFIG", ask("GETINFO config-file")[-1])
print("GETINFO-DESC", ask("GETINFO hs/service/desc/id/" + sys.argv[2])[-1])
PY
)
for want in "AUTH 250 OK" "SETCONF 510" "SAVECONF 510" "GETINFO-CONFIG 510"; do
    echo "$filtered" | grep -q "^$want" || { echo "onion: the control filter answered otherwise than $want: $filtered"; exit 1; }
done
# The descriptor query reaches tor: tor's answer (250, or 551 before the first upload), never the filter's 510.
echo "$filtered" | grep -q "^GETINFO-DESC 510" && { echo "onion: the control filter refused the descriptor query: $filtered"; exit 1; }
say "control filter: SETCONF, SAVECONF and other GETINFO refused (510), the descriptor query passed"
(cd "$work/intake" && RESGUARDO_INTAKE_ONION_HOSTNAME_FILE="$work/net/onion/hs/hostname" \
    RESGUARDO_INTAKE_ONION_CONTROL="unix:$work/tor-control.sock" \
    RESGUARDO_INTAKE_ONION_STATUS_SOCKET="unix:$work/onion-status.sock" \
    RESGUARDO_INTAKE_ONION_CIRCUIT_IDS=haproxy RESGUARDO_INTAKE_ONION_FORM_PER_CIRCUIT=2 \
    exec "$bin/resguardo-intake" serve --dev --port 0 --vault "$work/vault.sqlite" --onion-listen "127.0.0.1:$onion_port" >"$work/intake.log" 2>&1) &
intake_pid=$!
for _ in $(seq 1 100); do grep -q "onion side on" "$work/intake.log" 2>/dev/null && break; sleep 0.1; done
grep -q "onion side on http://127.0.0.1:$onion_port" "$work/intake.log" || { cat "$work/intake.log"; exit 1; }
say "intake serving its onion side for $onion"

# The client waits for its circuits, then asks the onion's /healthz through Tor.
health=""
for _ in $(seq 1 150); do
    if grep -q "Bootstrapped 100" "$work/net/client/notice.log" 2>/dev/null; then
        health=$(curl -s --max-time 20 --socks5-hostname "127.0.0.1:$socks" "http://$onion/healthz" || true)
        case "$health" in *'"status":"ok"'*) break ;; esac
    fi
    sleep 1
done
case "$health" in *'"status":"ok"'*) ;; *) echo "onion: the onion did not answer through the private network"; tail -5 "$work/net/client/notice.log"; exit 1 ;; esac
say "reached through Tor: $health"
# Through the onion, only "ok" (review N16); the descriptor's state on the local status socket.
[ "$health" = '{"status":"ok"}' ] || { echo "onion: the public healthz says more than ok: $health"; exit 1; }
status=$(curl -s --max-time 5 --unix-socket "$work/onion-status.sock" http://status/healthz || true)
case "$status" in *'"descriptor_held":true'*) ;; *) echo "onion: the status socket does not see the descriptor: $status"; exit 1 ;; esac
say "status socket: $status"

# A report sealed by PyNaCl from the spec, posted through Tor; the receipt comes back.
/usr/bin/python3 - "$work/intake/keys-example/manifest.json" "$work/envelope.bin" <<'PY'
import base64, json, sys
import nacl.public
m = json.loads(open(sys.argv[1]).read())
key = json.loads(base64.b64decode(m["payload"]))["encryption_keys"][-1]
report = json.dumps({"version": 1, "language": "es", "country": "GT", "description": "Enviada por la red Tor privada."}).encode()
padded = report + b"\x80" + b"\x00" * (4096 - len(report) - 1)
sealed = nacl.public.SealedBox(nacl.public.PublicKey(base64.b64decode(key["public_key"]))).encrypt(padded)
open(sys.argv[2], "wb").write(b"RSG1\x00" + bytes.fromhex(key["id"]) + sealed)
PY
reply=$(curl -s --max-time 60 --socks5-hostname "127.0.0.1:$socks" -H "Content-Type: application/octet-stream" \
    --data-binary "@$work/envelope.bin" "http://$onion/v1/reports")
case "$reply" in *'"receipt"'*) ;; *) echo "onion: no receipt: $reply"; exit 1 ;; esac
say "receipt through Tor: $reply"
# Review N13: tor tells the intake each stream's circuit (HiddenServiceExportCircuitID haproxy);
# streams of one circuit (tor's SOCKS port isolates by credentials) share a no-JavaScript budget
# of 2, a new circuit has its own.
nojs() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 60 --proxy "socks5h://$1:x@127.0.0.1:$socks" \
        -H "Content-Type: application/x-www-form-urlencoded" --data "language=es&country=GT&description=Sin+JavaScript+por+Tor" "http://$onion/v1/reports/form"
}
budget="$(nojs uno) $(nojs uno) $(nojs uno) $(nojs dos)"
[ "$budget" = "201 201 429 201" ] || { echo "onion: no-JavaScript answers by circuit: $budget (wanted 201 201 429 201)"; exit 1; }
say "no-JavaScript posts through Tor: one circuit 201 201 then 429, a new circuit 201 (tor's circuit line read)"
# No HSTS on the onion side; the HTTPS side points at the onion.
headers=$(curl -s -D - -o /dev/null --max-time 30 --socks5-hostname "127.0.0.1:$socks" "http://$onion/")
if echo "$headers" | grep -qi '^strict-transport-security'; then echo "onion: HSTS sent on the onion side"; exit 1; fi
https_port=$(grep -o 'serving https://127.0.0.1:[0-9]*' "$work/intake.log" | grep -o '[0-9]*$')
curl -sk -D - -o /dev/null "https://127.0.0.1:$https_port/" | grep -qi "^onion-location: http://$onion/" || { echo "onion: no Onion-Location on the HTTPS side"; exit 1; }

kill -TERM "$intake_pid"; wait "$intake_pid" 2>/dev/null || true; intake_pid=""
# Offline: export, trust, unseal with the demo keys; the report opens.
"$bin/resguardo-intake" export --vault "$work/vault.sqlite" --out "$work/b.rsgb" --passphrase-file "$work/vpass" >/dev/null
"$bin/resguardo" init --workspace "$work/casos" --keys "$work/intake/keys-example" --passphrase-file "$work/intake/keys-example/passphrase.txt" >/dev/null
"$bin/resguardo" vault trust --workspace "$work/casos" --fingerprint "$(sed -n 's/^vault signing-key fingerprint: //p' "$work/vault-init.txt")" \
    --public-key "$work/vault.sqlite.signing.pub" >/dev/null
"$bin/resguardo" unseal --workspace "$work/casos" "$work/b.rsgb" --passphrase-file "$work/intake/keys-example/passphrase.txt" | grep -q "4 envelopes → 4 new cases, 0 duplicates, 0 quarantined" ||
    { echo "onion: the report did not unseal offline"; exit 1; }
say "the report sent through Tor unsealed offline"
