#!/usr/bin/env python3
"""Run Python inside the real MicroPython 1.27 VM (the base of CircuitPython 10) from Python.

The VM is the npm package @micropython/micropython-webassembly-pyscript@1.27.0 run under Node
by tools/mpvm/run.mjs. Install it once with:   npm ci --prefix tools/mpvm

Library use::

    from mpvm import run            # with tools/ on sys.path
    rc, out = run("import core.settings; print('ok')", files=["core"], heap=200 * 1024)

``code`` may be a list of sources, run one after another in the same ``__main__``: the VM's
garbage collector only collects between them (inside running code, ``gc.collect()`` merely
marks a collection as pending), so anything measuring freed memory must be split into chunks.

``out`` holds the VM's stdout and stderr interleaved (an uncaught exception's traceback is
at its end); ``rc`` is 0 on success, 1 for an uncaught exception, N for ``SystemExit(N)``,
3 when ``strict_heap`` and the heap had to grow past ``heap``, 2 for a harness error.

VM layout (mirrors a CIRCUITPY drive): ``files`` entries given as repo-relative paths keep
their path under ``/`` (``"core"`` -> ``/core``), third-party ``libs`` go to ``/lib``, the
stand-ins for CircuitPython built-ins (host/vm) to ``/_vmstubs``. sys.path is
``["", "/", "/lib", "/_vmstubs"]`` plus ``extra_path``; ``.frozen`` is removed so the
micropython-lib extras frozen into this build (asyncio, logging, datetime...) are hidden.

CLI::

    tools/mpvm.py -c "print(1)" [--files core,plugins] [--libs adafruit_bus_device] [--heap 163k]
    tools/mpvm.py [options] some_script.py [args...]      (options before the script)
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
from typing import Iterable, Sequence, Union

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPVM_DIR = os.path.join(REPO, "tools", "mpvm")
RUN_MJS = os.path.join(MPVM_DIR, "run.mjs")
PKG_DIR = os.path.join(MPVM_DIR, "node_modules", "@micropython", "micropython-webassembly-pyscript")
VM_VERSION = "1.27.0"
FIX = "npm ci --prefix tools/mpvm"
STUBS_DIR = os.path.join(REPO, "host", "vm")
STUBS_VM = "/_vmstubs"
TYPING_STUBS_VM = "/_vmtyping"
DEFAULT_HEAP = 1024 * 1024
DEFAULT_SYS_PATH = ["", "/", "/lib"]

FileEntry = Union[str, dict]


class MpvmSetupError(RuntimeError):
    """The VM can't be started: the message says how to fix it."""


def _fail(msg: str) -> None:
    bar = "!" * 78
    raise MpvmSetupError(f"\n{bar}\n{msg}\nFix (from {REPO}):\n    {FIX}\n{bar}")


def check_setup() -> str:
    """Return the node executable; raise MpvmSetupError (with the fix) if the VM isn't usable."""
    node = shutil.which("node")
    if not node:
        raise MpvmSetupError("Node.js (`node`) is not on PATH; the MicroPython VM harness needs Node >= 16.")
    pkg_json = os.path.join(PKG_DIR, "package.json")
    if not os.path.exists(os.path.join(PKG_DIR, "micropython.mjs")) or not os.path.exists(pkg_json):
        _fail(f"MicroPython VM not installed: {PKG_DIR} is missing (tools/mpvm/node_modules is not in git).")
    with open(pkg_json) as f:
        version = json.load(f).get("version")
    if version != VM_VERSION:
        _fail(f"Installed MicroPython VM is {version}, expected {VM_VERSION}.")
    return node


def site_packages() -> str:
    """The venv's site-packages, where the adafruit-circuitpython-* wheels put their .py files."""
    import sysconfig

    here = sysconfig.get_paths()["purelib"]
    venv = sorted(glob.glob(os.path.join(REPO, ".venv", "lib", "python3*", "site-packages")))
    for cand in venv + [here]:
        if os.path.isdir(cand):
            return cand
    return here


