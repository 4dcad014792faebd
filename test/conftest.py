"""Fixtures shared by the test packages."""
import pytest


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
