"""Bastion: detect, act on, triage and report known child sexual abuse material by hash.

Bastion never looks for new material: it only recognises media whose hashes are on lists
supplied by hotlines and police databases.
"""

__version__ = "0.1.0"
