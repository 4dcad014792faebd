"""Every tracker-building sub-command spells the tracker arguments the same (argparse only)."""
import argparse

import pytest

from siam_tracker_ros.cli import build_parser, main
from siam_tracker_ros.cli.tracker_args import (exact_mode, runtime_options_from_args,
                                               tracker_spec_from_args)
from siam_tracker_ros.core.errors import ConfigError, InvalidInputError

# sub-command argv prefixes (positionals filled in); each builds and runs a tracker
RUNTIME_COMMANDS = {
    "video": ["video", "clip.mp4"],
    "eval": ["eval", "--dataset", "lt-small"],
    "bench": ["bench"],
    "bag eval": ["bag", "eval", "some_bag"],
}
CONFIG_COMMANDS = dict(RUNTIME_COMMANDS, export=["export"])
SHARED = ["--config", "nanotrack_v3", "--weights", "w.pth", "--device", "cpu", "--threads", "3", "--fp16"]


def _parse(argv):
    return build_parser().parse_args(argv)


def _config(args):
    return args.config[-1] if isinstance(args.config, list) else args.config


@pytest.mark.parametrize("command", sorted(RUNTIME_COMMANDS))
@pytest.mark.parametrize("mode,exact", [([], None), (["--fast"], False), (["--exact"], True)])
def test_runtime_commands_accept_the_same_flags(command, mode, exact):
    args = _parse(RUNTIME_COMMANDS[command] + SHARED + mode)
    assert (_config(args), args.weights, args.device, args.threads, args.fp16, args.exact) == \
        ("nanotrack_v3", "w.pth", "cpu", 3, True, exact)


@pytest.mark.parametrize("command", sorted(RUNTIME_COMMANDS))
def test_device_default_is_auto(command):
    argv = RUNTIME_COMMANDS[command] + ([] if command != "bag eval" else ["--baseline", "kcf"])
    assert _parse(argv).device == "auto"


@pytest.mark.parametrize("command", sorted(CONFIG_COMMANDS))
def test_old_spellings_are_deprecated_aliases(command, capsys):
    argv = CONFIG_COMMANDS[command] + ["--tracker", "siamrpn_slim"]
    if command in RUNTIME_COMMANDS:
        argv += ["--num-threads", "2"]
    args = _parse(argv)
    assert _config(args) == "siamrpn_slim"
    err = capsys.readouterr().err
    assert "--tracker is deprecated; use --config" in err
    if command in RUNTIME_COMMANDS:
        assert args.threads == 2 and "--num-threads is deprecated; use --threads" in err


def test_aliases_are_hidden_from_help(capsys):
    for argv in (["video", "--help"], ["bag", "eval", "--help"], ["train", "--help"]):
        with pytest.raises(SystemExit):
            _parse(argv)
        out = capsys.readouterr().out
        assert "--threads" in out and "--num-threads" not in out and "--tracker" not in out


def test_repeatable_config_mixes_old_and_new_spelling(capsys):
    assert _parse(["bench", "--config", "a", "--tracker", "b", "--config", "c"]).config == ["a", "b", "c"]


def test_fast_and_exact_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        _parse(["video", "clip.mp4", "--fast", "--exact"])
    assert "not allowed with" in capsys.readouterr().err


def test_bag_eval_config_or_baseline_still_exclusive(capsys):
    with pytest.raises(SystemExit):
        _parse(["bag", "eval", "b", "--tracker", "x", "--baseline", "kcf"])
    with pytest.raises(SystemExit):
        _parse(["bag", "eval", "b"])


def test_train_device_and_threads_stay_overrides():
    args = _parse(["train", "--config", "t.yaml", "--num-threads", "2"])
    assert (args.device, args.threads) == (None, 2)


def test_exact_mode_defaults_per_command():
    assert exact_mode(argparse.Namespace(exact=None)) is True
    assert exact_mode(argparse.Namespace(exact=None), default=False) is False
    assert exact_mode(argparse.Namespace(exact=True), default=False) is True


def test_runtime_options_from_args():
    options = runtime_options_from_args(_parse(["bag", "eval", "b", "--config", "x", "--device", "cpu",
                                                "--threads", "2"]), default_exact=False)
    assert (options.device, options.num_threads, options.exact, options.fp16) == ("cpu", 2, False, False)
    with pytest.raises(ConfigError, match="--device"):
        runtime_options_from_args(_parse(["video", "c.mp4", "--device", "gpu0"]))
    with pytest.raises(InvalidInputError, match="--threads must be >= 1"):
        runtime_options_from_args(_parse(["video", "c.mp4", "--threads", "0"]))


def test_tracker_spec_from_args():
    spec = tracker_spec_from_args(_parse(["eval", "--dataset", "lt-small", "--config", "default", "--long-term",
                                          "--device", "cpu", "--threads", "1"]))
    assert (spec.name, spec.config, spec.long_term, spec.device, spec.num_threads) == \
        ("default-lt", None, True, "cpu", 1)
    with pytest.raises(InvalidInputError, match="--fp16 and --fast"):
        tracker_spec_from_args(_parse(["eval", "--dataset", "lt-small", "--config", "default", "--fp16",
                                       "--fast"]))


def test_eval_rejects_unsupported_runtime_flags_in_one_line(capsys):
    assert main(["eval", "--dataset", "lt-small", "--config", "default", "--fast"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--fast" in err[0]
