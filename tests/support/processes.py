"""The processes a test started, seen as an operator sees them: through /proc (Linux)."""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def command(pid: int) -> list[str]:
    """The process's command line ("python", "-m", "commands", "worker", ...)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    """Running, that is: neither gone nor a zombie (which holds no memory, only its entry, until
    whoever adopted it reaps it)."""
    try:
        state = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def marked(name: str, value: str) -> list[int]:
    """Live processes whose environment holds ``name=value``: every process a stack started,
    children of children too, and nobody else's (another test's stack has another value)."""
    wanted = f"{name}={value}".encode()
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone, or not ours to read
            continue
        if wanted in environ and alive(int(entry.name)):
            found.append(int(entry.name))
    return found
