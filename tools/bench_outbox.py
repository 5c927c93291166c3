"""make bench, section 7: the AWS IoT outbox (core/outbox.py; issue 9's store and forward).

    figures(backlog) -> dict      report(dict) -> str

- Drain: a 10-minute outage at 1 Hz, accelerated: `backlog` observations written to the card's outbox
  before the logger starts (as a reboot after the outage finds them), then `python -m host` at a 1 s log
  interval against the local AWS IoT stand-in and a real NTP server: the time to connect, the time until
  the shadow has accepted all of them (and the live ones queued behind), the drain rate, and the largest
  gap between log ticks meanwhile.
- Card cost: bytes on the card per queued observation; card writes (file opens for writing) per
  observation queued and confirmed, counted on core.outbox's own open().
- Heap: the resident heap in the MicroPython VM with AWS IoT's outbox off, on (the default), and on
  with one sibling (MQTT Client) enabled beside it.
"""
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:
    sys.path.append(REPO)

AWS_SHADOW_PER_THING = 20  # AWS: about 20 shadow update requests a second per Thing
REPLAY_MS = 75  # plugins/iot/aws.py "Replay Interval" default


def observation(entry):
    """The steady bus's observation JSON as the logger sends it (ms since start)."""
    return json.dumps({"General": {"Time (millis)": str(entry * 1000), "Entry": entry, "Board Name": "DataLogger IoT"},
                       "MAX17048": {"Voltage (V)": 4.1, "State Of Charge (%)": 87.5, "Change Rate (%/hr)": -1.04},
                       "BME280": {"Humidity": 45.001, "TemperatureF": 70.7, "TemperatureC": 21.502,
                                  "Pressure": 101325.0, "AltitudeM": 0.0, "AltitudeF": 0.0}}, separators=(",", ":"))


def card_cost(entries=200):
    from core import outbox

    writes = [0]
    real_open = open

    def counting_open(path, mode="r", *args):
        if "w" in mode or "a" in mode:
            writes[0] += 1
        return real_open(path, mode, *args)

    outbox.open = counting_open  # the module's global: core.outbox's own file opens only
    try:
        with tempfile.TemporaryDirectory() as card:
            box = outbox.Outbox(card, "aws", 256, 20)
            for n in range(1, entries + 1):
                box.put(n, 1769467229 + n, observation(n))
            put_writes = writes[0]
            size = sum(os.path.getsize(os.path.join(card, f)) for f in os.listdir(card) if ".h" not in f)
            payload = sum(len(observation(n)) for n in range(1, entries + 1))
            writes[0] = 0
            while box.peek() is not None:
                box.next()
                box.confirm()
            confirm_writes = writes[0]
    finally:
        del outbox.open
    return {"entries": entries, "bytes_per_entry": size / entries, "payload_per_entry": payload / entries,
            "writes_per_put": put_writes / entries, "writes_per_confirm": confirm_writes / entries}


def drain_figures(backlog=600, timeout=180.0):
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from core.outbox import Outbox
    from host.aws import NtpServer, StandIn
    from host.aws.devicerun import Logger, aws_toml, restart, toml
    from hostrun import STEADY_BUS

    with tempfile.TemporaryDirectory() as tmp:
        standin = StandIn(os.path.join(tmp, "aws"), "TestThing23").start()
        ntp = NtpServer(os.path.join(tmp, "ntp")).start()
        try:
            folder = os.path.join(tmp, "dev")
            settings = toml("127.0.0.1:%d" % ntp.port, interval=1000,
                            extra=aws_toml(standin) + "AWS_IOT_OUTBOX_SIZE = 512\n")
            logger = Logger(folder, settings, STEADY_BUS, card_files=standin.certs)
            logger.proc.kill()  # only its folders were wanted: the card is filled before the start
            logger.proc.wait(10)
            for name in os.listdir(str(logger.sd)):
                if "-outbox." in name:
                    os.remove(str(logger.sd / name))
            box = Outbox(str(logger.sd), "aws", 512, 20)
            for n in range(1, backlog + 1):
                box.put(n, 1769467229 + n, observation(n))
            before = len(standin.accepted())
            t0 = time.monotonic()
            restart(logger)
            try:
                logger.wait("[I] AWS IoT: connected to", timeout=60)
                connected = time.monotonic() - t0
                first_tick = len(logger.times())
                end = t0 + timeout
                done = None
                while time.monotonic() < end:
                    got = standin.accepted()[before:]
                    entries = [u["state"]["reported"]["General"]["Entry"] for u in got]
                    live = entries[backlog:]
                    if len(entries) >= backlog and live and live[-1] >= max(logger_entries(logger)[-1:] or [0]) - 1:
                        done = time.monotonic() - t0
                        break
                    time.sleep(0.1)
                gap = logger.largest_gap(first_tick)
                ticks = len(logger.times())
            finally:
                logger.stop()
        finally:
            ntp.stop()
            standin.stop()
    replayed = entries[:backlog]
    return {"backlog": backlog, "connect_s": connected, "drained_s": done, "drain_s": (done - connected) if done else None,
            "rate": (backlog / (done - connected)) if done else None, "in_order": replayed == list(range(1, backlog + 1)),
            "live_during_drain": len(entries) - backlog, "ticks": ticks, "largest_tick_gap_ms": gap}


