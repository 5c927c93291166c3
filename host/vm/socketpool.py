"""VM stand-in for CircuitPython's `socketpool` (no network; `peer` = a socket class, e.g.
host/vm/vmbroker.BrokerSocket, makes every socket one of those and every name resolve)."""

peer = None


class SocketPool:
    AF_INET = 2
    SOCK_STREAM = 1
    SOCK_DGRAM = 2
    IPPROTO_TCP = 6
    EAI_NONAME = -2

    class gaierror(OSError):
        pass

    def __init__(self, radio):
        self.radio = radio

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if peer is not None:
            return [(2, 1, 6, "", ("127.0.0.1", port))]
        raise OSError(-2, "Name or service not known")

    def socket(self, family=2, type=1, proto=0):
        if peer is not None:
            return peer()
        raise OSError(23)  # ENFILE "Out of sockets" would be the board's complaint
