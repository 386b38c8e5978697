#!/usr/bin/python3
"""tests/simset.py - edit the sim backend's state file as another program
would, atomically (write, then rename), for the e2e scripts:

  simset.py SIM cpu VM N      set VM's cpuCount to N (drift by hand)
  simset.py SIM fault MSG     make every apply fail with MSG ("" clears)
  simset.py SIM restart VM N  make VM's restarts take N seconds
"""
import json
import os
import sys

path, what, *args = sys.argv[1:]
d = json.load(open(path))
if what == "cpu":
    d["vms"][args[0]]["cpuCount"] = int(args[1])
elif what == "restart":
    d["vms"][args[0]]["restartSeconds"] = int(args[1])
elif what == "fault" and args[0]:
    d["faults"] = {"applyError": args[0]}
elif what == "fault":
    d.pop("faults", None)
else:
    sys.exit("simset.py: unknown edit '%s'" % what)
with open(path + ".t", "w") as f:
    f.write(json.dumps(d))
os.rename(path + ".t", path)
