"""example_worker cleanup: runs after example_batch.rollup (a job of another service) succeeds."""
print("cleaning up after the rollup", flush=True)
