"""The batched grouped-conv correlations equal a slow per-sample, per-channel loop."""
import pytest
import torch

from siam_tracker_ros.models.heads.xcorr import xcorr_depthwise, xcorr_plain, xcorr_up_channel


def _slow_correlate(x2d: torch.Tensor, k2d: torch.Tensor) -> torch.Tensor:
    """Valid 2-D cross-correlation of one plane by one kernel, float64, by explicit windows."""
    h, w = k2d.shape
    out = torch.empty(x2d.size(0) - h + 1, x2d.size(1) - w + 1, dtype=torch.float64)
    for i in range(out.size(0)):
        for j in range(out.size(1)):
            out[i, j] = (x2d[i:i + h, j:j + w].double() * k2d.double()).sum()
    return out


def _slow_depthwise(x, k):
    return torch.stack([torch.stack([_slow_correlate(x[n, c], k[n if k.size(0) > 1 else 0, c])
                                     for c in range(x.size(1))]) for n in range(x.size(0))])


def _slow_up_channel(x, k):
    n_out = k.size(1) // x.size(1)
    outs = []
    for n in range(x.size(0)):
        kn = k[n if k.size(0) > 1 else 0].reshape(n_out, x.size(1), k.size(2), k.size(3))
        outs.append(torch.stack([sum(_slow_correlate(x[n, c], kn[o, c]) for c in range(x.size(1)))
                                 for o in range(n_out)]))
    return torch.stack(outs)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


@pytest.mark.parametrize("kernel_batch", [3, 1])
def test_depthwise_matches_loop(gen, kernel_batch):
    x = torch.randn(3, 4, 9, 11, generator=gen)
    k = torch.randn(kernel_batch, 4, 3, 4, generator=gen)
    out = xcorr_depthwise(x, k)
    assert out.shape == (3, 4, 7, 8)
    torch.testing.assert_close(out.double(), _slow_depthwise(x, k), atol=1e-5, rtol=1e-5)


def test_depthwise_on_channels_last_input(gen):
    x = torch.randn(2, 5, 8, 8, generator=gen).contiguous(memory_format=torch.channels_last)
    k = torch.randn(2, 5, 3, 3, generator=gen)
    torch.testing.assert_close(xcorr_depthwise(x, k).double(), _slow_depthwise(x, k), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kernel_batch", [2, 1])
def test_up_channel_matches_loop(gen, kernel_batch):
    x = torch.randn(2, 3, 8, 9, generator=gen)
    k = torch.randn(kernel_batch, 4 * 3, 4, 4, generator=gen)
    out = xcorr_up_channel(x, k)
    assert out.shape == (2, 4, 5, 6)
    torch.testing.assert_close(out.double(), _slow_up_channel(x, k), atol=1e-4, rtol=1e-5)


def test_plain_xcorr_is_sum_over_channels(gen):
    x = torch.randn(3, 4, 10, 10, generator=gen)
    z = torch.randn(3, 4, 5, 5, generator=gen)
    out = xcorr_plain(x, z)
    assert out.shape == (3, 1, 6, 6)
    torch.testing.assert_close(out[:, 0].double(), _slow_depthwise(x, z).sum(1), atol=1e-4, rtol=1e-5)


def test_batch_of_one_search_equals_each_sample(gen):
    x = torch.randn(4, 6, 12, 12, generator=gen)
    k = torch.randn(4, 6, 5, 5, generator=gen)
    batched = xcorr_depthwise(x, k)
    for n in range(4):
        assert torch.allclose(batched[n:n + 1], xcorr_depthwise(x[n:n + 1], k[n:n + 1]), atol=1e-6)


def test_mismatched_batch_or_channels_are_errors(gen):
    x = torch.randn(3, 4, 9, 9, generator=gen)
    with pytest.raises(ValueError, match="batch"):
        xcorr_depthwise(x, torch.randn(2, 4, 3, 3, generator=gen))
    with pytest.raises(ValueError, match="channels"):
        xcorr_depthwise(x, torch.randn(3, 5, 3, 3, generator=gen))
    with pytest.raises(ValueError, match="multiple"):
        xcorr_up_channel(x, torch.randn(3, 6, 3, 3, generator=gen))
    with pytest.raises(ValueError, match="channels"):
        xcorr_plain(x, torch.randn(3, 2, 3, 3, generator=gen))
