"""Hidden tests of each assignment: one function per grade cell, called from the cell."""
