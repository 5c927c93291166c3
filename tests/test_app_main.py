"""code.py's main(): a fault in the core itself closes the files, says why and starts again."""
import os
import sys

from hostrun import REPO


def test_a_core_fault_closes_files_says_why_and_restarts(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(os.path.join(REPO, "host", "stubs"))
    monkeypatch.delitem(sys.modules, "supervisor", raising=False)
    import supervisor

    from core import app as app_module

    closed = []
    monkeypatch.setattr(app_module.App, "boot", lambda self: (_ for _ in ()).throw(MemoryError("heap full")))
    monkeypatch.setattr(app_module.App, "close", lambda self: closed.append(True))
    monkeypatch.setattr(app_module, "RESTART_DELAY_S", 0)
    try:
        app_module.main()
        raise AssertionError("main() returned instead of restarting")
    except supervisor.Reload:
        pass
    finally:
        sys.modules.pop("supervisor", None)  # the stand-in must not leak into other tests
    out = capsys.readouterr()
    assert closed == [True]
    assert "[W] stopped by MemoryError: heap full; files closed; restarting in 0 s" in out.out
    assert "MemoryError: heap full" in out.err  # the traceback, for the bug report
