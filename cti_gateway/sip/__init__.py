"""SIP through pjsua2: worker processes that each own one pjsua2 endpoint,
the pool that runs and supervises them, and Kamailio in front of them.

Only `worker.py` and `legs.py` import pjsua2, and only inside a worker
process; the gateway process itself never loads it.
"""
