"""The panel's root helper: a socket-activated daemon answering a closed registry of verbs.

The web process (unprivileged) asks it, over /run/cloudy-panel-helper.sock, for the few things that
need root: checking a password with PAM, changing it, systemctl, apt and local ansible-playbook jobs.
"""
