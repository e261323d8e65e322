"""The lawful-request desk: disclose only what a verified, reviewed and twice-approved legal
request covers (by default IP addresses and phone numbers of the named accounts, in the named
dates), as a signed package, with every step in the audit trail and a quarterly transparency
report.

Modules: `policy` (what may be disclosed, per country), `requests` (the lifecycle as pure
functions), `records` (the platform's account data), `desk` (requests in the store), `package`
and `verify` (the signed disclosure), `signing` (Ed25519 keys), `transparency`, `reminders`.
"""
