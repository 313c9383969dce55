"""A tray host for the end-to-end suite: the StatusNotifierWatcher that KDE,
XFCE or GNOME's AppIndicator extension run on the session bus, so the app
(libayatana-appindicator under Tauri's tray) finds a tray and puts its icon in
it. Then, as a person at the tray would, it reads the icon's menu and clicks
its items, through the menu's own D-Bus interface (com.canonical.dbusmenu).

Driven over stdin/stdout, one JSON line each way:
  (printed)  {"ready": true}                        the watcher owns its name
  (printed)  {"registered": [bus, path]}            the app's icon came
  menu    -> {"menu": [[id, label], ...]}           the menu as it is now
  click N -> {"clicked": N}                         item N clicked
"""

import asyncio
import json
import sys
import time

from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus

WATCHER = "org.kde.StatusNotifierWatcher"
PATH = "/StatusNotifierWatcher"
items = []


def say(obj):
    print(json.dumps(obj), flush=True)


def watcher_property(name):
    return {
        "IsStatusNotifierHostRegistered": Variant("b", True),
        "ProtocolVersion": Variant("i", 0),
        "RegisteredStatusNotifierItems": Variant("as", [f"{b}{p}" for b, p in items]),
    }.get(name)


def handler(bus):
    def on_message(msg):
        if msg.message_type != MessageType.METHOD_CALL or msg.path != PATH:
            return None
        if msg.interface == WATCHER and msg.member == "RegisterStatusNotifierItem":
            service = msg.body[0]
            # An object path names the item on the caller's own connection.
            bus_name, path = (msg.sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
            items.append((bus_name, path))
            say({"registered": [bus_name, path]})
            return Message.new_method_return(msg)
        if msg.interface == WATCHER and msg.member == "RegisterStatusNotifierHost":
            return Message.new_method_return(msg)
        if msg.interface == "org.freedesktop.DBus.Properties" and msg.member == "Get":
            value = watcher_property(msg.body[1])
            if value is None:
                return Message.new_error(msg, "org.freedesktop.DBus.Error.UnknownProperty", msg.body[1])
            return Message.new_method_return(msg, "v", [value])
        if msg.interface == "org.freedesktop.DBus.Properties" and msg.member == "GetAll":
            props = {n: watcher_property(n) for n in ("IsStatusNotifierHostRegistered", "ProtocolVersion", "RegisteredStatusNotifierItems")}
            return Message.new_method_return(msg, "a{sv}", [props])
        if msg.interface == "org.freedesktop.DBus.Introspectable":
            return Message.new_method_return(msg, "s", ["<node/>"])
        return None
    return on_message


async def call(bus, dest, path, interface, member, signature="", body=()):
    reply = await bus.call(Message(destination=dest, path=path, interface=interface, member=member, signature=signature, body=list(body)))
    if reply.message_type == MessageType.ERROR:
        raise RuntimeError(f"{member}: {reply.error_name} {reply.body}")
    return reply.body


async def menu_of(bus):
    bus_name, path = items[-1]
    (menu_path,) = await call(bus, bus_name, path, "org.freedesktop.DBus.Properties", "Get", "ss", ["org.kde.StatusNotifierItem", "Menu"])
    _revision, layout = await call(bus, bus_name, menu_path.value, "com.canonical.dbusmenu", "GetLayout", "iias", [0, -1, []])
    out = []

    def walk(node):
        item_id, props, children = node
        label = props.get("label")
        if label is not None and item_id != 0:
            out.append([item_id, label.value.replace("_", "")])
        for c in children:
            walk(c.value)

    walk(layout)
    return menu_path.value, out


async def main():
    bus = await MessageBus().connect()
    bus.add_message_handler(handler(bus))
    await bus.request_name(WATCHER)
    say({"ready": True})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        try:
            if line == "menu":
                _, menu = await menu_of(bus)
                say({"menu": menu})
            elif line.startswith("click "):
                item = int(line.split()[1])
                menu_path, _ = await menu_of(bus)
                bus_name = items[-1][0]
                await call(bus, bus_name, menu_path, "com.canonical.dbusmenu", "Event", "isvu", [item, "clicked", Variant("s", ""), int(time.time())])
                say({"clicked": item})
        except Exception as e:  # the test reads the reason
            say({"error": str(e)})


asyncio.run(main())
