"""Cases: what a scan found, per reference, per chat, per sender, and (later) per offence."""
