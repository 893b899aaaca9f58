"""Drives the SafeWire FTP server with Python's ftplib.FTP_TLS (explicit FTPS, PROT P).

usage: ftplib_client.py HOST PORT USER PASSWORD CAFILE UPLOAD_SOURCE DOWNLOAD_TARGET [--stock]
Prints the LIST output, then "stored", "retrieved" and the NLST names; exits 2 with the reply on an FTP error.
Data connections resume the control connection's TLS session (the server requires it by default) through the
five-line subclass below, the one docs/FILES.md shows; --stock uses ftplib.FTP_TLS as shipped, which does not.
"""
import ftplib
import ssl
import sys


class ReusingFTP_TLS(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


host, port, user, password, cafile, source, target = sys.argv[1:8]
client = ftplib.FTP_TLS if "--stock" in sys.argv[8:] else ReusingFTP_TLS
context = ssl.create_default_context(cafile=cafile)
ftp = client(context=context, timeout=30)
try:
    ftp.connect(host, int(port))
    ftp.login(user, password)  # sends AUTH TLS first
    ftp.prot_p()
    lines = []
    ftp.retrlines("LIST", lines.append)
    print("\n".join(lines))
    with open(source, "rb") as f:
        ftp.storbinary("STOR uploaded.bin", f)
    print("stored")
    with open(target, "wb") as f:
        ftp.retrbinary("RETR uploaded.bin", f.write)
    print("retrieved")
    print("names:", " ".join(sorted(ftp.nlst())))
    ftp.quit()
except ftplib.all_errors as e:
    print("ftp error:", e, file=sys.stderr)
    sys.exit(2)
