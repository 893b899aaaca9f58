"""Drives the SafeWire FTP server with Python's stock ftplib.FTP_TLS (explicit FTPS, PROT P).

usage: ftplib_client.py HOST PORT USER PASSWORD CAFILE UPLOAD_SOURCE DOWNLOAD_TARGET
Prints the LIST output, then "stored", "retrieved" and the NLST names; exits 2 with the reply on an FTP error.
"""
import ftplib
import ssl
import sys

host, port, user, password, cafile, source, target = sys.argv[1:8]
context = ssl.create_default_context(cafile=cafile)
ftp = ftplib.FTP_TLS(context=context, timeout=30)
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
