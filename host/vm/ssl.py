"""VM stand-in for CircuitPython's `ssl`."""


class SSLContext:
    check_hostname = True

    def load_cert_chain(self, certfile, keyfile):
        pass

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        if cafile is not None or capath is not None:
            raise NotImplementedError()

    def set_default_verify_paths(self):
        pass

    def wrap_socket(self, sock, server_side=False, server_hostname=None):
        if getattr(sock, "vm_tls", False):
            return sock  # host/vm/vmbroker.py: no TLS in the VM
        raise OSError(5)


def create_default_context():
    return SSLContext()
