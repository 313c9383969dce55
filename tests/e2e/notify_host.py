"""A desktop notification service for the end-to-end suite: what GNOME Shell,
KDE or dunst run on the session bus (org.freedesktop.Notifications), so the
app's notifications arrive somewhere the test can read them and, as a person
would, click one (the "default" action) or close it.

Driven over stdin/stdout, one JSON line each way:
  (printed)  {"ready": true}                                    it owns the name
  (printed)  {"notified": {"id", "app", "summary", "body", "actions"}}   a notification came
  click N -> {"clicked": N}                                     ActionInvoked(N, "default")
"""

import asyncio
import json
import sys

from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, method, signal

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def say(obj):
    print(json.dumps(obj, ensure_ascii=False), flush=True)


class Notifications(ServiceInterface):
    def __init__(self):
        super().__init__(NAME)
        self.next_id = 1

    @method()
    def Notify(self, app: "s", replaces: "u", icon: "s", summary: "s", body: "s", actions: "as", hints: "a{sv}", timeout: "i") -> "u":  # noqa: F821
        nid = replaces or self.next_id
        self.next_id += 1
        say({"notified": {"id": nid, "app": app, "summary": summary, "body": body, "actions": actions}})
        return nid

    @method()
    def GetCapabilities(self) -> "as":  # noqa: F821
        return ["actions", "body"]

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: F821
        return ["e2e-notify-host", "mcp-auth", "1", "1.2"]

    @method()
    def CloseNotification(self, nid: "u"):  # noqa: F821
        self.NotificationClosed(nid, 3)

    @signal()
    def ActionInvoked(self, nid, action) -> "us":  # noqa: F821
        return [nid, action]

    @signal()
    def NotificationClosed(self, nid, reason) -> "uu":  # noqa: F821
        return [nid, reason]


async def main():
    bus = await MessageBus().connect()
    service = Notifications()
    bus.export(PATH, service)
    await bus.request_name(NAME)
    say({"ready": True})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        try:
            if line.startswith("click "):
                nid = int(line.split()[1])
                service.ActionInvoked(nid, "default")
                say({"clicked": nid})
        except Exception as e:  # the test reads the reason
            say({"error": str(e)})


asyncio.run(main())
