#!/usr/bin/env python3
# mockchat_nodelay.py -- tests/mock/mockchat.py with TCP_NODELAY on every
# accepted connection.  mockchat.py writes a reply's headers and body in
# two writes; without TCP_NODELAY the body waits for the client's delayed
# ACK (about 40 ms), which caps a chat at some 22 messages a second.  The
# storm tests need thousands of messages in seconds, so they run the mock
# through this wrapper; its behaviour is otherwise unchanged.
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mock"))
import mockchat  # noqa: E402

_setup = mockchat.Handler.setup


def _setup_nodelay(self):
    _setup(self)
    self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


mockchat.Handler.setup = _setup_nodelay

if __name__ == "__main__":
    sys.exit(mockchat.main())
