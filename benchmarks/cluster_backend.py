"""The notification backend of bench_cluster.py: notes the id of each notice it sends, one line each,
in the file XF_BENCH_NOTICES (appended whole: several worker threads write to it), so that the
benchmark can count how often each was sent."""

import os


class JournalBackend:
    def send(self, notification):
        fd = os.open(os.environ["XF_BENCH_NOTICES"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{notification.pk}\n".encode())
        finally:
            os.close(fd)
