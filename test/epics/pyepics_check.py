"""Reference client for the EPICS tests: pyepics (EPICS's own libca underneath).

Reads a plan as JSON on stdin and prints what it saw as one JSON line:
  {"pvs": [names], "monitors": [names], "steps": [{"put": name, "value": v, "wait": bool, "read": [names]}]}
1. every PV in "pvs": caget value, native type, count, units, precision, limits,
   enum strings, alarm severity and status (get_ctrlvars / get_timevars);
2. a monitor (PV callback) on every name in "monitors";
3. each step: caput (with or without wait, timed), then caget of each name in "read";
4. the values and severities each monitor received.
The checks themselves are in the TypeScript test.
"""
import json
import sys
import time

import epics


def plain(v):
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, bytes):
        return v.decode("utf8", "replace")
    if isinstance(v, tuple):
        return [plain(x) for x in v]
    return v


def describe(name):
    pv = epics.PV(name, auto_monitor=False)
    if not pv.wait_for_connection(timeout=5):
        return {"connected": False}
    value = pv.get(timeout=5, use_monitor=False)
    ctrl = pv.get_ctrlvars(timeout=5) or {}
    tvars = pv.get_timevars(timeout=5) or {}
    return {
        "connected": True,
        "type": pv.type,
        "count": pv.count,
        "write_access": bool(pv.write_access),
        "value": plain(value),
        "as_string": pv.get(as_string=True, timeout=5, use_monitor=False),
        "units": plain(ctrl.get("units")),
        "precision": ctrl.get("precision"),
        "lower_ctrl_limit": plain(ctrl.get("lower_ctrl_limit")),
        "upper_ctrl_limit": plain(ctrl.get("upper_ctrl_limit")),
        "lower_disp_limit": plain(ctrl.get("lower_disp_limit")),
        "upper_disp_limit": plain(ctrl.get("upper_disp_limit")),
        "upper_alarm_limit": plain(ctrl.get("upper_alarm_limit")),
        "upper_warning_limit": plain(ctrl.get("upper_warning_limit")),
        "enum_strs": plain(ctrl.get("enum_strs")),
        "severity": tvars.get("severity"),
        "status": tvars.get("status"),
        "timestamp": tvars.get("timestamp"),
    }


def main():
    plan = json.load(sys.stdin)
    result = {"pvs": {}, "steps": [], "monitors": {}}
    for name in plan.get("pvs", []):
        result["pvs"][name] = describe(name)

    seen = {}
    keep = []
    for name in plan.get("monitors", []):
        seen[name] = []

        def cb(pvname=None, value=None, severity=None, **kw):
            seen[pvname].append([plain(value), severity])

        pv = epics.PV(name, form="time", callback=cb, auto_monitor=True)
        pv.wait_for_connection(timeout=5)
        keep.append(pv)
    time.sleep(0.3)

    for step in plan.get("steps", []):
        t0 = time.time()
        ret = epics.caput(step["put"], step["value"], wait=step.get("wait", False), timeout=30)
        dt = time.time() - t0
        if not step.get("wait", False):
            time.sleep(0.2)
        reads = {n: plain(epics.caget(n, use_monitor=False, timeout=5)) for n in step.get("read", [])}
        result["steps"].append({"ret": ret, "dt": dt, "read": reads})

    time.sleep(0.5)
    result["monitors"] = seen
    for pv in keep:
        pv.clear_callbacks()
        pv.disconnect()
    print(json.dumps(result))
    sys.stdout.flush()


main()
