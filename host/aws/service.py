"""The shadow service's process: `python -m host.aws.service --port P --ca .. --cert .. --key .. --state-dir D`.

(A module of its own, so `-m` never runs host/aws/shadow.py a second time.)
"""

import sys

from host.aws.shadow import main

if __name__ == "__main__":
    sys.exit(main())
