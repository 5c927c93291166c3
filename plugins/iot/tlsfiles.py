# The TLS context of a service from its certificates: PEM files on the SD card (or inline PEM in a
# setting, written to the card first: the board's TLS reads a client certificate only from a file).
# Shared by AWS IoT, MQTT Secure Client and HTTP IoT; imported for a connect attempt and released
# after it (core.app.release), so it costs heap only meanwhile.
#
# context(c, now, props, names, needs) -> an ssl context, or None when not ready (said once through
# c._say and c.waiting_for = "files"; looked for again after mqttlink.CARD_CHECK_MS). `props` is
# (CA, CERT, KEY, CA_FILE, CERT_FILE, KEY_FILE): any may be None (no such setting).
# `names` are the card files inline PEM is written to (certificate, key). `needs` is the words for a
# required client certificate ("AWS IoT needs the Thing's "), or None: the client certificate and
# key are then optional (both or neither). The service `c` has app, net, server, context,
# files_checked, waiting_for and _say(text, warn=True).
import errno

from adafruit_ticks import ticks_diff

from core import sdcard
from plugins.iot.mqttlink import CARD_CHECK_MS


def context(c, now, props, names, needs):
    if c.context is not None:
        return c.context
    if c.files_checked is not None and ticks_diff(now, c.files_checked) < CARD_CHECK_MS:
        return None
    c.files_checked = now
    get = c.app.settings.get
    paths = []
    ca_text = None
    for i in range(3):
        prop = props[i]
        file_prop = props[i + 3]
        if prop is None and file_prop is None:
            continue  # no such setting (HTTP IoT has only a CA file)
        inline = _clean(get(prop)) if prop is not None else ""
        if inline:
            error = _pem_error(inline, i == 2)
            if error:
                return _wait(c, prop.name + " (" + prop.key + ") " + error)
            if i == 0:
                ca_text = inline
                continue
            path = _write_inline(c, prop, inline, names[i - 1])
            if path is None:
                return None
            paths.append(path)
            continue
        name = get(file_prop).strip()
        if not name:
            if i == 0:
                continue  # the board's built-in CA bundle
            if needs is None:
                continue  # no client certificate: checked below, both or neither
            return _wait(c, (prop.name + " and " if prop is not None else "") + file_prop.name + (
                " are both empty: " if prop is not None else " is empty: ") + needs
                + ("device certificate" if i == 1 else "private key"))
        if not sdcard.mounted() and sdcard.mount(get) is not None:
            return _wait(c, "no SD card for " + file_prop.name + " \"" + name + "\"")
        path = sdcard.ROOT + "/" + name.lstrip("/")
        try:
            with open(path, "r") as f:
                text = f.read(16384)
        except (OSError, UnicodeError) as err:
            return _wait(c, file_prop.name + ": " + path + " " + (
                "is missing on the card" if _errno(err) == errno.ENOENT else "cannot be read (" + str(err) + ")"))
        error = _pem_error(text, i == 2)
        if error:
            return _wait(c, file_prop.name + ": " + path + " " + error)
        if i == 0:
            ca_text = text
        else:
            paths.append(path)
        text = None
    if len(paths) == 1:
        return _wait(c, "a client certificate needs its key and a key its certificate: set both "
                     + props[4].name + " and " + props[5].name + ", or neither")
    import ssl
    ctx = ssl.create_default_context()
    try:
        if ca_text:
            ctx.load_verify_locations(cadata=ca_text)
        if paths:
            ctx.load_cert_chain(paths[0], paths[1])
    except (OSError, ValueError) as err:
        return _wait(c, "the client certificate or key cannot be loaded (" + str(err) + ")")
    # The board parses the PEM when wrapping a socket: try it now, so a bad one is named, not leaked.
    pool = c.net.socket_pool()
    sock = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    try:
        ctx.wrap_socket(sock, server_hostname=c.server).close()
    except (ValueError, OSError) as err:  # the board: ValueError for bad input, OSError(-0x...) from mbedTLS
        return _wait(c, "the certificates or key are not valid (" + str(err) + ")")
    finally:
        sock.close()
    c.context = ctx
    if c.waiting_for == "files":
        c._say("certificate files found", warn=False)
    return ctx


def _wait(c, text):
    c.waiting_for = "files"
    c._say(text + "; waiting for the card or the settings to change (logging goes on)")
    return None


def _write_inline(c, prop, text, name):
    # load_cert_chain takes only paths: inline PEM goes to the card first.
    if not sdcard.mounted() and sdcard.mount(c.app.settings.get) is not None:
        _wait(c, prop.name + " is inline, but the board's TLS reads it only from a file and there "
              "is no SD card to write it to")
        return None
    path = sdcard.ROOT + "/" + name
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as err:
        _wait(c, prop.name + ": cannot write " + path + " (" + str(err) + ")")
        return None
    return path


def _clean(text):
    # PEM as pasted: stray \r removed, literal \n turned into line breaks.
    if not text:
        return ""
    text = text.replace("\r", "")
    if "\\n" in text:
        text = text.replace("\\n", "\n")
    return text.strip()


def _pem_error(text, key):
    # Why text is not PEM of the expected kind, or None. Never quotes the text.
    if "-----BEGIN " not in text or "-----END " not in text:
        return "is not PEM (no -----BEGIN/-----END lines)"
    if key and "PRIVATE KEY-----" not in text:
        return "is not a private key in PEM"
    if not key and "CERTIFICATE-----" not in text:
        return "is not a certificate in PEM"
    return None


def _errno(err):
    args = getattr(err, "args", ())
    return args[0] if args and isinstance(args[0], int) else getattr(err, "errno", None)
