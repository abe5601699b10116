"""pyepics' side of bench/epics.ts: the same measurements on the same IOC.

  epics_pyepics.py get N       -> {"rtt_us_p50": ...}   N sequential ca.get of SIM:ai1
  epics_pyepics.py monitor S   -> {"updates_per_s": ...} updates of SIM:fast counted for S seconds
"""
import json
import os
import sys
import time

import epics
from epics import ca


def main():
    mode, arg = sys.argv[1], float(sys.argv[2])
    if mode == "get":
        chid = ca.create_channel("SIM:ai1", auto_cb=False)
        ca.connect_channel(chid, timeout=5)
        for _ in range(200):
            ca.get(chid)
        samples = []
        for _ in range(int(arg)):
            t0 = time.perf_counter()
            ca.get(chid)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        print(json.dumps({"rtt_us_p50": samples[len(samples) // 2] * 1e6}))
    else:
        chid = ca.create_channel("SIM:fast", auto_cb=False)
        ca.connect_channel(chid, timeout=5)
        count = [0]

        def cb(**kw):
            count[0] += 1

        sub = ca.create_subscription(chid, callback=cb, use_time=True)
        time.sleep(0.5)
        start, t0 = count[0], time.perf_counter()
        time.sleep(arg)
        n, dt = count[0] - start, time.perf_counter() - t0
        ca.clear_subscription(sub[2])
        print(json.dumps({"updates_per_s": n / dt}))
    sys.stdout.flush()
    # Skip interpreter teardown: libca's thread may still be delivering a callback into
    # a half-finalised interpreter (it segfaults now and then otherwise).
    os._exit(0)


main()
