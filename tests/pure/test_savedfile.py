import json

from core import savedfile

SEED = """{
  "Logging Timer": {
    "Interval": 5000
  },
  "AWS IoT": {
    "Enabled": true,
    "Port": 8883,
    "Server": "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com",
    "MQTT Topic": "$aws/things/TestThing23/shadow/update",
    "Client Name": "TestThing23",
    "Buffer Size": 0,
    "Username": "",
    "Password": "",
    "CA Certificate": "",
    "Client Certificate": "",
    "Client Key": "",
    "CA Cert Filename": "AmazonRootCA1.pem",
    "Client Cert Filename": "TestThing23_DevCert.crt",
    "Client Key Filename": "TestThing23_Private.key"
  }
}
"""


def test_the_originals_file_loads_whole():
    sections, problems = savedfile.parse_json(SEED, "sd/datalogger.json")
    assert problems == []
    assert sections["AWS IoT"]["Client Name"] == "TestThing23"
    assert sections["AWS IoT"]["Port"] == 8883
    assert sections["Logging Timer"]["Interval"] == 5000


def test_a_damaged_file_loses_only_its_bad_keys():
    damaged = SEED.replace('"Port": 8883,', '"Port": 88 83,').replace('"Buffer Size": 0,', '"Buffer Size": 0')
    sections, problems = savedfile.parse_json(damaged, "sd/datalogger.json")
    assert problems[0] == "sd/datalogger.json: not valid JSON; reading it line by line"
    assert 'sd/datalogger.json line 7: "AWS IoT"/"Port": bad value 88 83' in problems
    assert "Port" not in sections["AWS IoT"]
    assert sections["AWS IoT"]["Server"] == "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com"
    assert sections["AWS IoT"]["Buffer Size"] == 0
    assert sections["Logging Timer"]["Interval"] == 5000


def test_wrong_shapes_are_named():
    sections, problems = savedfile.parse_json('{"Logger": 5, "Data File": {"File Prefix": "log"}}', "f.json")
    assert sections == {"Data File": {"File Prefix": "log"}}
    assert problems == ['f.json: "Logger": expected an object of properties']
    assert savedfile.parse_json("[1, 2]", "f.json")[1] == ["f.json: expected a JSON object of sections"]


def test_dump_keeps_the_given_order_one_property_per_line():
    text = savedfile.dump_json({"B": {"y": 2, "x": "s"}, "A": {"z": True}}, [("B", ["x", "y"]), ("A", ["z"])])
    assert text == '{\n  "B": {\n    "x": "s",\n    "y": 2\n  },\n  "A": {\n    "z": true\n  }\n}\n'
    assert json.loads(text) == {"B": {"y": 2, "x": "s"}, "A": {"z": True}}


def test_nvm_image_round_trip_and_damage():
    payload = b'{"Logger": {"Timestamp Mode": "epoch s"}}'
    image = bytearray(b"\xff" * 8192)
    blob = savedfile.nvm_image(payload)
    image[0:len(blob)] = blob
    assert savedfile.nvm_payload(image) == (payload, None)
    assert savedfile.nvm_payload(bytearray(b"\xff" * 64)) == (None, "empty")
    image[20] ^= 0x01
    assert savedfile.nvm_payload(image) == (None, "checksum mismatch")
    short = bytearray(blob[:12])
    assert "runs past the end" in savedfile.nvm_payload(short)[1]
    assert savedfile.nvm_payload(bytearray(b"junkjunkjunk")) == (None, "no settings header")


def test_adler32_matches_zlib():
    assert savedfile.adler32(b"Wikipedia") == 0x11E60398
    assert savedfile.adler32(b"") == 1
