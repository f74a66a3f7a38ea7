"""A private Tor network on 127.0.0.1, built the way Tor's own test networks are (three directory
authorities with keys from tor-gencert, three relays, an onion service and a client, every node
`TestingTorNetwork 1`), for the onion side's end-to-end test (scripts/stress tor).

    tornet.py up DIR HS_TARGET_PORT OWNER_PID   starts it; prints JSON (onion, socks, hs control, pids)
    tornet.py down DIR                          ends every tor it started (by PID)

Every torrc names only our own authorities (DirAuthority on 127.0.0.1) and turns the default
fallback directories off, so no tor can reach a public relay; `check` verifies that from the files.
Every tor also names OWNER_PID as its owning controller process: it exits when the test does.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

TOR = shutil.which("tor") or "/usr/sbin/tor"
GENCERT = shutil.which("tor-gencert") or "/usr/bin/tor-gencert"
AUTH_PASSPHRASE = b"private test network only\n"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


COMMON = """TestingTorNetwork 1
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit *
TestingDirAuthVoteHSDir *
TestingDirAuthVoteGuard *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
UseDefaultFallbackDirs 0
DataDirectory {dir}
Nickname {nick}
ShutdownWaitLength 0
ControlPort 127.0.0.1:{control}
CookieAuthentication 1
Log notice file {dir}/notice.log
SafeLogging 0
Sandbox 0
__OwningControllerProcess {owner}
"""

RELAY = """SocksPort 0
ORPort 127.0.0.1:{orport}
Address 127.0.0.1
ExitRelay 0
AssumeReachable 1
ServerDNSDetectHijacking 0
"""

AUTHORITY = """DirPort 127.0.0.1:{dirport}
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
ContactInfo auth{num}@test.invalid
TestingV3AuthInitialVotingInterval 20
TestingV3AuthInitialVoteDelay 4
TestingV3AuthInitialDistDelay 4
V3AuthVotingInterval 20
V3AuthVoteDelay 4
V3AuthDistDelay 4
"""


def node(base, nick, owner):
    d = os.path.join(base, nick)
    os.makedirs(os.path.join(d, "keys"), mode=0o700, exist_ok=True)
    return {"nick": nick, "dir": d, "control": free_port(), "owner": owner}


def write_torrc(n, body):
    path = os.path.join(n["dir"], "torrc")
    with open(path, "w") as f:
        f.write(COMMON.format(**n) + body)
    return path


def up(base, hs_target, owner):
    os.makedirs(base, mode=0o700, exist_ok=True)
    authorities = [node(base, "auth%d" % i, owner) for i in range(3)]
    relays = [node(base, "relay%d" % i, owner) for i in range(3)]
    hs = node(base, "onion", owner)
    client = node(base, "client", owner)
    dirauth_lines = []
    for i, a in enumerate(authorities):
        a.update(orport=free_port(), dirport=free_port(), num=i)
        keys = os.path.join(a["dir"], "keys")
        subprocess.run([GENCERT, "--create-identity-key", "--passphrase-fd", "0", "-i", keys + "/authority_identity_key",
                        "-s", keys + "/authority_signing_key", "-c", keys + "/authority_certificate", "-m", "12",
                        "-a", "127.0.0.1:%d" % a["dirport"]], input=AUTH_PASSPHRASE, check=True, capture_output=True)
        # The relay identity key is made by tor itself; its torrc cannot be read yet (a testing
        # network needs its authorities), so an empty one is used here.
        out = subprocess.run([TOR, "--ignore-missing-torrc", "-f", "/dev/null", "--list-fingerprint", "--orport", "1", "--datadirectory", a["dir"]],
                             check=True, capture_output=True, text=True).stdout
        fingerprint = "".join(out.strip().split("\n")[-1].split()[1:])
        cert = open(keys + "/authority_certificate").read()
        v3ident = re.search(r"^fingerprint (\w+)", cert, re.M).group(1)
        dirauth_lines.append("DirAuthority %s orport=%d no-v2 v3ident=%s 127.0.0.1:%d %s" % (a["nick"], a["orport"], v3ident, a["dirport"], fingerprint))
    dirauths = "\n".join(dirauth_lines) + "\n"
    for a in authorities:
        write_torrc(a, RELAY.format(**a) + AUTHORITY.format(**a) + dirauths)
    for r in relays:
        r.update(orport=free_port(), dirport=free_port())
        write_torrc(r, RELAY.format(**r) + "DirPort 127.0.0.1:%d\n" % r["dirport"] + dirauths)
    os.makedirs(os.path.join(hs["dir"], "hs"), mode=0o700, exist_ok=True)
    write_torrc(hs, "SocksPort 0\nHiddenServiceDir %s/hs\nHiddenServicePort 80 127.0.0.1:%d\nHiddenServicePoWDefensesEnabled 1\nHiddenServiceExportCircuitID haproxy\n" % (hs["dir"], hs_target) + dirauths)
    client["socks"] = free_port()
    write_torrc(client, "SocksPort 127.0.0.1:%d\n" % client["socks"] + dirauths)
    pids = {}
    for n in authorities + relays:
        pids[n["nick"]] = subprocess.Popen([TOR, "-f", os.path.join(n["dir"], "torrc")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    # The onion service and the client start once the authorities can vote (as chutney's phase 2).
    time.sleep(2)
    for n in (hs, client):
        pids[n["nick"]] = subprocess.Popen([TOR, "-f", os.path.join(n["dir"], "torrc")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    with open(os.path.join(base, "pids.json"), "w") as f:
        json.dump(pids, f)
    state = {"socks": client["socks"], "hs_control": hs["control"], "hs_cookie": os.path.join(hs["dir"], "control_auth_cookie"),
             "hs_dir": os.path.join(hs["dir"], "hs"), "client_log": os.path.join(client["dir"], "notice.log"),
             "hs_log": os.path.join(hs["dir"], "notice.log"), "pids": pids}
    print(json.dumps(state))


def down(base):
    try:
        pids = json.load(open(os.path.join(base, "pids.json")))
    except OSError:
        return
    for pid in pids.values():
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass


def check(base):
    """No tor of the network can reach a public relay: every DirAuthority is ours, on loopback,
    and the default fallback directories are off."""
    problems = []
    for nick in sorted(os.listdir(base)):
        torrc = os.path.join(base, nick, "torrc")
        if not os.path.exists(torrc):
            continue
        text = open(torrc).read()
        if "UseDefaultFallbackDirs 0" not in text or "TestingTorNetwork 1" not in text:
            problems.append(nick + ": default fallbacks or testing network not set")
        auths = re.findall(r"^DirAuthority .*$", text, re.M)
        if len(auths) != 3 or any(" 127.0.0.1:" not in a for a in auths):
            problems.append(nick + ": a directory authority outside the private network")
        if re.search(r"^(FallbackDir|AlternateDirAuthority|Bridge) ", text, re.M):
            problems.append(nick + ": a fallback, alternate authority or bridge")
    print("ok" if not problems else "\n".join(problems))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "up":
        up(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 3 and sys.argv[1] == "down":
        down(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
