"""The waits a plan lists as operations of their own (``Operation.action == "Wait"``), by name.

Each polls its service through the adapters until the condition holds, fails with the service's own
reason, or times out; progress goes to ``ctx.progress``.
"""

from __future__ import annotations