def lib_files(names: Iterable[str]) -> list[dict]:
    """File entries copying third-party libraries (top-level package or module) into /lib.

    Dotted names are fine: only the top-level part is used ("adafruit_bus_device.i2c_device").
    Looks in the venv's site-packages first, then the repo's lib/ (the board's /lib).
    """
    out: list[dict] = []
    seen = set()
    for name in names:
        top = name.split(".")[0]
        if top in seen:
            continue
        seen.add(top)
        for base in (site_packages(), os.path.join(REPO, "lib")):
            pkg = os.path.join(base, top)
            mod = pkg + ".py"
            if os.path.isdir(pkg):
                out.append({"src": pkg, "dst": "/lib/" + top})
                break
            if os.path.isfile(mod):
                out.append({"src": mod, "dst": "/lib/" + top + ".py"})
                break
        else:
            raise FileNotFoundError(
                f"library {top!r} not found in {site_packages()} or lib/; "
                "install the host requirements (pip install -r requirements-host.txt)"
            )
    return out


def stub_files(typing_stubs: bool = False) -> list[dict]:
    out: list[dict] = [{"src": STUBS_DIR, "dst": STUBS_VM, "exclude": ["typing_stubs", "README.md"]}]
    if typing_stubs:
        out.append({"src": os.path.join(STUBS_DIR, "typing_stubs"), "dst": TYPING_STUBS_VM})
    return out


def build_job(
    code: str | Sequence[str] | None = None,
    files: Sequence[FileEntry] = (),
    heap: int | str = DEFAULT_HEAP,
    *,
    file: str | None = None,
    argv: Sequence[str] | None = None,
    libs: Sequence[str] = (),
    stubs: bool = True,
    typing_stubs: bool = False,
    extra_path: Sequence[str] = (),
    sys_path: Sequence[str] | None = None,
    frozen: bool = False,
    strict_heap: bool = False,
    heap_report: bool = False,
    root: str = REPO,
) -> dict:
    if (code is None) == (file is None):
        raise ValueError("give exactly one of code= or file=")
    all_files: list[FileEntry] = list(files) + lib_files(libs)
    path = list(sys_path) if sys_path is not None else list(DEFAULT_SYS_PATH)
    path += list(extra_path)
    prelude = ""
    if stubs:
        all_files += stub_files(typing_stubs)
        path.append(STUBS_VM)
        prelude = "import _circuitpython_builtins"  # ConnectionError, as CircuitPython has it
        if typing_stubs:
            path.append(TYPING_STUBS_VM)
    job: dict = {
        "files": all_files,
        "heap": heap,
        "root": root,
        "sys_path": path,
        "frozen": frozen,
        "strict_heap": strict_heap,
        "heap_report": heap_report,
        "prelude": prelude,
    }
    if code is not None:
        job["code"] = code if isinstance(code, str) else list(code)
    else:
        job["file"] = os.path.abspath(file)  # type: ignore[arg-type]
    if argv is not None:
        job["argv"] = list(argv)
    return job


def run(
    code: str | Sequence[str] | None = None,
    files: Sequence[FileEntry] = (),
    heap: int | str = DEFAULT_HEAP,
    *,
    timeout: float = 600,
    echo: bool = False,
    **kw,
) -> tuple[int, str]:
    """Run `code` (or file=path) in the MicroPython VM. Returns (rc, combined stdout+stderr).

    files: repo-relative paths ("core", "tests/pure") keep their path under "/";
           {"src": host, "dst": vm_path} places anything anywhere.
    heap:  initial GC heap (bytes or "163k"). The VM grows it instead of raising MemoryError;
           strict_heap=True turns growth into rc 3.
    Other keywords: file, argv, libs, stubs, typing_stubs, extra_path, sys_path, frozen,
    strict_heap, heap_report, root (see build_job). echo=True also prints the output.
    Raises MpvmSetupError (with the fixing command) when the VM isn't installed.
    """
    node = check_setup()
    job = build_job(code, files, heap, **kw)
    proc = subprocess.run(
        [node, RUN_MJS],
        input=json.dumps(job).encode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        cwd=REPO,
    )
    out = proc.stdout.decode("utf-8", "replace")
    if echo:
        sys.stdout.write(out)
    return proc.returncode, out


RUNNER = os.path.join(REPO, "tools", "vm_test_runner.py")


