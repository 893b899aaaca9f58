"""Checks that data connections resume the control connection's TLS session, as FileZilla and vsftpd's
require_ssl_reuse expect. Stock ftplib does not offer the session, so this subclass does.

usage: ftplib_session_reuse.py HOST PORT USER PASSWORD CAFILE
Prints "reused=True|False" for each of three listings.
"""
import ftplib
import ssl
import sys


class ReusingFTP_TLS(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
            print("reused=%s" % conn.session_reused)
        return conn, size


host, port, user, password, cafile = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
ftp = ReusingFTP_TLS(context=context, timeout=30)
ftp.connect(host, int(port))
ftp.login(user, password)
ftp.prot_p()
for _ in range(3):
    ftp.nlst()
ftp.quit()
