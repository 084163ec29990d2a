"""Run callables at the same moment, each on its own database connection."""

import threading

from django.db import connection


def race(*callables):
    """Returns each callable's result, or the exception it raised, in order."""
    barrier = threading.Barrier(len(callables))
    outcomes: list = [None] * len(callables)

    def run(index, fn):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = fn()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
