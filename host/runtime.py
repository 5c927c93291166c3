"""Host-run state shared by the stand-ins in host/stubs (never on the board).

The host runner sets ``BUS_FILE`` (a bus-file path, or None for the built-in
default bus) before code.py first touches I2C; tests may set ``bus`` directly.
"""

BUS_FILE = None  # path of the simulated-I2C bus file; None = host/sim/default_bus.json
bus = None  # the SimBus in use, created on first use by get_bus()


def get_bus():
    """The simulated I2C bus, loaded from BUS_FILE the first time it is needed."""
    global bus
    if bus is None:
        from host.sim.bus import load_bus

        bus = load_bus(BUS_FILE)
    return bus

# Set by the host runner (python -m host):
DRIVE = None  # folder acting as CIRCUITPY: settings.toml and nvm.bin
SD_DIR = None  # folder acting as the SD card, or None for no card
NVM_SIZE = 8192  # bytes, as on espressif
STDIN_FD = None  # the console's input file descriptor, when one is attached
