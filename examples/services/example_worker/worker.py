"""example_worker: pretends to drain a queue, one item every five seconds."""
import time

done = 0
while True:
    done += 1
    print("worked on item {}".format(done), flush=True)
    time.sleep(5)
