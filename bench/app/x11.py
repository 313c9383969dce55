"""A minimal X11 client (standard library only): enough to read pixels off the
root window and to watch top-level windows being created and mapped.

It speaks the core protocol over the display's Unix socket, so one pixel costs
one GetImage round trip (tens of microseconds) instead of spawning ImageMagick.
"""

import os
import select
import socket
import struct
import time

CREATE_NOTIFY, MAP_NOTIFY, CONFIGURE_NOTIFY = 16, 19, 22
SUBSTRUCTURE_NOTIFY_MASK = 1 << 19


def _pad(n):
    return (4 - n % 4) % 4


def _cookie(display_no):
    """MIT-MAGIC-COOKIE-1 for this display from $XAUTHORITY (xvfb-run writes one)."""
    path = os.environ.get("XAUTHORITY") or os.path.expanduser("~/.Xauthority")
    try:
        data = open(path, "rb").read()
    except OSError:
        return b"", b""
    i, fallback = 0, (b"", b"")
    while i + 2 <= len(data):
        (family,) = struct.unpack_from(">H", data, i)
        i += 2
        fields = []
        for _ in range(4):
            (n,) = struct.unpack_from(">H", data, i)
            fields.append(data[i + 2:i + 2 + n])
            i += 2 + n
        _address, number, name, value = fields
        if name != b"MIT-MAGIC-COOKIE-1":
            continue
        if number == str(display_no).encode():
            return name, value
        if family == 0xFFFF and not number:
            fallback = (name, value)
    return fallback


class Display:
    def __init__(self, name=None):
        name = name or os.environ.get("DISPLAY", "")
        if not name.startswith(":"):
            raise RuntimeError(f"only local displays are supported, not {name!r}")
        self.number = int(name[1:].split(".")[0])
        self.buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(f"/tmp/.X11-unix/X{self.number}")
        auth_name, auth_data = _cookie(self.number)
        req = struct.pack("<BxHHHH2x", 0x6C, 11, 0, len(auth_name), len(auth_data))
        req += auth_name + b"\0" * _pad(len(auth_name)) + auth_data + b"\0" * _pad(len(auth_data))
        self.sock.sendall(req)
        head = self._read(8)
        status, _, _, _, extra = struct.unpack("<BBHHH", head)
        body = self._read(extra * 4)
        if status != 1:
            raise RuntimeError(f"X connection refused: {body[:head[1]]!r}")
        vendor_len = struct.unpack_from("<H", body, 16)[0]
        n_formats = body[21]
        off = 32 + vendor_len + _pad(vendor_len) + 8 * n_formats
        self.root, = struct.unpack_from("<I", body, off)
        self.width, self.height = struct.unpack_from("<HH", body, off + 20)
        self.root_depth = body[off + 38]
        self.seq = 0
        self.events = []  # (monotonic time read, raw 32-byte event)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise RuntimeError("X server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, data):
        self.seq = (self.seq + 1) & 0xFFFF
        self.sock.sendall(data)
        return self.seq

    def _reply(self, seq):
        """Read until the reply to `seq`; events read meanwhile are queued."""
        while True:
            msg = self._read(32)
            code = msg[0]
            if code == 1:
                (length,) = struct.unpack_from("<I", msg, 4)
                extra = self._read(length * 4) if length else b""
                if struct.unpack_from("<H", msg, 2)[0] == seq:
                    return msg, extra
            elif code == 0:
                raise RuntimeError(f"X error {msg[1]} (request {msg[10]})")
            else:
                self.events.append((time.monotonic(), msg))

    def pump(self, timeout):
        """Wait up to `timeout` s for events; queue whatever arrives."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r and not self.buf:
            return
        if r:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("X server closed the connection")
            self.buf += chunk
        now = time.monotonic()
        while len(self.buf) >= 32 and self.buf[0] not in (0, 1):
            self.events.append((now, self.buf[:32]))
            self.buf = self.buf[32:]

    def watch_root(self):
        """ChangeWindowAttributes(root, event-mask = SubstructureNotify)."""
        self._send(struct.pack("<BxHIII", 2, 4, self.root, 1 << 11, SUBSTRUCTURE_NOTIFY_MASK))
        self.sync()

    def sync(self):
        """GetInputFocus as a round trip."""
        self._reply(self._send(struct.pack("<BxH", 43, 1)))

    def get_image(self, x, y, w, h):
        """ZPixmap bytes of the root window's rectangle (4 bytes a pixel at depth 24: B, G, R, x)."""
        seq = self._send(struct.pack("<BBHIhhHHI", 73, 2, 5, self.root, x, y, w, h, 0xFFFFFFFF))
        _, data = self._reply(seq)
        return data

    def pixel(self, x, y):
        b, g, r = self.get_image(x, y, 1, 1)[:3]
        return r, g, b

    def screenshot(self):
        """The whole root window as rows of (r, g, b), grabbed in bands."""
        rows, band = [], 64
        for y0 in range(0, self.height, band):
            hh = min(band, self.height - y0)
            data = self.get_image(0, y0, self.width, hh)
            stride = len(data) // hh
            for j in range(hh):
                row = data[j * stride:j * stride + self.width * 4]
                rows.append([(row[i + 2], row[i + 1], row[i]) for i in range(0, len(row), 4)])
        return rows

    def close(self):
        self.sock.close()
