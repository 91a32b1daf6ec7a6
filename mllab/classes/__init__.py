"""Classes of students' submissions made from the instructor notebooks: the demo students
(demo), the broken hand-ins (broken) and the hostile ones (hostile), for `make demo`, the tests
and the benchmark; and each assignment's corpus of correct alternatives and named mistakes
(corpus_<assignment>, following the protocol of corpus), for `mllab check-tests`.

May import `mllab.errors` and `mllab.course`. The hostile notebooks' code names `mllab.grading`
and `mllab.checks`, but only as text, for a student's kernel to run.
"""
