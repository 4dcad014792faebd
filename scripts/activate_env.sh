# Source me: activates the project's venv and, where present, its ROS 2 overlay.
# Usage: source scripts/activate_env.sh [.venv]
_siam_venv=${1:-.venv}
# shellcheck disable=SC1091
source "$_siam_venv/bin/activate"
if [ -f "$_siam_venv/siam_ros_env.sh" ]; then
  # shellcheck disable=SC1091
  source "$_siam_venv/siam_ros_env.sh"
fi
# Camera-size images between local processes (docs/node.md, "Large images"): the Fast DDS
# profile config/fastdds_large_images.xml, unless a Fast DDS profile / builtin-transports choice
# or another RMW is set already (the rule of siam_tracker_ros/ros/transport_env.py).
_siam_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
if [ -z "${FASTRTPS_DEFAULT_PROFILES_FILE:-}${FASTDDS_DEFAULT_PROFILES_FILE:-}${FASTDDS_BUILTIN_TRANSPORTS:-}" ]; then
  case "${RMW_IMPLEMENTATION:-}" in
    ""|rmw_fastrtps_cpp|rmw_fastrtps_dynamic_cpp)
      export FASTRTPS_DEFAULT_PROFILES_FILE="$_siam_root/config/fastdds_large_images.xml"
      export FASTDDS_DEFAULT_PROFILES_FILE="$FASTRTPS_DEFAULT_PROFILES_FILE" ;;
  esac
fi
unset _siam_venv _siam_root
