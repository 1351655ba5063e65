#!/usr/bin/env python3
"""A one-connection TCP relay that damages the stream in transit: it flips one bit of the byte
at OFFSET on the way from the client to TARGET (the tamper test of the encrypted pipeline).

Usage: flip_relay.py TARGET_PORT OFFSET
Listens on 127.0.0.1 (a port of the kernel's choosing, printed as "port N" on stdout), takes
one connection, forwards it to 127.0.0.1:TARGET_PORT and passes end of file on as a half-close.
Prints "flipped" on stdout once the byte went through.
"""
import socket
import sys
import threading


def pump(src, dst, offset):
    seen = 0
    while True:
        data = src.recv(65536)
        if not data:
            break
        if offset is not None and seen <= offset < seen + len(data):
            data = bytearray(data)
            data[offset - seen] ^= 0x01
            print("flipped", flush=True)
        seen += len(data)
        dst.sendall(data)
    dst.shutdown(socket.SHUT_WR)


def main():
    target_port, offset = int(sys.argv[1]), int(sys.argv[2])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print("port", listener.getsockname()[1], flush=True)
    client, _ = listener.accept()
    target = socket.create_connection(("127.0.0.1", target_port))
    back = threading.Thread(target=pump, args=(target, client, None))
    back.start()
    pump(client, target, offset)
    back.join()


if __name__ == "__main__":
    main()
