"""Answers the broker is asked for again and again, kept in memory while nothing they are made of changes.

`generations`: the counters every write moves in its own transaction, which tell any worker process that
a kept answer is stale. `store`: the kept answers of one process. for-verification
(`broker/api/for_verification.py`) and the deployment questions, can-i-deploy to an environment and the
matrix between named versions (`broker/api/matrix.py`), use both.
"""
