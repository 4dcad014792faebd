"""Dataset readers, metrics, the evaluation runner and reports."""
