"""Types a passphrase into `resguardo key init` on a real pseudo-terminal, as a person would.

usage: tty_check.py RESGUARDO_BINARY WORK_DIR

Checks that the prompts appear, that the passphrase is not echoed back, that mismatched
confirmations are refused, and that the keys made this way unlock with what was typed.
Prints '<n> passed, <m> failed' and exits non-zero on any failure.
"""
import os
import pty
import select
import sys
import time

PASSPHRASE = "cinco palabras al azar bastan"


def session(argv, answers, timeout=20):
    """Runs argv on a new pty; answers each (prompt, text) in turn; returns (status, transcript)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    transcript = b""
    pending = list(answers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            transcript += chunk
        if pending and pending[0][0].encode() in transcript.split(b"\n")[-1] + transcript[-200:]:
            prompt, text = pending.pop(0)
            transcript += b"<typed>"  # marks where we typed, so echo would show after it
            os.write(fd, (text + "\n").encode())
    else:
        # Out of time: never leave a child waiting for input forever.
        os.kill(pid, 9)
        transcript += b"<timed out>"
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), transcript.decode(errors="replace")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}\n{detail}", file=sys.stderr)

    keys = os.path.join(work, "tty-keys")
    status, text = session([binary, "key", "init", "--dir", keys, "--organisation", "Red (terminal)", "--kdf", "interactive"],
                           [("New passphrase", PASSPHRASE), ("Repeat the passphrase", PASSPHRASE)])
    check("init from the terminal succeeds", status == 0 and "created keys" in text, text)
    check("the passphrase is not echoed", PASSPHRASE not in text, text)

    status, text = session([binary, "key", "rotate", "--dir", keys, "--kdf", "interactive"], [("Passphrase", PASSPHRASE)])
    check("rotate unlocks with what was typed", status == 0 and "added encryption key" in text, text)

    status, text = session([binary, "key", "rotate", "--dir", keys], [("Passphrase", "no es esta frase")])
    check("a mistyped passphrase exits 77", status == 77 and "wrong passphrase" in text, text)

    other = os.path.join(work, "tty-keys-2")
    status, text = session([binary, "key", "init", "--dir", other, "--organisation", "Red", "--kdf", "interactive"],
                           [("New passphrase", PASSPHRASE), ("Repeat the passphrase", PASSPHRASE + "x")])
    check("different confirmations are refused", status == 64 and "differ" in text and not os.path.exists(other), text)

    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
