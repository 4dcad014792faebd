"""``siam-track export``: tracker networks to ONNX, two graphs each (template branch once per
target, search branch per frame; dynamic search side), checked against torch.

Writes ``<out>/<name>.template.onnx`` and ``<out>/<name>.search.onnx`` per config, then runs
both graphs with ONNX Runtime (when installed) on seeded crops at the normal search size and
at the largest re-detection size and prints the largest |difference| of ``cls`` and ``loc`` to
torch, relative to the output range.

Examples::

    siam-track export                                   # every shipped model -> out/onnx
    siam-track export --config siamrpn_alex_dwxcorr --config nanotrack_v2 --out models/onnx
    siam-track export --config path/to/config.yaml --weights model.pth
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from .tracker_args import add_config_args

DEFAULT_OUT = "out/onnx"
OURS = ("siamrpn_slim", "nanotrack_v1", "nanotrack_v2", "nanotrack_v3")
# a check fails above this |difference| / output range (float32 reordering is ~1e-6)
CHECK_RTOL = 1e-3


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export tracker networks to ONNX (template + search graphs)",
        description="Export tracker networks to ONNX as two graphs and check them against torch.")
    add_config_args(parser, repeatable=True,
                    config_help="shipped PySOT experiment, bundled config name or config file "
                                "(repeatable; default: the five PySOT models, siamrpn_slim, nanotrack_v1..3)",
                    weights_help="checkpoint for a single --config")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime check")
    parser.set_defaults(func=run)


def load_network(name: str, weights: Optional[str]):
    """(stem, torch network, exemplar size, search sizes to check) of a config."""
    from ..core.config import RuntimeOptions
    from ..core.errors import ConfigError
    from ..models.export import network_of
    from .bench_cmd import _our_format_config

    options = RuntimeOptions(device="cpu")
    ours = _our_format_config(name)
    if ours is not None:
        from ..build.factory import build_tracker
        tracker = build_tracker(ours, weights, options, long_term=True)
        stem = ours.stem
    else:
        from ..models.pysot_config import load_pysot_config
        from ..models.reference_weights import reference_state_dict_for
        from .bench_cmd import resolve_config
        path, shipped = resolve_config(name)
        if weights is None and not shipped:
            raise ConfigError(f"--config {name}: no reference weights shipped for it; give --weights")
        exp = load_pysot_config(path)
        from ..build.pysot_factory import build_pysot_tracker
        from ..build.factory import pysot_max_instance_size
        tracker = build_pysot_tracker(exp, weights or reference_state_dict_for(exp.name), options)
        tracker.max_instance_size = pysot_max_instance_size(exp.track.instance_size, exp.anchor.stride)
        stem = exp.name
    network = network_of(tracker)
    if network is None:
        raise ConfigError(f"--config {name}: its tracker has no exportable torch network")
    base = tracker
    for _ in range(6):  # long-term / verifier / SiamMask wrappers around the SiamRPN tracker
        if hasattr(base, "track_cfg"):
            break
        base = next(getattr(base, a) for a in ("base", "rpn") if hasattr(base, a))
    cfg = base.track_cfg
    sizes = [cfg.instance_size]
    largest = getattr(tracker, "max_instance_size", None) or \
        getattr(getattr(tracker, "cfg", None), "max_instance_size", None)
    if largest and int(largest) != cfg.instance_size:
        sizes.append(int(largest))
    return stem, network, cfg.exemplar_size, sizes


def check_graphs(network, graphs, exemplar: int, sizes: List[int]) -> List[Tuple[int, float, float]]:
    """(search size, max |cls diff| / range, max |loc diff| / range) per size, ONNX Runtime vs torch."""
    import torch

    from ..models.backends.graph import build_graph_network

    runner = build_graph_network(network, "onnxruntime", num_threads=None, graphs=graphs)
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.integers(0, 256, (1, 3, exemplar, exemplar)).astype(np.float32))
    out = []
    with torch.inference_mode():
        template = network.template(z, cache_kernels=True)
        graph_template = runner.template(z)
        for size in sizes:
            x = torch.from_numpy(rng.integers(0, 256, (1, 3, size, size)).astype(np.float32))
            ref, got = network.track(x, template), runner.track(x, graph_template)
            diffs = [float((got[k] - ref[k]).abs().max()) / max(float(ref[k].abs().max()), 1e-6)
                     for k in ("cls", "loc")]
            out.append((size, diffs[0], diffs[1]))
    return out


def run(args: argparse.Namespace) -> int:
    from ..core.errors import ConfigError
    from ..models.backends import runtime_installed
    from ..models.export import export_graphs, write_graphs
    from ..models.reference_weights import PYSOT_REFERENCE_CONFIGS

    configs = args.config or list(PYSOT_REFERENCE_CONFIGS) + list(OURS)
    if args.weights and len(configs) != 1:
        raise ConfigError("--weights needs exactly one --config")
    check = not args.no_check
    if check and not runtime_installed("onnxruntime"):
        print("onnxruntime is not installed: graphs are written unchecked")
        check = False
    failed = 0
    print(f"{'config':34s} {'template/search MB':>18s} {'search px':>10s} {'cls rel diff':>13s} {'loc rel diff':>13s}")
    for name in configs:
        stem, network, exemplar, sizes = load_network(name, args.weights)
        graphs = export_graphs(network, exemplar, sizes[0])
        template_path, search_path = write_graphs(graphs, Path(args.out), stem)
        megabytes = f"{len(graphs.template_onnx) / 2**20:.1f}/{len(graphs.search_onnx) / 2**20:.1f}"
        if not check:
            print(f"{stem:34s} {megabytes:>18s} {'-':>10s}")
            continue
        for size, cls_diff, loc_diff in check_graphs(network, graphs, exemplar, sizes):
            bad = max(cls_diff, loc_diff) > CHECK_RTOL
            failed += bad
            print(f"{stem:34s} {megabytes:>18s} {size:10d} {cls_diff:13.2e} {loc_diff:13.2e}"
                  f"{'  FAILED' if bad else ''}")
    print(f"wrote {len(configs)} pair(s) of graphs to {args.out}")
    if failed:
        raise ConfigError(f"{failed} check(s) exceed {CHECK_RTOL:g} of the output range")
    return 0
