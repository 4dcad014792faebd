"""Fixtures and hooks shared by the test packages.

Hard watchdog: pytest-timeout (``timeout`` in pytest.ini, or ``@pytest.mark.timeout``) needs the
GIL to fire, so a C call that blocks while holding it (a DDS teardown, say) defeats it. Every test
therefore also runs under ``faulthandler.dump_traceback_later(budget, exit=True)``: a C-level
timer thread that needs no GIL, prints the stack of every thread and ends the process at once
(exit code 1). Its budget is the test's pytest-timeout plus ``HARD_MARGIN_S`` (so pytest-timeout
reports first whenever it can); ``SIAM_TEST_HARD_BUDGET_S`` overrides it for all tests.
"""
import faulthandler
import os
import sys

import pytest

HARD_MARGIN_S = 30.0


def _pytest_timeout_s(item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        value = marker.kwargs.get("timeout", marker.args[0] if marker.args else None)
        if value is not None:
            return float(value)
    try:
        return float(item.config.getini("timeout") or 0.0)
    except (ValueError, TypeError):   # pytest-timeout not installed: no "timeout" ini
        return 0.0


def hard_budget_s(item) -> float:
    """Seconds after which the hard watchdog ends the run while ``item`` is still running."""
    override = os.environ.get("SIAM_TEST_HARD_BUDGET_S")
    if override:
        return float(override)
    soft = _pytest_timeout_s(item)
    return soft + HARD_MARGIN_S if soft > 0 else 900.0


def _watchdog_file(config):
    """The un-captured stderr copy that pytest's faulthandler plugin keeps, else sys.__stderr__."""
    try:
        from _pytest.faulthandler import fault_handler_stderr_fd_key

        return config.stash[fault_handler_stderr_fd_key]
    except (ImportError, KeyError):
        return sys.__stderr__


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """Arm the hard watchdog around setup, call and teardown of each test."""
    budget = hard_budget_s(item)
    out = _watchdog_file(item.config)
    if hasattr(out, "write"):
        out.flush()
    faulthandler.dump_traceback_later(budget, exit=True, file=out)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a module single-threaded (use with ``pytestmark = pytest.mark.usefixtures(...)``):
    small tensors gain nothing from threads, and on a busy 2-core runner 2 threads make tracking
    ~10x slower (spin-waiting). The previous thread count is restored afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
