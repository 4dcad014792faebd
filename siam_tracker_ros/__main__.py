"""``python -m siam_tracker_ros`` = ``siam-track``."""
import sys

from .cli import main

sys.exit(main())
