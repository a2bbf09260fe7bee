"""example_batch rollup: summarises one hour (the scheduler passes --date and --hour)."""
import sys

print("rolling up", " ".join(sys.argv[1:]), flush=True)
