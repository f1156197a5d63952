"""Imported by the fork server before it forks any execution environment (runtime.PRELOADED_MODULES):
Ctrl-C is the stack's to handle, which ends its environments itself. Ignored here, a fork inherits
that from its first instruction; set in the environment's own code instead, a Ctrl-C in the moment
between the fork and that line printed a KeyboardInterrupt traceback (seen in a fresh-clone CI run
of test_ctrl_c_while_the_functions_still_warm_stops_without_an_error)."""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
