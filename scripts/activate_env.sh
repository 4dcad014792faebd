# Source me: activates the project's venv and, where present, its ROS 2 overlay.
# Usage: source scripts/activate_env.sh [.venv]
_siam_venv=${1:-.venv}
# shellcheck disable=SC1091
source "$_siam_venv/bin/activate"
if [ -f "$_siam_venv/siam_ros_env.sh" ]; then
  # shellcheck disable=SC1091
  source "$_siam_venv/siam_ros_env.sh"
fi
unset _siam_venv