def run_tests(
    test_files: Sequence[str],
    files: Sequence[FileEntry] = (),
    heap: int | str = DEFAULT_HEAP,
    *,
    verbose: bool = False,
    **kw,
) -> tuple[int, str, int, int]:
    """Run the test_* functions of host test modules inside the VM with tools/vm_test_runner.py.

    test_files: host paths of test modules (e.g. tests/pure/test_x.py); each one's directory is
    copied (repo-relative path kept) and put on the VM sys.path. `files` adds what they import
    (e.g. ["core", "plugins"]). Returns (rc, output, passed, failed); passed/failed come from the
    runner's final "N passed, M failed" line (-1, -1 if it never printed one).
    """
    entries: list[FileEntry] = list(files)
    dirs: list[str] = []
    modules: list[str] = []
    for tf in test_files:
        tf = os.path.abspath(tf)
        d = os.path.dirname(tf)
        rel = os.path.relpath(d, REPO)
        if rel.startswith(".."):
            vm_dir = "/_vmtests/" + str(len(dirs))
            entries.append({"src": d, "dst": vm_dir})
        else:
            vm_dir = "/" + rel.replace(os.sep, "/") if rel != "." else "/"
            entries.append(rel)
        if vm_dir not in dirs:
            dirs.append(vm_dir)
        modules.append(os.path.splitext(os.path.basename(tf))[0])
    entries.append({"src": RUNNER, "dst": "/_vmtools/vm_test_runner.py"})
    extra = list(kw.pop("extra_path", ())) + dirs + ["/_vmtools"]
    code = "import vm_test_runner\nvm_test_runner.main(%r, %r)\n" % (modules, verbose)
    rc, out = run(code, entries, heap, extra_path=extra, **kw)
    passed = failed = -1
    lines = out.strip().splitlines()
    for line in reversed(lines):
        parts = line.split()
        if len(parts) == 4 and parts[1] == "passed," and parts[3] == "failed":
            passed, failed = int(parts[0]), int(parts[2])
            break
    return rc, out, passed, failed


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run Python inside the MicroPython 1.27 VM (CircuitPython 10 base).")
    ap.add_argument("script", nargs="?", help="host .py file to run as __main__")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="sys.argv[1:] for the script")
    ap.add_argument("-c", dest="code", help="code to run instead of a script")
    ap.add_argument("--files", action="append", default=[],
                    help="host files/dirs to copy, comma-separated or repeated (repo-relative keep their path)")
    ap.add_argument("--libs", action="append", default=[],
                    help="third-party libraries to copy into /lib, comma-separated or repeated")
    ap.add_argument("--heap", default=str(DEFAULT_HEAP), help="initial heap: bytes, or 163k / 1m")
    ap.add_argument("--strict-heap", action="store_true", help="exit 3 if the heap had to grow")
    ap.add_argument("--heap-report", action="store_true", help="print heap figures to stderr")
    ap.add_argument("--no-stubs", action="store_true", help="don't add the host/vm stand-ins")
    ap.add_argument("--typing-stubs", action="store_true", help="add host/vm/typing_stubs to sys.path")
    ap.add_argument("--frozen", action="store_true", help="keep .frozen (micropython-lib extras) on sys.path")
    ap.add_argument("--path", action="append", default=[], help="extra VM sys.path entries, comma-separated")
    ap.add_argument("--print-job", action="store_true", help="print the run.mjs job JSON and exit")
    a = ap.parse_args(argv)
    if (a.code is None) == (a.script is None):
        ap.error("give a script or -c CODE")
    heap: int | str = int(a.heap) if a.heap.isdigit() else a.heap
    files = [x for v in a.files for x in v.split(",") if x]
    libs = [x for v in a.libs for x in v.split(",") if x]
    extra = [x for v in a.path for x in v.split(",") if x]
    kw = dict(
        libs=libs,
        stubs=not a.no_stubs,
        typing_stubs=a.typing_stubs,
        frozen=a.frozen,
        strict_heap=a.strict_heap,
        heap_report=a.heap_report,
        extra_path=extra,
    )
    if a.script is not None:
        kw["file"] = a.script
        kw["argv"] = [a.script] + list(a.args)
    if a.print_job:
        print(json.dumps(build_job(a.code, files, heap, **kw), indent=2))
        return 0
    try:
        node = check_setup()
    except MpvmSetupError as e:
        print(e, file=sys.stderr)
        return 2
    job = build_job(a.code, files, heap, **kw)
    sys.stdout.flush()
    return subprocess.run([node, RUN_MJS], input=json.dumps(job).encode(), cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main())
