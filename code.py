# SparkFun DataLogger IoT for CircuitPython: the device entry point. The work is in core/.
from core.app import main

main()
