"""Hostile and broken FTPS clients for the server's tests, built on Python's ftplib and ssl.

usage:
  ftps_probe.py upload HOST PORT USER PASSWORD CAFILE REMOTE SIZE END
      Stores SIZE bytes to REMOTE over PROT P, resuming the control session on the data connection, then ends the
      data connection as END says: "close" closes the socket without TLS close_notify and prints the server's reply;
      "hang" prints "sent" and waits to be killed.
  ftps_probe.py thief HOST PORT CAFILE DATAPORT SESSION
      Connects to another client's passive DATAPORT from the same address, with a TLS session of its own
      (SESSION "own": from its own AUTH TLS control connection, no login) or none ("fresh"), sends "INJECTED" and
      prints whether the handshake completed and how many bytes it received.
"""
import ftplib
import socket
import ssl
import sys
import time


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """The lines ftplib needs so that data connections resume the control connection's TLS session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


def upload(host, port, user, password, cafile, remote, size, end):
    ftp = ReusingFTP_TLS(context=ssl.create_default_context(cafile=cafile), timeout=30)
    ftp.connect(host, int(port))
    ftp.login(user, password)
    ftp.prot_p()
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("STOR " + remote)
    conn.sendall(b"t" * int(size))
    if end == "hang":
        print("sent", flush=True)
        time.sleep(600)
        return
    conn.close()  # SSLSocket.close() sends no close_notify (only unwrap() does)
    try:
        print("reply:", ftp.voidresp())
    except ftplib.all_errors as e:
        print("reply:", e)


def thief(host, port, cafile, data_port, session):
    context = ssl.create_default_context(cafile=cafile)
    own = None
    if session == "own":
        ftp = ftplib.FTP_TLS(context=context, timeout=30)
        ftp.connect(host, int(port))
        ftp.auth()
        own = ftp.sock.session
    raw = socket.create_connection((host, int(data_port)), timeout=20)
    try:
        conn = context.wrap_socket(raw, server_hostname=host, session=own)
    except (OSError, ssl.SSLError) as e:
        print("handshake=failed", e)
        return
    print("handshake=ok reused=%s" % conn.session_reused)
    received = 0
    try:
        conn.sendall(b"INJECTED")
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += len(chunk)
    except (OSError, ssl.SSLError) as e:
        print("error:", e)
    print("received=%d" % received)


if __name__ == "__main__":
    if sys.argv[1] == "upload":
        upload(*sys.argv[2:10])
    else:
        thief(*sys.argv[2:7])
