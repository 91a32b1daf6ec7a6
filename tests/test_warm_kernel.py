"""Does a kernel forked from the warm zygote behave like a freshly started one?"""

from __future__ import annotations

import contextlib
import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from mllab.autograde import warm_kernel

PROBE = """import json, os, signal, sys
import matplotlib.pyplot as plt
import numpy as np
plt.plot([1, 2, 3]); plt.show()
print(json.dumps({"path": sys.path, "cwd": os.getcwd(), "backend": plt.get_backend(),
                  "env": sorted(k for k in os.environ if k.startswith(("JPY", "MPL"))),
                  "signals": [str(signal.getsignal(s)) for s in (signal.SIGPIPE, signal.SIGCHLD, signal.SIGTERM)],
                  "random": float(np.random.rand()), "torch_loaded": "torch" in sys.modules}))"""


def _run(tmp_path, manager=None) -> tuple[dict, list[str]]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    options = {"kernel_manager_class": manager} if manager else {}
    NotebookClient(nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(tmp_path)}},
                   **options).execute()
    outputs = nb.cells[0].outputs
    text = next(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    return json.loads(text), [o.output_type for o in outputs]


@pytest.fixture(scope="module")
def zygote():
    warm_kernel.ZYGOTE = warm_kernel.Zygote()
    yield warm_kernel.ZYGOTE
    warm_kernel.ZYGOTE.close()
    warm_kernel.ZYGOTE = None


def test_a_forked_kernel_sees_what_a_cold_kernel_sees(tmp_path, zygote):
    cold, cold_outputs = _run(tmp_path)
    warm, warm_outputs = _run(tmp_path, warm_kernel.WarmKernelManager)
    for key in ("path", "cwd", "backend", "env", "signals"):
        assert warm[key] == cold[key], key
    assert warm_outputs == cold_outputs == ["display_data", "stream"]  # the inline figure is shown
    assert warm["torch_loaded"] and not cold["torch_loaded"]  # the only difference: imports are done


def test_two_forked_kernels_do_not_share_their_random_state(tmp_path, zygote):
    first, _ = _run(tmp_path, warm_kernel.WarmKernelManager)
    second, _ = _run(tmp_path, warm_kernel.WarmKernelManager)
    assert first["random"] != second["random"]


def test_a_kernel_that_kills_the_zygote_does_not_stop_the_next_student(tmp_path, zygote):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getppid(), 9)")])
    client = NotebookClient(nb, kernel_name="python3", timeout=60, kernel_manager_class=warm_kernel.WarmKernelManager,
                            resources={"metadata": {"path": str(tmp_path)}})
    with contextlib.suppress(DeadKernelError):  # the orphaned kernel may notice and leave first
        client.execute()
    after, _ = _run(tmp_path, warm_kernel.WarmKernelManager)
    assert after["torch_loaded"]
