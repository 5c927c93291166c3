"""Minimal test runner that runs INSIDE the MicroPython VM (no pytest, no fixtures).

Usage inside the VM (tools/mpvm.py copies this file to /vm_test_runner.py):

    import vm_test_runner
    vm_test_runner.main(["test_vm_smoke", "test_other"])      # module names on sys.path

or run this file as __main__ with the module names in sys.argv[1:]. Add "-v" to list each
passing test too.

For each module: import it (an import error counts as one failure), then call every
top-level function whose name starts with "test_", in name order (MicroPython dicts have
no definition order), with no arguments. A test fails when it raises; its traceback is
printed with sys.print_exception. The last line printed is always "N passed, M failed".
"""

import gc
import sys


def _run_module(name, verbose, counts):
    try:
        mod = __import__(name)
        for part in name.split(".")[1:]:
            mod = getattr(mod, part)
    except Exception as e:  # ImportError, SyntaxError, anything raised at import
        counts[1] += 1
        print("FAIL", name, "(import)")
        sys.print_exception(e)
        return
    names = sorted(n for n in dir(mod) if n.startswith("test_"))
    for test_name in names:
        fn = getattr(mod, test_name)
        if not callable(fn) or isinstance(fn, type):
            continue
        try:
            fn()
        except Exception as e:
            counts[1] += 1
            print("FAIL", name + "." + test_name)
            sys.print_exception(e)
        else:
            counts[0] += 1
            if verbose:
                print("ok  ", name + "." + test_name)
        gc.collect()


def main(modules, verbose=False):
    """Run the tests of `modules`; returns (passed, failed) after printing the summary line."""
    counts = [0, 0]
    for name in modules:
        if name == "-v":
            verbose = True
            continue
        _run_module(name, verbose, counts)
    print("%d passed, %d failed" % (counts[0], counts[1]))
    return counts[0], counts[1]


if __name__ == "__main__":
    _passed, _failed = main(sys.argv[1:])
    if _failed or not _passed:
        sys.exit(1)
