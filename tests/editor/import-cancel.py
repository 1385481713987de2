#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# import-cancel.py CORE_SO PROFILE CERT_DIR: run by screenshot-editor.sh against its private
# NetworkManager, on its X server.  Imports PROFILE through the core plugin as
# nm-connection-editor does, opens the editor on the new connection, and drops it:
#   - not saved (Cancel): the files the import wrote are gone 10 s later (IMPORT_SAVE_WAIT);
#   - saved (the connection added to NetworkManager before the editor goes): they stay.
# Prints what it checks; exit 0 pass, 1 fail.
import gc
import glob
import os
import sys

import gi

gi.require_version("NM", "1.0")
gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk, NM  # noqa: E402

core, profile, cert_dir = sys.argv[1:4]
Gtk.init(None)
plugin = NM.VpnEditorPlugin.load_from_file(core, "org.freedesktop.NetworkManager.uipsec", -1,
                                           lambda *args: True, None)


def files():
    return sorted(glob.glob(os.path.join(cert_dir, "*.pem")))


def wait(seconds):
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(seconds, loop.quit)
    loop.run()


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


for f in files():
    os.unlink(f)

# 1. cancelled
conn = plugin.import_(profile)
written = files()
print("imported %s: %s" % (conn.get_id(), ", ".join(os.path.basename(f) for f in written)))
if not written:
    fail("the import wrote no files")
editor = plugin.get_editor(conn)
del editor
gc.collect()
wait(13)
if files():
    fail("after a cancelled import, still there: %s" % files())
print("cancelled: the files are gone")

# 2. saved
conn = plugin.import_(profile)
written = files()
editor = plugin.get_editor(conn)
client = NM.Client.new(None)
loop = GLib.MainLoop()
result = {}


def added(c, res):
    try:
        result["c"] = c.add_connection_finish(res)
    except GLib.Error as e:
        result["e"] = e
    loop.quit()


client.add_connection_async(conn, True, None, added)
loop.run()
if "e" in result:
    fail("NetworkManager did not add the connection: %s" % result["e"].message)
del editor
gc.collect()
wait(13)
if files() != written:
    fail("after a saved import, files changed: %s, were %s" % (files(), written))
print("saved: the files stay (%d)" % len(written))
loop = GLib.MainLoop()
result["c"].delete_async(None, lambda c, res: (c.delete_finish(res), loop.quit()))
loop.run()
sys.exit(0)
