"""example_batch publish: publishes a day's rollups (runs after rollup)."""
import sys

print("publishing", " ".join(sys.argv[1:]), flush=True)
