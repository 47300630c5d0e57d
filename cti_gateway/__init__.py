"""The CTI gateway: SIP through pjsua2, inbound queues (ACD), agent states and call control."""
