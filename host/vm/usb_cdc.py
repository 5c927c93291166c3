# VM stand-in for CircuitPython's `usb_cdc`: a console whose host reads everything at once, so the
# firmware's lines reach the VM's stdout unchanged (and the fit check of core/console.py still runs).
# A host that stops reading is scripted over it: tools/e2e_board.py replaces `console` with one
# whose FIFO stays full for a while, in the VM and in CPython alike, so the drop path is compared.
# The module itself serves as `console`, and this is a comment, not a docstring: on the board the
# module is built in, so anything here that sat in the heap would distort the heap figures.
import sys

connected = True  # a host holds the port open
out_waiting = 0  # and has taken every byte
console = sys.modules[__name__]
data = None