def logger_entries(logger):
    return [int(line.split(",")[1]) for line in list(logger.lines) if line[:1].isdigit()]


SIBLING = 'MQTT_CLIENT_ENABLED = 1\nMQTT_CLIENT_SERVER = "localhost"\nMQTT_CLIENT_MQTT_TOPIC = "logger/one"\n'


def heap_figures():
    """bench.aws_heap with AWS IoT's outbox off, on (Outbox Size's default, 64 KB), and on with MQTT
    Client enabled beside it; and MQTT Client alone, its outbox on. Every client publishes to the
    VM's broker socket."""
    sys.path.insert(0, HERE)
    import bench

    runs = {name: bench.aws_heap(20, extra, plugin) for name, extra, plugin in (
        ("off", "AWS_IOT_OUTBOX_SIZE = 0\n", "iot.aws"), ("on", "", "iot.aws"), ("both", SIBLING, "iot.aws"),
        ("sibling", SIBLING, "iot.mqtt"))}
    res = {"target": bench.AWS_TARGET_KB * 1024, "sibling_modules": runs["sibling"]["modules"],
           "sibling_confirmed": runs["sibling"]["confirmed"]}
    for name, run in runs.items():
        res[name + "_boot"] = run["boot"]
        res[name + "_sent"] = run["sent"]
    return res


def report(drain_res, cost, heap):
    kb = lambda n: "%.1f KB" % (n / 1024)  # noqa: E731
    lines = ["7. AWS IoT outbox (core/outbox.py; Outbox Size 512 KB, Replay Interval %d ms)" % REPLAY_MS]
    if drain_res["drained_s"]:
        lines.append("   Drain after a %d-minute outage at 1 Hz (%d observations on the card, accelerated: written before"
                     % (drain_res["backlog"] // 60, drain_res["backlog"]))
        lines.append("   the logger starts), logging at 1 s on: connected %.1f s after start; the %d replayed and the live"
                     % (drain_res["connect_s"], drain_res["backlog"]))
        lines.append("   ones queued behind accepted by the shadow %.1f s after connecting: %.1f observations/s (AWS allows"
                     % (drain_res["drain_s"], drain_res["rate"]))
        lines.append("   about %d shadow updates/s per Thing; target: %d in < 60 s); in order: %s; %d live observations"
                     % (AWS_SHADOW_PER_THING, drain_res["backlog"], "yes" if drain_res["in_order"] else "NO",
                        drain_res["live_during_drain"]))
        lines.append("   sent behind them; largest gap between log ticks meanwhile: %d ms (interval 1000 ms)"
                     % drain_res["largest_tick_gap_ms"])
    else:
        lines.append("   Drain: NOT finished within the time allowed: %s" % drain_res)
    lines.append("   Card cost: %.0f bytes on the card per queued observation (payload %.0f + its line header);"
                 % (cost["bytes_per_entry"], cost["payload_per_entry"]))
    lines.append("   card writes per observation: %.2f to queue (one append), %.2f to confirm (the head record)"
                 % (cost["writes_per_put"], cost["writes_per_confirm"]))
    lines.append("   Heap in the VM, connected, after 20 updates (bench section 4's run; target %s, + TLS ~36 KB on"
                 % kb(heap["target"]))
    lines.append("   a board): AWS IoT with its outbox off %s, on (64 KB, the default) %s (after boot %s / %s);"
                 % (kb(heap["off_sent"]), kb(heap["on_sent"]), kb(heap["off_boot"]), kb(heap["on_boot"])))
    lines.append("   MQTT Client alone, its outbox on, %s; AWS IoT and MQTT Client together %s: more than a board"
                 % (kb(heap["sibling_sent"]), kb(heap["both_sent"])))
    lines.append("   without PSRAM holds once TLS is up, so enable one IoT service at a time there")
    return "\n".join(lines)


def main():
    print(report(drain_figures(), card_cost(), heap_figures()))


if __name__ == "__main__":
    main()
