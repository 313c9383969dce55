"""What a window manager does to the app's window, done by hand under Xvfb
(which runs none): the close button (a WM_DELETE_WINDOW client message, the
way every window manager asks a window to close) and whether the window is on
screen. Speaks the core X protocol through bench/app/x11.py's client.
"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "app"))
from x11 import Display, _pad  # noqa: E402

IS_VIEWABLE = 2


class Windows(Display):
    def atom(self, name):
        raw = name.encode()
        seq = self._send(struct.pack("<BBHH2x", 16, 0, 2 + (len(raw) + _pad(len(raw))) // 4, len(raw)) + raw + b"\0" * _pad(len(raw)))
        msg, _ = self._reply(seq)
        return struct.unpack_from("<I", msg, 8)[0]

    def children(self, window):
        msg, extra = self._reply(self._send(struct.pack("<BxHI", 15, 2, window)))
        (n,) = struct.unpack_from("<H", msg, 16)
        return list(struct.unpack_from(f"<{n}I", extra, 0))

    def prop(self, window, name):
        """The property's value as bytes (any type), or b""."""
        seq = self._send(struct.pack("<BBHIIIII", 20, 0, 6, window, self.atom(name), 0, 0, 4096))
        msg, extra = self._reply(seq)
        fmt = msg[1]
        (count,) = struct.unpack_from("<I", msg, 16)
        return extra[:count * max(fmt // 8, 1)] if fmt else b""

    def viewable(self, window):
        msg, _ = self._reply(self._send(struct.pack("<BxHI", 3, 2, window)))
        return msg[26] == IS_VIEWABLE

    def find(self, title):
        """The top-level window with this title (_NET_WM_NAME or WM_NAME) that takes WM_DELETE_WINDOW."""
        delete = self.atom("WM_DELETE_WINDOW")
        found = []
        for w in self.children(self.root):
            names = (self.prop(w, "_NET_WM_NAME"), self.prop(w, "WM_NAME"))
            protocols = self.prop(w, "WM_PROTOCOLS")
            takes_delete = delete in struct.unpack(f"<{len(protocols) // 4}I", protocols)
            if title.encode() in names and takes_delete:
                found.append(w)
        # The one on screen, if one is (a toolkit may keep others unmapped).
        return next((w for w in found if self.viewable(w)), found[0] if found else None)

    def close(self, window):
        """The close button: WM_PROTOCOLS / WM_DELETE_WINDOW, sent to the window."""
        event = struct.pack("<BBHII5I", 33, 32, 0, window, self.atom("WM_PROTOCOLS"), self.atom("WM_DELETE_WINDOW"), 0, 0, 0, 0)
        self._send(struct.pack("<BBHII", 25, 0, 11, window, 0) + event)
        self.sync()


def app_window(title="MCP Auth Manager", timeout=10):
    d = Windows()
    deadline = time.time() + timeout
    while time.time() < deadline:
        w = d.find(title)
        if w:
            return d, w
        time.sleep(0.2)
    raise AssertionError(f"no window titled {title!r}")
