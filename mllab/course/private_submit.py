"""Handing in with nbgrader, closed to the other students: the student's side of the exchange on a hub.

nbgrader 0.9.6's ``submit`` leaves each hand-in folder in ``inbound/`` writable by all (mode 0777, "so
the instructor can delete later"): a student who learns its name could empty it. This ``submit`` does
the same and then closes the folder to everyone but its maker and the group of the inbound folder,
the grading account's (students are not in it): mode 0770. The course's inbound folder is setgid
(mllab.course.exchange.COURSE_MODES), so every hand-in folder gets that group; its files stay readable
(0644) behind the closed folder, because the ones nbgrader writes last get the student's own group.
Where the folder did not get the inbound folder's group, nbgrader's modes are kept (the grading
account could not read it otherwise). Set it in the students' nbgrader configuration
(hub/nbgrader_config.py): ``c.ExchangeFactory.submit = "mllab.course.private_submit.PrivateExchangeSubmit"``.
"""

from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit

ENTRY_MODE = 0o770  # its maker and the grading account's group: read, write (to clean up), search


class PrivateExchangeSubmit(ExchangeSubmit):
    """nbgrader's submit, whose hand-in only its maker and the grading account's group can open."""

    def copy_files(self):
        super().copy_files()
        entry = os.path.join(self.inbound_path, self.assignment_filename)
        if os.stat(entry).st_gid == os.stat(self.inbound_path).st_gid:
            self.set_perms(entry, fileperms=0o644, dirperms=0o755)
            os.chmod(entry, ENTRY_MODE)
