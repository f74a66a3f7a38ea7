"""What an audio file recorded by a browser holds, read from its container alone (no decoder):

usage: /usr/bin/python3 scripts/lib/webm_audio.py FILE

Prints {"container": "webm"|"ogg", "codec": "opus"|…, "seconds": S} and exits 0, or names what
is wrong and exits 1. WebM (Matroska): the EBML header's DocType, the track's CodecID and the
last block's time (cluster timecode + block offset, times TimecodeScale); Chromium's
MediaRecorder writes Segment and Cluster of unknown size, so masters are entered, not skipped.
Ogg: the OpusHead packet and the last page's granule position at 48 kHz.
"""
import json
import struct
import sys

MASTERS = {0x18538067, 0x1549A966, 0x1654AE6B, 0xAE, 0x1F43B675, 0xA0}  # Segment Info Tracks TrackEntry Cluster BlockGroup


def vint(data, i, keep_marker=False):
    first = data[i]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError(f"bad variable-length integer at {i}")
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[i + 1:i + length]:
        value = value << 8 | b
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, i + length, unknown


def webm(data):
    if data[:4] != b"\x1a\x45\xdf\xa3":
        raise ValueError("not an EBML file")
    i, doctype, codec, scale, cluster, last = 0, None, None, 1_000_000, 0, 0
    while i < len(data):
        element, i, _ = vint(data, i, keep_marker=True)
        size, i, unknown = vint(data, i)
        if element == 0x1A45DFA3:  # EBML header: read DocType inside
            end = i + size
            j = i
            while j < end:
                child, j, _ = vint(data, j, keep_marker=True)
                length, j, _ = vint(data, j)
                if child == 0x4282:
                    doctype = data[j:j + length].decode()
                j += length
            i = end
            continue
        if element in MASTERS or unknown:
            continue  # enter it
        payload = data[i:i + size]
        if element == 0x86:
            codec = payload.decode()
        elif element == 0x2AD7B1:
            scale = int.from_bytes(payload, "big")
        elif element == 0xE7:
            cluster = int.from_bytes(payload, "big")
        elif element in (0xA3, 0xA1):  # SimpleBlock, Block: track vint, then int16 offset
            _, k, _ = vint(payload, 0)
            offset = struct.unpack(">h", payload[k:k + 2])[0]
            last = max(last, cluster + offset)
        i += size
    return {"container": doctype, "codec": "opus" if codec == "A_OPUS" else codec, "seconds": round(last * scale / 1e9, 2)}


def ogg(data):
    if b"OpusHead" not in data[:200]:
        raise ValueError("an Ogg file without an OpusHead packet")
    granule = 0
    i = 0
    while True:
        i = data.find(b"OggS", i)
        if i < 0:
            break
        granule = max(granule, struct.unpack("<q", data[i + 6:i + 14])[0])
        i += 4
    return {"container": "ogg", "codec": "opus", "seconds": round(granule / 48000, 2)}


def main():
    data = open(sys.argv[1], "rb").read()
    try:
        info = ogg(data) if data[:4] == b"OggS" else webm(data)
    except (ValueError, IndexError, struct.error) as error:
        sys.exit(f"webm_audio: {sys.argv[1]}: {error}")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
