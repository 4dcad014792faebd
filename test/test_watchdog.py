"""The hard per-test watchdog (test/conftest.py) ends a test that hangs in a C call holding the
GIL — which pytest-timeout cannot interrupt — within its budget, printing every thread's stack."""
import shutil
import subprocess
import sys
import time
from pathlib import Path

HANG = '''
import ctypes, threading, time

def test_hangs_in_c_holding_the_gil():
    threading.Thread(target=time.sleep, args=(100,), daemon=True, name="bystander").start()
    libc = ctypes.PyDLL(None)             # PyDLL: the GIL stays held during the call
    mutex = ctypes.create_string_buffer(64)
    libc.pthread_mutex_lock(mutex)
    libc.pthread_mutex_lock(mutex)        # self-deadlock: blocks for good, GIL held
'''


def test_watchdog_ends_a_gil_holding_hang_and_prints_every_thread(tmp_path):
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\ntimeout = 1\n")
    (tmp_path / "test_hang.py").write_text(HANG)
    env_budget = {"SIAM_TEST_HARD_BUDGET_S": "3"}
    import os

    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "test_hang.py"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, **env_budget}, timeout=120)
    elapsed = time.monotonic() - started
    text = done.stdout + done.stderr
    assert done.returncode != 0, text[-2000:]
    assert "Timeout (0:00:03)!" in text, text[-2000:]
    assert "test_hangs_in_c_holding_the_gil" in text          # the hung test's stack
    assert text.count("Thread 0x") >= 2, text[-2000:]       # and every other thread's
    assert elapsed < 60, elapsed
