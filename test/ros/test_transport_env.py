"""The large-image Fast DDS setting (siam_tracker_ros/ros/transport_env.py, activate_env.sh):
set when nothing is chosen, never over a user's explicit choice or another RMW."""
import os
import subprocess

import pytest

from siam_tracker_ros.ros.transport_env import (PROFILE_VARS, apply_large_image_transport,
                                                large_image_transport_env)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_sets_both_profile_variables_to_the_bundled_profile():
    env = large_image_transport_env({})
    assert set(env) == set(PROFILE_VARS)
    path = env["FASTRTPS_DEFAULT_PROFILES_FILE"]
    assert os.path.basename(path) == "fastdds_large_images.xml" and os.path.isfile(path)
    assert env["FASTDDS_DEFAULT_PROFILES_FILE"] == path
    assert large_image_transport_env({"RMW_IMPLEMENTATION": "rmw_fastrtps_cpp"}) == env


@pytest.mark.parametrize("user", [
    {"FASTRTPS_DEFAULT_PROFILES_FILE": "/my/profile.xml"},
    {"FASTDDS_DEFAULT_PROFILES_FILE": "/my/profile.xml"},
    {"FASTDDS_BUILTIN_TRANSPORTS": "LARGE_DATA"},
    {"RMW_IMPLEMENTATION": "rmw_cyclonedds_cpp"},
])
def test_an_explicit_choice_is_kept(user):
    assert large_image_transport_env(user) == {}
    environ = dict(user)
    assert apply_large_image_transport(environ) == {} and environ == user


def _activate(extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(extra)
    script = (f"source {REPO}/scripts/activate_env.sh {REPO}/.venv >/dev/null 2>&1; "
              "echo \"${FASTRTPS_DEFAULT_PROFILES_FILE:-}|${FASTDDS_DEFAULT_PROFILES_FILE:-}|"
              "${FASTDDS_BUILTIN_TRANSPORTS:-}\"")
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                         timeout=60, cwd="/")
    return out.stdout.strip().split("|")


@pytest.mark.skipif(not os.path.isdir(os.path.join(REPO, ".venv")), reason="no .venv")
def test_activate_env_sets_the_profile_unless_chosen():
    rtps, dds, builtin = _activate({})
    assert rtps == dds == os.path.join(REPO, "config", "fastdds_large_images.xml")
    assert builtin == ""
    assert _activate({"FASTDDS_BUILTIN_TRANSPORTS": "LARGE_DATA"}) == ["", "", "LARGE_DATA"]
    assert _activate({"FASTRTPS_DEFAULT_PROFILES_FILE": "/mine.xml"}) == ["/mine.xml", "", ""]
